// UringTxnLog: the engine thread's control flow lives in flush() (form and submit a batch) and
// poll() (reap, finish the chain, resume); helpers compute or issue one step each.
#include "wal/uring_txn_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/clock.h"
#include "base/fault.h"
#include "base/log.h"
#include "wal/record.h"
#include "wal/segment.h"

namespace rk {
namespace {

constexpr unsigned kSqesPerChain = 3;  // write + fdatasync + dir fsync
constexpr unsigned kRingEntries = 16;
constexpr unsigned kCqesPerPoll = 16;
constexpr unsigned kRetriesMax = 16;  // -EAGAIN / -EINTR resubmits of one batch
constexpr uint64_t kSegmentAlignBytes = 4096;
constexpr uint64_t kSlotShift = 8;    // user_data = chain slot << kSlotShift | op

}  // namespace

UringTxnLog::UringTxnLog(const WalOptions& options, Zxid last_zxid)
    : dir_(options.dir),
      segment_bytes_(std::max(kSegmentAlignBytes, (options.segment_bytes + kSegmentAlignBytes - 1) &
                                                      ~(kSegmentAlignBytes - 1))),
      force_sync_(options.force_sync),
      fsync_warning_threshold_ms_(options.fsync_warning_threshold_ms),
      appended_zxid_(last_zxid),
      durable_zxid_(last_zxid) {}

Result<std::unique_ptr<UringTxnLog>> UringTxnLog::open(const WalOptions& options,
                                                      Zxid last_zxid) {
  std::unique_ptr<UringTxnLog> log(new UringTxnLog(options, last_zxid));
  if (mkdir(options.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_status("cannot create txn log dir", options.dir, errno);
  }
  log->dir_fd_ = ::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (log->dir_fd_ < 0) return errno_status("cannot open txn log dir", options.dir, errno);
  if (Status st = remove_file(options.dir + "/" + std::string(kPreallocSegmentName)); !st) {
    return st;
  }
  const uint8_t ops[] = {IORING_OP_WRITE, IORING_OP_FSYNC};
  auto ring = Uring::create("txn-log", kRingEntries, kRingEntries * 2, ops,
                            UringCompletions::kAtOnce);
  if (!ring) return ring.status();
  log->ring_ = std::move(*ring);
  if (options.wake_fd >= 0) {
    if (int rc = io_uring_register_eventfd(log->ring_->raw(), options.wake_fd); rc < 0) {
      return Status::error(std::string("io_uring_register_eventfd: ") + std::strerror(-rc));
    }
  }
  log->forming_.frames.reserve(options.batch_bytes_max);
  for (Chain& chain : log->chains_) chain.batch.frames.reserve(options.batch_bytes_max);
  log->preparer_ = std::make_unique<SegmentPreparer>(PreparerOptions{
      options.dir, log->segment_bytes_, options.zero_fill, options.wake_fd,
      options.prepare_retry_ms});
  if (Status st = log->preparer_->wait_first_attempt(); !st) return st;
  RK_INFO("txn log in %s: segments of %llu bytes (prepared ahead, %s), %s, after zxid 0x%llx",
          options.dir.c_str(), static_cast<unsigned long long>(log->segment_bytes_),
          options.zero_fill == ZeroFill::kWrites ? "zero-filled" : "allocated",
          options.force_sync ? "fdatasync per batch"
                             : "forceSync=no: txns count as durable when written (unsafe)",
          static_cast<unsigned long long>(last_zxid));
  return log;
}

UringTxnLog::~UringTxnLog() {
  wait_for_chains();
  preparer_.reset();
  ring_.reset();
  if (segment_.fd >= 0) close(segment_.fd);
  if (dir_fd_ >= 0) close(dir_fd_);
}

// The kernel may still read the batch buffers: wait for every chain before anything goes.
void UringTxnLog::wait_for_chains() {
  if (!ring_) return;
  for (Chain& chain : chains_) {
    while (chain.active && chain.cqes_pending > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(ring_->raw(), &cqe) != 0) return;
      Chain& owner = chains_[io_uring_cqe_get_data64(cqe) >> kSlotShift];
      --owner.cqes_pending;
      io_uring_cqe_seen(ring_->raw(), cqe);
    }
  }
}

void UringTxnLog::append(const Txn& txn) {
  RK_ASSERT(health_.is_ok());  // the contract: nothing is appended while the log is failed
  RK_ASSERT(txn.zxid > appended_zxid_);
  if (forming_.empty()) forming_.first_zxid = txn.zxid;
  append_unsealed_frame(txn, forming_.frames);
  forming_.last_zxid = txn.zxid;
  ++forming_.txns;
  appended_zxid_ = txn.zxid;
}

void UringTxnLog::roll() {
  if (segment_.fd >= 0) roll_pending_ = true;
}

void UringTxnLog::flush() {
  if (forming_.empty() || !health_.is_ok() || !failure_.is_ok()) return;
  flush_requested_ = true;  // until the batch goes out: poll() tries again
  if (chains_in_flight() == kChainsMax) return;
  if (needs_new_segment()) {
    // Only a quiet segment is left behind: its fd closes, and in-order retirement stays
    // within one segment's chains.
    if (chains_in_flight() > 0) return;
    switch (switch_segment()) {
      case Switch::kWait:  // the preparer wakes us when the segment is ready
      case Switch::kFailed:
        return;
      case Switch::kSwitched:
      case Switch::kStay:
        break;
    }
  }
  flush_requested_ = false;
  const unsigned slot = static_cast<unsigned>(chain_tail_++ % kChainsMax);
  Chain& chain = chains_[slot];
  RK_ASSERT(!chain.active);
  chain.reset();
  seal_frames(forming_.frames, segment_.identity);
  std::swap(forming_, chain.batch);  // forming_ takes the chain's empty, reserved buffer
  ++stats_.batch_count;
  stats_.batch_txns_total += chain.batch.txns;
  stats_.batch_txns_max = std::max(stats_.batch_txns_max, chain.batch.txns);
  chain.offset = segment_.next_offset;
  segment_.next_offset += chain.batch.frames.size();
  chain.dir_sync = segment_.dir_sync_pending;
  segment_.dir_sync_pending = false;
  chain.active = true;
  submit_chain(slot);
}

void UringTxnLog::poll() {
  if (io_uring_sq_ready(ring_->raw()) > 0) ring_->submit();  // a submit refused earlier (EBUSY)
  ring_->reap(kCqesPerPoll, [this](const io_uring_cqe& cqe) {
    handle_completion(io_uring_cqe_get_data64(&cqe), cqe.res);
  });
  for (unsigned slot = 0; slot < kChainsMax; ++slot) {
    const Chain& chain = chains_[slot];
    if (chain.active && !chain.finished && chain.cqes_pending == 0) finish_chain(slot);
  }
  retire_chains();
  if (!failure_.is_ok() && chains_in_flight() > 0) {
    bool drained = std::all_of(chains_.begin(), chains_.end(),
                               [](const Chain& c) { return !c.active || c.cqes_pending == 0; });
    if (drained) {
      for (Chain& chain : chains_) chain.reset();
      chain_head_ = chain_tail_;
      fail(failure_, /*sticky=*/true);
    }
  }
  if (!health_.is_ok() && !sticky_ &&
      preparer_->state() == SegmentPreparer::State::kReady) {
    RK_INFO("txn log: a new segment is ready in %s, writes resume after zxid 0x%llx",
            dir_.c_str(), static_cast<unsigned long long>(durable_zxid_));
    health_ = Status::ok();
  }
  if (flush_requested_) flush();
}

bool UringTxnLog::needs_new_segment() const {
  if (segment_.fd < 0 || roll_pending_) return true;
  // A batch bigger than a whole segment goes into a fresh one and extends it.
  return segment_.next_offset > 0 &&
         segment_.next_offset + forming_.frames.size() > segment_bytes_;
}

UringTxnLog::Switch UringTxnLog::switch_segment() {
  const bool full = segment_.fd < 0 ||
                    segment_.next_offset + forming_.frames.size() > segment_bytes_;
  switch (preparer_->state()) {
    case SegmentPreparer::State::kReady:
      break;
    case SegmentPreparer::State::kWorking:
      // A roll is not urgent (it only sets where purge may cut): writes never wait for it.
      return full ? Switch::kWait : Switch::kStay;
    case SegmentPreparer::State::kFailed:
      if (!full) return Switch::kStay;  // a roll can wait for the disk; this segment has room
      fail(preparer_->error(), /*sticky=*/false);
      return Switch::kFailed;
  }
  const std::string path = dir_ + "/" + segment_name(forming_.first_zxid);
  Result<int> fd = preparer_->take(path);
  if (!fd) {
    fail(fd.status(), /*sticky=*/true);
    return Switch::kFailed;
  }
  // The old segment is quiet (no chain in flight): everything in it is durable, and the room
  // allocated after its last record goes back to the file system.
  if (segment_.fd >= 0) preparer_->trim(segment_.fd, segment_.next_offset);
  segment_ = Segment{*fd, forming_.first_zxid, path, 0, /*dir_sync_pending=*/true};
  roll_pending_ = false;
  ++stats_.segments_opened;
  RK_INFO("txn log: writing segment %s", path.c_str());
  return Switch::kSwitched;
}

void UringTxnLog::submit_chain(unsigned slot) {
  io_uring* ring = ring_->raw();
  RK_ASSERT(io_uring_sq_space_left(ring) >= kSqesPerChain);  // one chain goes in one submit
  Chain& chain = chains_[slot];
  const uint64_t tag = uint64_t{slot} << kSlotShift;
  const uint64_t remaining_bytes = chain.batch.frames.size() - chain.bytes_done;
  io_uring_sqe* write = io_uring_get_sqe(ring);
  io_uring_prep_write(write, segment_.fd, chain.batch.frames.data() + chain.bytes_done,
                      static_cast<unsigned>(std::min<uint64_t>(remaining_bytes, 1u << 30)),
                      chain.offset + chain.bytes_done);
  io_uring_sqe_set_data64(write, tag | kOpWrite);
  chain.cqes_pending = 1;
  if (force_sync_) {
    write->flags |= IOSQE_IO_LINK;
    io_uring_sqe* sync = io_uring_get_sqe(ring);
    io_uring_prep_fsync(sync, segment_.fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sync, tag | kOpDataSync);
    ++chain.cqes_pending;
    if (chain.dir_sync) {
      sync->flags |= IOSQE_IO_LINK;
      io_uring_sqe* dir_sync = io_uring_get_sqe(ring);
      io_uring_prep_fsync(dir_sync, dir_fd_, 0);
      io_uring_sqe_set_data64(dir_sync, tag | kOpDirSync);
      ++chain.cqes_pending;
    }
  }
  chain.incomplete = false;
  chain.submit_us = mono_us();
  ring_->submit();
}

void UringTxnLog::handle_completion(uint64_t user_data, int res) {
  const uint64_t slot = user_data >> kSlotShift;
  RK_ASSERT(slot < kChainsMax);
  Chain& chain = chains_[slot];
  RK_ASSERT(chain.active && chain.cqes_pending > 0);
  switch (user_data & ((uint64_t{1} << kSlotShift) - 1)) {
    case kOpWrite:
      on_write(chain, res);
      break;
    case kOpDataSync:
      on_data_sync(chain, res);
      break;
    case kOpDirSync:
      if (res == 0) {
        chain.dir_sync = false;
      } else if (res != -ECANCELED) {
        note_failure(chain, errno_status("fsync of the txn log directory failed:", dir_, -res));
      }
      break;
    default:
      RK_ASSERT(false && "unknown txn log completion");
  }
  --chain.cqes_pending;
}

void UringTxnLog::on_write(Chain& chain, int res) {
  static FaultPoint& fault = fault_point("wal.write");
  if (int err = fault.check()) res = -err;
  if ((res == -EAGAIN || res == -EINTR) && ++chain.retries <= kRetriesMax) {
    chain.incomplete = true;  // the linked syncs come back -ECANCELED; resubmit all
    return;
  }
  if (res <= 0) {
    note_failure(chain, errno_status("write to the txn log failed:", segment_.path,
                              res == 0 ? ENOSPC : -res));
    return;
  }
  chain.bytes_done += static_cast<uint64_t>(res);
  stats_.bytes_written += static_cast<uint64_t>(res);
  // A short write breaks the link: the syncs are cancelled and the rest goes out again.
  if (chain.bytes_done < chain.batch.frames.size()) chain.incomplete = true;
}

void UringTxnLog::on_data_sync(Chain& chain, int res) {
  if (res == -ECANCELED) {
    // Expected only behind a short or failed write; anything else is no durability proof.
    if (!chain.incomplete && !chain.failed) {
      note_failure(chain, Status::error("fdatasync of the txn log " + segment_.path + " was cancelled"));
    }
    return;
  }
  static FaultPoint& fault = fault_point("wal.datasync");
  if (int err = fault.check()) res = -err;
  if (res < 0) {
    note_failure(chain, errno_status("fdatasync of the txn log failed:", segment_.path, -res));
    return;
  }
  record_fsync_latency(mono_us() - chain.submit_us);
}

// Every completion of the chain is in: done, or the rest of a short write goes out again.
// After a failure nothing is resubmitted; poll() fails the log once all chains drained.
void UringTxnLog::finish_chain(unsigned slot) {
  Chain& chain = chains_[slot];
  if (chain.failed) return;  // never durable; retirement stops at it
  if (chain.incomplete) {
    if (failure_.is_ok()) submit_chain(slot);
    return;
  }
  chain.finished = true;
}

// Batches become durable in the order they were formed: a later chain's fdatasync may
// finish first, but its batch counts only once every earlier one has.
void UringTxnLog::retire_chains() {
  while (chain_head_ < chain_tail_) {
    Chain& chain = chains_[chain_head_ % kChainsMax];
    if (!chain.finished) return;
    durable_zxid_ = chain.batch.last_zxid;
    chain.reset();
    ++chain_head_;
  }
}

void UringTxnLog::note_failure(Chain& chain, Status status) {
  chain.failed = true;
  if (failure_.is_ok()) failure_ = std::move(status);
}

void UringTxnLog::fail(Status status, bool sticky) {
  RK_ERROR("txn log failed%s: %s; txns above 0x%llx dropped", sticky ? " for good" : "",
           status.message().c_str(), static_cast<unsigned long long>(durable_zxid_));
  health_ = std::move(status);
  sticky_ = sticky_ || sticky;
  RK_ASSERT(chains_in_flight() == 0);
  forming_.clear();
  flush_requested_ = false;
  appended_zxid_ = durable_zxid_;
}

void UringTxnLog::record_fsync_latency(int64_t latency_us) {
  const uint64_t us = static_cast<uint64_t>(std::max<int64_t>(latency_us, 0));
  ++stats_.fsync_count;
  stats_.fsync_latency_us_total += us;
  stats_.fsync_latency_us_max = std::max(stats_.fsync_latency_us_max, us);
  stats_.fsync_latency_us_min =
      stats_.fsync_count == 1 ? us : std::min(stats_.fsync_latency_us_min, us);
  const int64_t latency_ms = latency_us / 1000;
  if (latency_ms <= fsync_warning_threshold_ms_) return;
  ++stats_.slow_fsync_count;
  char thread_name[32] = "?";
  pthread_getname_np(pthread_self(), thread_name, sizeof thread_name);
  RK_WARN("fsync-ing the write ahead log in %s took %lldms which will adversely effect operation "
          "latency. File size is %llu bytes. See the ZooKeeper troubleshooting guide",
          thread_name, static_cast<long long>(latency_ms),
          static_cast<unsigned long long>(
              std::max(segment_bytes_, segment_.next_offset)));
}

}  // namespace rk
