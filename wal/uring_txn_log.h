// The durable txn log: group commit of framed records into preallocated segments through
// its own io_uring, one write linked to one fdatasync per batch (wal/FORMAT.md).
#pragma once

#include <array>
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
  ZeroFill zero_fill = ZeroFill::kDevice;  // ringkeeper.txnLogZeroFill
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
    uint64_t next_offset = 0;       // where the next batch goes (earlier ones may be in flight)
    bool dir_sync_pending = false;  // no chain has fsynced the directory for its name yet
  };
  // One batch's write (+ fdatasync + dir fsync) chain. Chains run concurrently, each at its
  // own offset; a batch counts as durable only once its own fdatasync and every earlier
  // chain's finished (retired in order).
  struct Chain {
    Batch batch;
    uint64_t offset = 0;      // of the batch in the segment
    bool active = false;      // submitted and not retired
    bool finished = false;    // every completion in, batch durable (waits for in-order retire)
    bool failed = false;      // a completion failed: never durable
    bool dir_sync = false;    // this chain also fsyncs the directory
    unsigned cqes_pending = 0;
    uint64_t bytes_done = 0;  // of the batch, across resubmissions
    bool incomplete = false;  // short write or EAGAIN: resubmit the rest
    unsigned retries = 0;
    int64_t submit_us = 0;

    // Back to unused; the batch buffer keeps its reserved capacity.
    void reset() {
      Batch kept = std::move(batch);
      kept.clear();
      *this = Chain{};
      batch = std::move(kept);
    }
  };
  // Concurrent fdatasyncs overlap in the device (measured: 4 in flight sync several times
  // more batches per second than 1 on a virtio disk), so a slow flush does not hold the
  // batches formed behind it.
  static constexpr unsigned kChainsMax = 4;
  enum class Switch { kSwitched, kStay, kWait, kFailed };
  enum Op : uint64_t { kOpWrite = 1, kOpDataSync = 2, kOpDirSync = 3 };

  UringTxnLog(const WalOptions& options, Zxid last_zxid);
  bool needs_new_segment() const;
  Switch switch_segment();
  unsigned chains_in_flight() const { return static_cast<unsigned>(chain_tail_ - chain_head_); }
  void submit_chain(unsigned slot);
  void handle_completion(uint64_t user_data, int res);
  void on_write(Chain& chain, int res);
  void on_data_sync(Chain& chain, int res);
  void finish_chain(unsigned slot);
  void retire_chains();
  void note_failure(Chain& chain, Status status);
  void fail(Status status, bool sticky);
  void record_fsync_latency(int64_t latency_us);
  void wait_for_chains();

  const std::string dir_;
  const uint64_t segment_bytes_;
  const bool force_sync_;
  const int64_t fsync_warning_threshold_ms_;
  int dir_fd_ = -1;

  Batch forming_;
  Segment segment_;
  std::array<Chain, kChainsMax> chains_;
  uint64_t chain_head_ = 0;  // oldest chain not retired; chain n lives in chains_[n % kChainsMax]
  uint64_t chain_tail_ = 0;  // the next chain's number
  bool flush_requested_ = false;  // the forming batch waits for the chain or a segment
  bool roll_pending_ = false;

  Zxid appended_zxid_;
  Zxid durable_zxid_;
  Status health_;
  Status failure_;      // first error of a chain in flight, reported once all drained
  bool sticky_ = false;
  TxnLogStats stats_;

  std::unique_ptr<Uring> ring_;
  std::unique_ptr<SegmentPreparer> preparer_;
};

}  // namespace rk
