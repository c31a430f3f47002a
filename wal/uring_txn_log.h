// The durable txn log: group commit of framed records into preallocated segments through
// its own io_uring, one write linked to one fdatasync per batch (wal/FORMAT.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/uring.h"
#include "wal/preparer.h"
#include "wal/txn_log.h"

namespace rk {

struct WalOptions {
  std::string dir;                       // dataLogDir; created if missing
  uint64_t segment_bytes = 64ull << 20;  // preAllocSize; rounded up to 4 KiB
  // false (zoo.cfg forceSync=no) skips every fsync: a txn counts as durable once written to
  // the page cache, so a power loss can lose acknowledged txns. Unsafe; for tests only.
  bool force_sync = true;
  int64_t fsync_warning_threshold_ms = 1000;  // fsync.warningthresholdms
  // An eventfd the owner sleeps on: every log completion and every preparer state change
  // writes to it (-1: none, the owner polls).
  int wake_fd = -1;
  // Capacity reserved for each of the two batch buffers, so steady state never allocates. A
  // burst of txns bigger than this between two flushes still goes out whole (the buffer grows).
  uint64_t batch_bytes_max = 4ull << 20;
  int64_t prepare_retry_ms = 500;  // after the preparer failed (disk full)
};

// Owned by the engine thread, which makes every call; the segment preparer's thread is
// internal. At most one write chain is in flight; txns appended meanwhile form the next batch.
class UringTxnLog final : public TxnLog {
 public:
  // Starts a fresh segment (named at the first write after the first zxid it holds; recovery
  // has already run and cut any torn tail). last_zxid is the last txn recovered: the first
  // append must be above it. Blocks until the first segment is prepared.
  static Result<std::unique_ptr<UringTxnLog>> open(const WalOptions& options, Zxid last_zxid);
  ~UringTxnLog() override;

  void append(const Txn& txn) override;
  void flush() override;
  void poll() override;
  Zxid durable_zxid() const override { return durable_zxid_; }
  const Status& health() const override { return health_; }
  bool persistent() const override { return true; }
  void roll() override;
  bool busy() const override { return appended_zxid_ > durable_zxid_; }
  TxnLogStats stats() const override { return stats_; }

  // The segment being written ("" before the first write).
  const std::string& segment_path() const { return segment_.path; }
  uint64_t segment_bytes() const { return segment_bytes_; }
  // A prepared segment is waiting (the next switch or roll will not wait or fail).
  bool next_segment_ready() const {
    return preparer_->state() == SegmentPreparer::State::kReady;
  }

 private:
  // Txns framed back to back, checksums set when the batch is written.
  struct Batch {
    std::string frames;
    Zxid first_zxid = 0;
    Zxid last_zxid = 0;
    uint64_t txns = 0;
    bool empty() const { return txns == 0; }
    void clear() {
      frames.clear();
      txns = 0;
    }
  };
  struct Segment {
    int fd = -1;
    Zxid identity = 0;  // first zxid: the name and the checksum seed
    std::string path;
    uint64_t write_offset = 0;      // bytes of records durable (written) so far
    bool dir_sync_pending = false;  // the name is not durable yet
  };
  // The write (+ fdatasync + dir fsync) chain of the batch in flight.
  struct Chain {
    bool active = false;
    unsigned cqes_pending = 0;
    uint64_t bytes_done = 0;  // of the batch, across resubmissions
    bool incomplete = false;  // short write or EAGAIN: resubmit the rest
    unsigned retries = 0;
    int64_t submit_us = 0;
  };
  enum class Switch { kSwitched, kStay, kWait, kFailed };
  enum Op : uint64_t { kOpWrite = 1, kOpDataSync = 2, kOpDirSync = 3 };

  UringTxnLog(const WalOptions& options, Zxid last_zxid);
  bool needs_new_segment() const;
  Switch switch_segment();
  void submit_chain();
  void handle_completion(uint64_t op, int res);
  void on_write(int res);
  void on_data_sync(int res);
  void finish_chain();
  void note_failure(Status status);
  void fail(Status status, bool sticky);
  void record_fsync_latency(int64_t latency_us);

  const std::string dir_;
  const uint64_t segment_bytes_;
  const bool force_sync_;
  const int64_t fsync_warning_threshold_ms_;
  int dir_fd_ = -1;

  Batch forming_;
  Batch writing_;
  Segment segment_;
  Chain chain_;
  bool flush_requested_ = false;  // the forming batch waits for the chain or a segment
  bool roll_pending_ = false;

  Zxid appended_zxid_;
  Zxid durable_zxid_;
  Status health_;
  Status failure_;      // first error of the chain in flight, reported once it drained
  bool sticky_ = false;
  TxnLogStats stats_;

  std::unique_ptr<Uring> ring_;
  std::unique_ptr<SegmentPreparer> preparer_;
};

}  // namespace rk
