// The txn log seam between the engine thread and storage. The engine appends every txn it
// makes, flushes once per loop iteration (one group-commit batch), and commits up to
// durable_zxid(). Owned and called by the engine thread only.
#pragma once

#include "base/status.h"
#include "engine/txn.h"

namespace rk {

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
  // Sticky failure (failed fsync, full disk): writes must stop; the message says why.
  virtual const Status& health() const = 0;
  // False for a log that keeps nothing across a restart.
  virtual bool persistent() const = 0;
};

// Keeps nothing: every appended txn is "durable" at once. Used until a real log is
// configured, and by tests of the layers above storage.
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
