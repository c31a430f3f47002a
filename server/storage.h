// A server's durable storage: the data and log directories, recovery at start-up (newest
// valid snapshot + the log after it), the txn log for new writes, and fuzzy snapshots taken
// while writes go on (DESIGN.md § Storage). For an ensemble member also its epochs, the
// leader's TRUNC and SNAP, and images of its state for learners (quorum/PROTOCOL.md § What
// the owner must do).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "quorum/messages.h"
#include "server/config.h"
#include "server/engine_core.h"
#include "snapshot/trigger.h"
#include "snapshot/writer.h"
#include "wal/uring_txn_log.h"

namespace rk {

namespace quorum {
struct PersistedState;
}

// What start-up recovery found, for the log line and tests.
struct RecoveryReport {
  bool from_snapshot = false;
  std::string snapshot_path;
  Zxid snapshot_zxid = 0;      // its start zxid
  Zxid snapshot_end_zxid = 0;  // the log must reach at least this far
  uint64_t snapshot_nodes = 0;
  uint64_t log_txns = 0;       // read from the log after the snapshot
  Zxid last_zxid = 0;          // the log's last txn (or the snapshot's zxid)
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

  // ---- Ensemble members. recover_member runs on the main thread before the engine starts;
  // the rest on the engine thread, like the TxnLog calls. After an error from any of them
  // the member's durable state is not known to match what its peer was told: the owner stops.

  // Start-up of a member, which must not apply txns that may be uncommitted: loads the newest
  // snapshot into `processor`, replays only the log's txns up to the snapshot's end zxid (a
  // fuzzy snapshot already holds some of their effects, so they were applied, so committed),
  // and hands every later txn to `persisted.log` unapplied. Fills persisted's epochs
  // (load_member_state) and snapshot zxid (what the processor applied), bumps the incarnation
  // and opens the log for appends after its last txn. An interrupted log install is finished
  // first. No snapshot and no log: a member starting empty.
  Status recover_member(Processor& processor, int wake_fd, quorum::PersistedState& persisted,
                        uint64_t& incarnation);

  // PersistEpoch: both epochs durable before it returns.
  Status persist_epochs(quorum::Epoch accepted_epoch, quorum::Epoch current_epoch);

  // Truncate: waits until every appended txn is durable, then cuts the log after `zxid` on
  // disk and reopens it there: durable_zxid() is then min(zxid, the log's last txn). A
  // snapshot being written goes on (it is of applied, hence committed, state, which no
  // TRUNC cuts); cutting below the last snapshot's zxid is refused.
  Status truncate_log(Zxid zxid);

  // InstallSnapshot: the leader's image becomes this member's snapshot (a durable
  // snapshot.<zxid> file) and `txns` its whole log (wal/install.h), then the image replaces
  // the processor's state. A snapshot being written is abandoned. The image's bytes are
  // verified before anything changes; they must be a snapshot whose start and end zxid are
  // image.zxid.
  Status install_image(const quorum::StateImage& image, const std::vector<Txn>& txns, Processor& processor);

  // StateSource::capture: the applied tree and sessions, serialized now, at the last
  // applied zxid.
  quorum::StateImage capture_image(const Processor& processor, int64_t now_wall_ms) const;

  // TxnLog, forwarded.
  void append(const Txn& txn) override { log_->append(txn); }
  void flush() override { log_->flush(); }
  void poll() override { log_->poll(); }
  Zxid durable_zxid() const override { return log_->durable_zxid(); }
  const Status& health() const override { return log_->health(); }
  bool persistent() const override { return true; }
  void roll() override { log_->roll(); }
  bool busy() const override { return log_->busy(); }
  // Since start: the counters of the logs closed by a TRUNC or SNAP and of the open one.
  TxnLogStats stats() const override;

  // EngineChore: starts a snapshot when the trigger says so and serializes a slice of it.
  int64_t run(Processor& processor, TxnLog& log, int64_t now_wall_ms) override;

  // mntr lines of our own ("fsync_latency_avg_us", ...), engine thread.
  void metrics(std::vector<std::pair<std::string, std::string>>& out) const;

 private:
  explicit Storage(const ServerConfig& config);
  // Start-up for both modes: the newest good snapshot into `processor`, then each logged txn
  // after it to `on_txn`, in order; checks that the log goes on from the snapshot and reaches
  // its end zxid, and opens the log after the last txn. Fills recovery_ (but for duration).
  Status load(Processor& processor, const std::function<void(Txn&&)>& on_txn);
  Status open_log(Zxid last_zxid);
  void close_log();
  Status drain_log();
  void abandon_snapshot();
  void start_snapshot(Processor& processor, TxnLog& log, int64_t now_wall_ms);
  void finish_snapshot();
  int64_t step_snapshot(const Processor& processor);

  // Nodes serialized per engine loop iteration: small enough that one slice costs well under
  // a millisecond, so requests are never held behind a snapshot.
  static constexpr size_t kSnapshotNodesPerStep = 256;
  // While the file thread is behind, look again this often.
  static constexpr int64_t kSnapshotBackoffMs = 1;
  // A TRUNC waits this long at most for the batches in flight to become durable.
  static constexpr int64_t kLogDrainMs = 60'000;

  const ServerConfig& config_;
  int wake_fd_ = -1;
  RecoveryReport recovery_;
  std::unique_ptr<UringTxnLog> log_;
  TxnLogStats closed_log_stats_;  // of the logs a TRUNC or SNAP closed
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
