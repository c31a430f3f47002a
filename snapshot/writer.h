// Fuzzy snapshots: the tree is serialized a bounded number of nodes at a time on the engine
// thread, between batches of writes, while a background thread writes the file. Writes are
// never paused; replaying the log from the start zxid repairs whatever changed meanwhile.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/data_tree.h"
#include "engine/session_table.h"
#include "snapshot/chunk_builder.h"
#include "snapshot/file_writer.h"
#include "snapshot/tree_cursor.h"

namespace rk {

struct SnapshotOptions {
  std::string dir;                     // dataDir
  int wake_fd = -1;                    // eventfd written (8 bytes) once the file is done or failed
  size_t chunk_bytes = 1 << 20;        // target payload size of a nodes chunk
  size_t queue_chunks_max = 4;         // chunks handed over and not yet written
};

struct SnapshotResult {
  std::string path;
  uint64_t node_count = 0;
  uint64_t bytes = 0;
  int64_t duration_ms = 0;
  Zxid start_zxid = 0;
  Zxid end_zxid = 0;  // last zxid applied when serialization ended
};

// Owned and called by the engine thread only (it alone touches the tree). Memory is bounded
// by (queue_chunks_max + 2) chunks: the queue, one sealed chunk waiting, one being built.
class SnapshotWriter {
 public:
  // Copies the session table now; `start_zxid` is the last zxid applied to the tree. Fails
  // only on bad options or when the file thread cannot start.
  static Result<std::unique_ptr<SnapshotWriter>> start(const SnapshotOptions& options, Zxid start_zxid,
                                                      int64_t now_wall_ms, const SessionTable& sessions);
  // Abandons an unfinished snapshot (its temp file is removed).
  ~SnapshotWriter() = default;

  // Serializes up to `node_budget` more nodes and hands full chunks to the file thread.
  // Does nothing while the file thread is behind (its queue full). `applied_zxid` is the last
  // zxid applied to `tree` now; the one passed when the walk ends goes into the footer.
  // Cheap once serialization finished; call until done().
  void step(const DataTree& tree, size_t node_budget, Zxid applied_zxid);

  // The file is complete and visible, or the snapshot failed; see status().
  bool done() const { return file_->finished(); }
  // Meaningful once done(): ok, or why it failed (the temp file is gone).
  const Status& status() const { return file_->status(); }
  SnapshotResult result() const;  // once done() with an ok status
  uint64_t nodes_written() const { return chunk_.node_count(); }

 private:
  SnapshotWriter(const SnapshotOptions& options, Zxid start_zxid);
  bool drain_outbox();  // false while chunks remain (the file thread's queue is full)
  void end_walk(Zxid applied_zxid);

  const Zxid start_zxid_;
  Zxid end_zxid_ = 0;
  std::unique_ptr<SnapshotFileWriter> file_;
  TreeCursor cursor_;
  NodeChunkBuilder chunk_;
  std::deque<SnapshotChunk> outbox_;  // sealed, not yet accepted by the file thread
  uint32_t next_seq_ = 0;
  bool walk_done_ = false;
};

}  // namespace rk
