// A server's durable storage: the data and log directories, recovery at start-up (newest
// valid snapshot + the log after it), the txn log for new writes, and fuzzy snapshots taken
// while writes go on (DESIGN.md § Storage).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/config.h"
#include "server/engine_core.h"
#include "snapshot/trigger.h"
#include "snapshot/writer.h"
#include "wal/uring_txn_log.h"

namespace rk {

// What start-up recovery found, for the log line and tests.
struct RecoveryReport {
  bool from_snapshot = false;
  std::string snapshot_path;
  Zxid snapshot_zxid = 0;
  uint64_t snapshot_nodes = 0;
  uint64_t log_txns = 0;
  Zxid last_zxid = 0;
  int64_t duration_ms = 0;
};

// Built and recovered on the main thread before the engine starts; from then on owned by the
// engine thread: the TxnLog calls and run() (snapshot stepping) happen there only. It forwards
// the TxnLog calls to the log it opened at recovery, so the engine can hold it from the start.
class Storage final : public TxnLog, public EngineChore {
 public:
  // Creates missing directories, checks them (writable, not tmpfs, separate devices) and
  // logs what it finds.
  static Result<std::unique_ptr<Storage>> open(const ServerConfig& config);

  // Fills `processor` from disk and opens the log for new writes. `wake_fd` is written when
  // log or snapshot I/O finishes (the engine's doorbell).
  Status recover(Processor& processor, int wake_fd);
  const RecoveryReport& recovery() const { return recovery_; }

  // TxnLog, forwarded.
  void append(const Txn& txn) override { log_->append(txn); }
  void flush() override { log_->flush(); }
  void poll() override { log_->poll(); }
  Zxid durable_zxid() const override { return log_->durable_zxid(); }
  const Status& health() const override { return log_->health(); }
  bool persistent() const override { return true; }
  void roll() override { log_->roll(); }
  bool busy() const override { return log_->busy(); }
  TxnLogStats stats() const override { return log_->stats(); }

  // EngineChore: starts a snapshot when the trigger says so and serializes a slice of it.
  int64_t run(Processor& processor, TxnLog& log, int64_t now_wall_ms) override;

  // mntr lines of our own ("fsync_latency_avg_us", ...), engine thread.
  void metrics(std::vector<std::pair<std::string, std::string>>& out) const;

 private:
  explicit Storage(const ServerConfig& config);
  void start_snapshot(Processor& processor, TxnLog& log, int64_t now_wall_ms);
  void finish_snapshot();
  int64_t step_snapshot(const Processor& processor);

  // Nodes serialized per engine loop iteration: small enough that one slice costs well under
  // a millisecond, so requests are never held behind a snapshot.
  static constexpr size_t kSnapshotNodesPerStep = 256;
  // While the file thread is behind, look again this often.
  static constexpr int64_t kSnapshotBackoffMs = 1;

  const ServerConfig& config_;
  int wake_fd_ = -1;
  RecoveryReport recovery_;
  std::unique_ptr<UringTxnLog> log_;
  SnapshotTrigger trigger_;
  std::unique_ptr<SnapshotWriter> snapshot_;
  uint64_t txns_at_last_snapshot_ = 0;  // log stats batch_txns_total when the last one began
  uint64_t snapshots_taken_ = 0;
  uint64_t snapshots_failed_ = 0;
  SnapshotResult last_snapshot_;  // the last one that completed
  Zxid last_snapshot_zxid_ = 0;   // the last one started
};

// Keeps the `retain_count` newest snapshots and the logs needed to replay from the oldest of
// them; deletes the rest (zkCleanup.sh / PurgeTxnLog). Logs what it removed.
Status purge_storage(const ServerConfig& config, int retain_count);

}  // namespace rk
