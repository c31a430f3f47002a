// Makes the txn log's next segment ahead of need, off the commit path: a file under the temp
// name, preallocated (see ZeroFill), fsynced, its directory fsynced. It reads as zeros in
// every mode.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "wal/zero_fill.h"

namespace rk {

struct PreparerOptions {
  std::string dir;
  uint64_t segment_bytes = 0;
  ZeroFill zero_fill = ZeroFill::kDevice;
  int wake_fd = -1;                 // eventfd written (8 bytes) whenever the state changes
  int64_t retry_interval_ms = 500;  // after a failure
};

// Owned by the txn log's owner thread, which calls every method; the worker thread inside
// only prepares files. Holds at most one prepared segment: it starts the next one when the
// log takes the current one.
class SegmentPreparer {
 public:
  enum class State {
    kWorking,  // preparing (first attempt since the last take)
    kReady,    // a segment waits under the temp name
    kFailed,   // the last attempt failed (error() says why); retrying
  };

  explicit SegmentPreparer(PreparerOptions options);
  ~SegmentPreparer();
  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;

  State state() const { return state_.load(std::memory_order_acquire); }
  // Why the last attempt failed (ok unless state() is kFailed).
  Status error() const;
  // Blocks until the first attempt has finished: ok when a segment is ready.
  Status wait_first_attempt();
  // Renames the ready segment to final_path and hands over its fd (open for writing); the
  // worker starts on the next one. Only in state kReady.
  Result<int> take(const std::string& final_path);
  // Takes over the fd of a segment the log has left behind, every record in it durable, and
  // on the worker thread cuts the file to `end` (the bytes after its last record were only
  // allocated ahead) and closes it. Not durable by itself, and needs not be: recovery reads
  // a segment that ends at its file's end or in zeros the same way. A failed cut only costs
  // the space.
  void trim(int fd, uint64_t end);

 private:
  void run();
  Result<int> prepare_once();
  // Cuts and closes every segment handed to trim(); called with mutex_ held (released while
  // it works).
  void trim_pending(std::unique_lock<std::mutex>& lock);
  void wake() const;

  const PreparerOptions options_;
  const std::string temp_path_;
  std::string zeros_;  // one write's worth of zero bytes, allocated once
  // Worker thread only: what the device answered to Write Zeroes so far.
  enum class DeviceZeroes : uint8_t { kUntried, kOffered, kRefused };
  DeviceZeroes device_zeroes_ = DeviceZeroes::kUntried;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<State> state_{State::kWorking};
  bool attempted_ = false;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  int ready_fd_ = -1;       // guarded by mutex_
  std::vector<std::pair<int, uint64_t>> trims_;  // guarded by mutex_: fds to cut and close
  Status error_;            // guarded by mutex_
  std::thread worker_;
};

}  // namespace rk
