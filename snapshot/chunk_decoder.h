// Decoding a snapshot off the inserting thread: frames checked (checksum, flatbuffers
// verifier), chunks checked for order, nodes turned into ready-to-insert Nodes and digested
// for the footer's check. What is left for the tree is the insertion itself.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/data_tree.h"

namespace rk {

struct DecodedNode {
  std::string path;      // well formed (is_valid_path)
  size_t path_hash = 0;  // path_hash(path), computed off the inserting thread
  NodeRecord record;     // data, null flag, interned ACL and stat
};

// One frame's worth of work for the inserting thread, in file order. A non-empty `error` ends
// the stream: the snapshot is bad at `offset` (or as a whole, when offset is kWholeFile).
struct DecodedChunk {
  static constexpr uint64_t kWholeFile = UINT64_MAX;
  uint64_t offset = 0;
  std::vector<DecodedNode> nodes;
  std::string error;
  bool last = false;  // the end of the file was reached or `error` is set: nothing follows
};

// What the whole file said besides its nodes; complete once the last chunk is taken.
struct SnapshotSummary {
  Zxid start_zxid = 0;
  Zxid end_zxid = 0;
  int64_t time_ms = 0;
  uint64_t node_count = 0;
  uint64_t digest = 0;
  std::vector<std::pair<SessionId, int32_t>> sessions;
};

// Bounded hand-over from the decoding thread to the inserting thread: the decoder waits
// while `chunks_max` chunks are pending, so a load holds a few MiB of decoded nodes at most.
class DecodedChunkQueue {
 public:
  explicit DecodedChunkQueue(size_t chunks_max) : chunks_max_(chunks_max) {}
  // Decoding thread. False once the reader has closed the queue (it stopped early).
  bool push(DecodedChunk chunk);
  // Inserting thread. Blocks until a chunk is there.
  DecodedChunk pop();
  // Inserting thread: no more chunks wanted; a waiting push returns false.
  void close();

 private:
  const size_t chunks_max_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<DecodedChunk> chunks_;  // guarded by mutex_
  bool closed_ = false;              // guarded by mutex_
};

class SnapshotSource;

// Reads the frames of a snapshot (a file or bytes in memory) and pushes them, decoded, to
// `queue`; the last chunk pushed has `last` set. Runs on its own thread; `summary` is written
// there and may be read once the last chunk has been popped.
void decode_snapshot(const SnapshotSource& source, DecodedChunkQueue& queue, SnapshotSummary& summary);

}  // namespace rk
