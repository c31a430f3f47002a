// The background half of a snapshot: a thread that frames chunks, writes them to
// snapshot.<zxid>.tmp, fsyncs, renames and fsyncs the directory.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "engine/types.h"

namespace rk {

struct SnapshotChunk {
  flatbuffers::DetachedBuffer payload;
  bool last = false;  // the footer: seal the file after it
};

// What the file thread reports once finished.
struct SnapshotFileResult {
  std::string path;          // the final name (empty on failure)
  uint64_t bytes = 0;        // file size
  int64_t duration_ms = 0;   // thread start to the directory fsync
};

// Owned by SnapshotWriter on the engine thread, which alone calls try_push(); the thread it
// starts only writes. The queue is bounded: a full queue refuses, it never blocks the engine.
class SnapshotFileWriter {
 public:
  SnapshotFileWriter(std::string dir, Zxid zxid, size_t queue_chunks_max, int wake_fd);
  // Stops the thread; an unfinished file is removed.
  ~SnapshotFileWriter();
  SnapshotFileWriter(const SnapshotFileWriter&) = delete;
  SnapshotFileWriter& operator=(const SnapshotFileWriter&) = delete;

  Status start();
  // False (the chunk stays with the caller) when the queue is full or the writer finished.
  bool try_push(SnapshotChunk& chunk);
  // True once the thread is done, with success or failure; then status() and result() hold.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  const Status& status() const { return status_; }
  const SnapshotFileResult& result() const { return result_; }

 private:
  void run();
  Status write_all();
  Status write_back(int fd, uint64_t offset, uint64_t bytes);
  Status write_chunk(int fd, const SnapshotChunk& chunk);
  Status seal(int fd);
  bool pop(SnapshotChunk& chunk);  // false: aborted
  void notify_engine();

  const std::string dir_;
  const std::string final_path_;
  const std::string temp_path_;
  const size_t queue_chunks_max_;
  const int wake_fd_;

  std::mutex mutex_;  // guards queue_ and abort_; held for a deque push or pop only
  std::condition_variable queued_;
  std::deque<SnapshotChunk> queue_;
  bool abort_ = false;

  // Written by the thread before finished_ is set (release), read after (acquire).
  Status status_;
  SnapshotFileResult result_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace rk
