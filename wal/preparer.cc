// The segment preparer's worker: prepare, publish, wait to be taken or retry after a failure.
#include "wal/preparer.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/assert.h"
#include "base/fault.h"
#include "base/log.h"
#include "wal/segment.h"

namespace rk {
namespace {

constexpr size_t kZeroWriteBytes = 1 << 20;

// fallocate mode (Linux 6.17): allocate written extents the block device zeroes itself with
// an unmapping Write Zeroes (NVMe, SCSI, virtio-blk that offer it), so no zero crosses the
// bus or the page cache. Refused (EOPNOTSUPP) where the file system or device lacks it.
#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES 0x80
#endif

Status prepare_error(const std::string& dir, int err) {
  const bool full = err == ENOSPC || err == EDQUOT;
  return Status::error(std::string(full ? "disk full: " : "") +
                       "cannot preallocate the next txn log segment in " + dir + " (" +
                       std::strerror(err) + ")");
}

// Writes `bytes` zero bytes from offset 0; 0 or an errno. Each chunk is written back before
// the next is dirtied, so the device never holds a whole segment's writeback in its queue
// at once: the txn log's fdatasyncs queue behind at most one chunk.
int write_zeros(int fd, const std::string& zeros, uint64_t bytes) {
  constexpr unsigned kWriteBack =
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  uint64_t offset = 0;
  while (offset < bytes) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes - offset));
    ssize_t n = pwrite(fd, zeros.data(), chunk, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (sync_file_range(fd, static_cast<off_t>(offset), n, kWriteBack) != 0) return errno;
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

}  // namespace

SegmentPreparer::SegmentPreparer(PreparerOptions options)
    : options_(std::move(options)),
      temp_path_(options_.dir + "/" + std::string(kPreallocSegmentName)),
      zeros_(options_.zero_fill == ZeroFill::kWrites
                 ? static_cast<size_t>(std::min<uint64_t>(kZeroWriteBytes, options_.segment_bytes))
                 : 0,
             '\0') {
  RK_ASSERT(options_.segment_bytes > 0);
  worker_ = std::thread([this] { run(); });
}

SegmentPreparer::~SegmentPreparer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
  std::unique_lock lock(mutex_);
  trim_pending(lock);  // the worker may have stopped before the last ones
  if (ready_fd_ >= 0) close(ready_fd_);  // the temp file stays; the next start removes it
}

Status SegmentPreparer::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Status SegmentPreparer::wait_first_attempt() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return attempted_; });
  return error_;
}

Result<int> SegmentPreparer::take(const std::string& final_path) {
  std::unique_lock lock(mutex_);
  RK_ASSERT(state() == State::kReady && ready_fd_ >= 0);
  if (rename(temp_path_.c_str(), final_path.c_str()) != 0) {
    return errno_status("cannot rename the prepared txn log segment to", final_path, errno);
  }
  const int fd = ready_fd_;
  ready_fd_ = -1;
  state_.store(State::kWorking, std::memory_order_release);
  lock.unlock();
  changed_.notify_all();
  return fd;
}

void SegmentPreparer::trim(int fd, uint64_t end) {
  {
    std::lock_guard lock(mutex_);
    trims_.emplace_back(fd, end);
  }
  changed_.notify_all();
}

void SegmentPreparer::trim_pending(std::unique_lock<std::mutex>& lock) {
  while (!trims_.empty()) {
    std::vector<std::pair<int, uint64_t>> trims;
    trims.swap(trims_);
    lock.unlock();
    for (const auto& [fd, end] : trims) {
      if (ftruncate(fd, static_cast<off_t>(end)) != 0) {
        RK_WARN("txn log: cannot release the unused tail of a finished segment in %s: %s",
                options_.dir.c_str(), std::strerror(errno));
      }
      close(fd);
    }
    lock.lock();
  }
}

void SegmentPreparer::run() {
  pthread_setname_np(pthread_self(), "rk-wal-prep");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    trim_pending(lock);
    if (state() == State::kReady) {
      changed_.wait(lock, [this] {
        return stopping_ || state() != State::kReady || !trims_.empty();
      });
      continue;
    }
    lock.unlock();
    Result<int> prepared = prepare_once();
    lock.lock();
    attempted_ = true;
    if (prepared) {
      ready_fd_ = *prepared;
      error_ = Status::ok();
      state_.store(State::kReady, std::memory_order_release);
    } else {
      if (state() != State::kFailed) RK_ERROR("%s", prepared.status().message().c_str());
      error_ = prepared.status();
      state_.store(State::kFailed, std::memory_order_release);
    }
    changed_.notify_all();
    wake();
    if (state() == State::kFailed) {
      // Segments to cut give space back: the next attempt need not wait for the interval.
      changed_.wait_for(lock, std::chrono::milliseconds(options_.retry_interval_ms),
                        [this] { return stopping_ || !trims_.empty(); });
    }
  }
}

Result<int> SegmentPreparer::prepare_once() {
  static FaultPoint& fault = fault_point("wal.prepare_segment");
  if (int err = fault.check()) return prepare_error(options_.dir, err);
  const int fd = open(temp_path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return prepare_error(options_.dir, errno);
  // Written, zeroed extents by the device's Write Zeroes where it offers it, so a record write
  // later is a plain overwrite and fdatasync has no metadata to carry. Else fallocate (a full
  // disk shows at once, the extents come out contiguous) and, with ZeroFill::kWrites, zero
  // writes that turn the unwritten extents into written ones.
  int err = 0;
  const off_t bytes = static_cast<off_t>(options_.segment_bytes);
  if (device_zeroes_ != DeviceZeroes::kRefused) {
    if (fallocate(fd, FALLOC_FL_WRITE_ZEROES, 0, bytes) == 0) {
      if (device_zeroes_ == DeviceZeroes::kUntried) {
        RK_INFO("txn log segments in %s are zeroed by the device (fallocate write-zeroes)",
                options_.dir.c_str());
      }
      device_zeroes_ = DeviceZeroes::kOffered;
    } else if (errno == EOPNOTSUPP || errno == EINVAL) {
      device_zeroes_ = DeviceZeroes::kRefused;
      RK_INFO("txn log segments in %s: no device Write Zeroes here; %s", options_.dir.c_str(),
              options_.zero_fill == ZeroFill::kWrites
                  ? "every block is written with zeros ahead"
                  : "allocated with fallocate (unwritten extents)");
    } else {
      err = errno;  // ENOSPC and real I/O errors count
    }
  }
  if (err == 0 && device_zeroes_ == DeviceZeroes::kRefused) {
    if (fallocate(fd, 0, 0, bytes) != 0 && errno != EOPNOTSUPP) err = errno;
    if (err == 0 && options_.zero_fill == ZeroFill::kWrites) {
      err = write_zeros(fd, zeros_, options_.segment_bytes);
    }
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (err == 0) {
    if (Status st = fsync_dir(options_.dir); !st) err = EIO;
  }
  if (err != 0) {
    close(fd);
    unlink(temp_path_.c_str());
    return prepare_error(options_.dir, err);
  }
  return fd;
}

void SegmentPreparer::wake() const {
  if (options_.wake_fd < 0) return;
  const uint64_t one = 1;
  // A full eventfd counter (EAGAIN) already means "wake up".
  [[maybe_unused]] ssize_t n = write(options_.wake_fd, &one, sizeof one);
}

}  // namespace rk
