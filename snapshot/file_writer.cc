// The snapshot file thread: frames and writes chunks, then makes the file visible only
// complete (fsync, rename, directory fsync). Any failure removes the temp file.
#include "snapshot/file_writer.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "base/clock.h"
#include "base/log.h"
#include "snapshot/format.h"

namespace rk {
namespace {

Status errno_status(const std::string& what, const std::string& path, int err) {
  return Status::error(what + " " + path + ": " + std::strerror(err));
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : errno_status("fsync directory", dir, err);
}

}  // namespace

SnapshotFileWriter::SnapshotFileWriter(std::string dir, Zxid zxid, size_t queue_chunks_max, int wake_fd)
    : dir_(std::move(dir)),
      final_path_(dir_ + "/" + snapshot_file_name(zxid)),
      temp_path_(final_path_ + std::string(kTempSuffix)),
      queue_chunks_max_(queue_chunks_max),
      wake_fd_(wake_fd) {}

SnapshotFileWriter::~SnapshotFileWriter() {
  {
    std::lock_guard lock(mutex_);
    abort_ = true;
  }
  queued_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Status SnapshotFileWriter::start() {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return Status::error(std::string("snapshot writer thread: ") + e.what());
  }
  return Status::ok();
}

bool SnapshotFileWriter::try_push(SnapshotChunk& chunk) {
  if (finished()) return false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_chunks_max_) return false;
    queue_.push_back(std::move(chunk));
  }
  queued_.notify_one();
  return true;
}

bool SnapshotFileWriter::pop(SnapshotChunk& chunk) {
  std::unique_lock lock(mutex_);
  queued_.wait(lock, [this] { return abort_ || !queue_.empty(); });
  if (abort_) return false;
  chunk = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void SnapshotFileWriter::run() {
  int64_t started_us = mono_us();
  Status status = write_all();
  if (!status) {
    ::unlink(temp_path_.c_str());
    RK_WARN("snapshot %s failed: %s", final_path_.c_str(), status.message().c_str());
  } else {
    result_.path = final_path_;
  }
  result_.duration_ms = (mono_us() - started_us) / 1000;
  status_ = std::move(status);
  finished_.store(true, std::memory_order_release);
  notify_engine();
}

Status SnapshotFileWriter::write_all() {
  int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("create", temp_path_, errno);
  Status status;
  SnapshotChunk chunk;
  while (status) {
    if (!pop(chunk)) {
      status = Status::error("snapshot " + final_path_ + " abandoned before it was complete");
      break;
    }
    const uint64_t offset = result_.bytes;
    status = write_chunk(fd, chunk);
    if (status) status = write_back(fd, offset, result_.bytes - offset);
    if (status && chunk.last) {
      status = seal(fd);
      break;
    }
  }
  ::close(fd);
  return status;
}

// Writes each chunk back as soon as it is written, so the final fsync has little left and the
// device never holds a whole snapshot's writeback in its queue: the txn log's fdatasyncs
// (on the same disk when dataLogDir is not separate) wait behind one chunk at most.
Status SnapshotFileWriter::write_back(int fd, uint64_t offset, uint64_t bytes) {
  constexpr unsigned kWriteBack =
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  if (::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(bytes), kWriteBack) != 0 &&
      errno != ESPIPE && errno != EINVAL) {  // not a regular file: the final fsync does it all
    return errno_status("sync_file_range", temp_path_, errno);
  }
  return Status::ok();
}

Status SnapshotFileWriter::write_chunk(int fd, const SnapshotChunk& chunk) {
  const auto length = static_cast<uint32_t>(chunk.payload.size());
  uint8_t header[kFrameHeaderBytes];
  encode_frame_header(chunk.payload.data(), length, header);
  iovec iov[2] = {{header, sizeof(header)}, {const_cast<uint8_t*>(chunk.payload.data()), length}};
  size_t remaining = sizeof(header) + length;
  int first = 0;
  while (remaining > 0) {
    ssize_t n = ::writev(fd, iov + first, 2 - first);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("write", temp_path_, errno);
    result_.bytes += static_cast<uint64_t>(n);
    remaining -= static_cast<size_t>(n);
    // A short write: skip what went out and go on from there.
    for (size_t done = static_cast<size_t>(n); done > 0 && first < 2;) {
      size_t take = std::min(done, iov[first].iov_len);
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + take;
      iov[first].iov_len -= take;
      done -= take;
      if (iov[first].iov_len == 0) ++first;
    }
  }
  return Status::ok();
}

Status SnapshotFileWriter::seal(int fd) {
  if (::fsync(fd) != 0) return errno_status("fsync", temp_path_, errno);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) return errno_status("rename", temp_path_, errno);
  Status status = fsync_dir(dir_);
  // Renamed but not durably: the name may vanish in a crash, and the file must not be
  // mistaken for a good snapshot by this run either.
  if (!status) ::unlink(final_path_.c_str());
  return status;
}

void SnapshotFileWriter::notify_engine() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(wake_fd_, &one, sizeof(one));
  } while (n < 0 && errno == EINTR);
}

}  // namespace rk
