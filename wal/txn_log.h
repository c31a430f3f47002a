// The txn log seam between the engine thread and storage. The engine appends every txn it
// makes, flushes once per loop iteration (one group-commit batch), and commits up to
// durable_zxid(). Owned and called by the engine thread only.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "engine/txn.h"

namespace rk {

// Counters for `mntr`; cumulative since start.
struct TxnLogStats {
  uint64_t fsync_count = 0;
  uint64_t fsync_latency_us_total = 0;
  uint64_t fsync_latency_us_min = 0;  // 0 until the first fsync
  uint64_t fsync_latency_us_max = 0;
  uint64_t slow_fsync_count = 0;      // over fsync.warningthresholdms
  uint64_t batch_count = 0;           // write (+ fdatasync) chains submitted
  uint64_t batch_txns_total = 0;
  uint64_t batch_txns_max = 0;
  uint64_t bytes_written = 0;         // record bytes, framing included
  uint64_t segments_opened = 0;
};

// The failure contract (what the engine relies on):
//   - health() turns non-ok only once no log I/O is in flight. At that moment durable_zxid()
//     is final for the failure, and every txn appended above it has been dropped (it will
//     never be written), so the engine may abort those txns and later reuse their zxids.
//   - While health() is non-ok the engine appends nothing.
//   - A failed fdatasync or write error is sticky until restart (the kernel may have dropped
//     dirty pages; a retry proves nothing). Running out of space for the next segment is
//     not: health() turns ok again once a segment could be prepared, and the next append
//     must then carry zxid durable_zxid() + 1.
class TxnLog {
 public:
  virtual ~TxnLog() = default;

  // Adds a txn to the batch being formed. Zxids are strictly rising.
  virtual void append(const Txn& txn) = 0;
  // Ends the batch: starts making everything appended so far durable. Cheap when empty.
  virtual void flush() = 0;
  // Reaps finished I/O without blocking.
  virtual void poll() = 0;
  // Highest zxid whose record is durable (or, without fsync, written).
  virtual Zxid durable_zxid() const = 0;
  // Failure (failed fsync, full disk): writes must stop; the message says why.
  virtual const Status& health() const = 0;
  // False for a log that keeps nothing across a restart.
  virtual bool persistent() const = 0;
  // The next appended txn starts a new segment (a snapshot begins).
  virtual void roll() {}
  // True while appended txns are not durable yet (the engine must come back for them).
  virtual bool busy() const { return false; }
  virtual TxnLogStats stats() const { return {}; }
};

// Keeps nothing: every appended txn is "durable" at once. Used by tests of the layers above
// storage.
class MemoryTxnLog final : public TxnLog {
 public:
  void append(const Txn& txn) override { last_ = txn.zxid; }
  void flush() override {}
  void poll() override {}
  Zxid durable_zxid() const override { return last_; }
  const Status& health() const override { return health_; }
  bool persistent() const override { return false; }

 private:
  Zxid last_ = 0;
  Status health_;
};

}  // namespace rk
