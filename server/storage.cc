// Storage: directory checks, start-up recovery, snapshot scheduling, a member's TRUNC and SNAP,
// and storage metrics.
#include "server/storage.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "engine/data_tree.h"
#include "engine/session_table.h"
#include "quorum/peer.h"
#include "server/member_state.h"
#include "snapshot/format.h"
#include "snapshot/image.h"
#include "snapshot/reader.h"
#include "wal/install.h"
#include "wal/purge.h"
#include "wal/recovery.h"
#include "wal/segment.h"

namespace rk {
namespace {

Status make_dir(const std::string& dir, const char* key) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(std::string("cannot create ") + key + " " + dir + ": " + ec.message());
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::error(std::string(key) + " " + dir + " is not writable: " + std::strerror(errno));
  }
  return Status::ok();
}

void warn_if_volatile(const std::string& dir, const char* key) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
    RK_WARN("%s %s is on tmpfs: its files do not survive a reboot", key, dir.c_str());
  }
}

// The txn log's fdatasyncs are the write path's latency; snapshots writing to the same device
// compete with them (ZooKeeper's advice: dataLogDir on its own disk).
void report_devices(const ServerConfig& config) {
  struct stat data {}, logs {};
  if (stat(config.data_dir.c_str(), &data) != 0 || stat(config.data_log_dir.c_str(), &logs) != 0) return;
  if (data.st_dev == logs.st_dev) {
    RK_WARN("dataDir %s and dataLogDir %s are on the same device (%u:%u): snapshot writes compete "
            "with txn log fsyncs; put dataLogDir on a disk of its own for steady write latency",
            config.data_dir.c_str(), config.data_log_dir.c_str(), major(data.st_dev), minor(data.st_dev));
  } else {
    RK_INFO("txn log in %s (device %u:%u), snapshots in %s (device %u:%u)",
            config.data_log_dir.c_str(), major(logs.st_dev), minor(logs.st_dev),
            config.data_dir.c_str(), major(data.st_dev), minor(data.st_dev));
  }
}

// A crash mid-snapshot leaves its temp file (snapshot.<hex>.tmp) behind: never read, and
// removed here so it does not take space for good.
void remove_stale_snapshot_temps(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("snapshot.", 0) != 0 || name.size() < 4 || name.substr(name.size() - 4) != ".tmp") continue;
    std::error_code removed;
    if (std::filesystem::remove(entry.path(), removed)) {
      RK_WARN("removed %s, left by a snapshot that never finished", entry.path().c_str());
    }
  }
}

// The txn log as read and opened ahead of the snapshot load (see open_log_early). Valid for
// the snapshot at `after_zxid` only: the newest one, which is the one that normally loads.
struct EarlyLog {
  Zxid after_zxid = 0;
  std::vector<Txn> txns;  // zxid > after_zxid, in log order
  Zxid last_zxid = 0;     // the last zxid logged after that snapshot (or its zxid)
  Status status;          // why reading or opening the log failed
  std::unique_ptr<UringTxnLog> log;
};

std::string hex(Zxid zxid) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(zxid));
  return buf;
}

WalOptions wal_options(const ServerConfig& config, int wake_fd) {
  WalOptions options;
  options.dir = config.data_log_dir;
  options.segment_bytes = static_cast<uint64_t>(config.pre_alloc_size_kib) * 1024;
  options.force_sync = config.force_sync;
  options.zero_fill = config.txn_log_zero_fill;
  options.fsync_warning_threshold_ms = config.fsync_warning_threshold_ms;
  options.wake_fd = wake_fd;
  return options;
}

// Runs on a thread of its own while the snapshot loads, in the order a start without it
// keeps: recover_log (which cuts torn tails and removes a leftover prepared segment), then
// UringTxnLog::open (which prepares the first segment). The txns after `after_zxid` wait
// for the tree in `txns`.
void open_log_early(const WalOptions& options, EarlyLog& early) {
  auto report = recover_log(options.dir, early.after_zxid, [&early](Txn&& txn) {
    early.txns.push_back(std::move(txn));
  });
  if (!report) {
    early.status = report.status();
    return;
  }
  early.last_zxid = early.txns.empty() ? early.after_zxid : std::max(early.after_zxid, early.txns.back().zxid);
  auto log = UringTxnLog::open(options, early.last_zxid);
  if (!log) {
    early.status = log.status();
    return;
  }
  early.log = std::move(*log);
}

// Every txn consumes a zxid, so the log must go on at exactly the snapshot's zxid + 1 (or at
// the first zxid of a later epoch): anything else means segments were lost, and replaying
// over the gap would build a tree nobody ever had.
Status check_continuity(Zxid snapshot_zxid, Zxid first_replayed) {
  if (first_replayed == 0 || first_replayed == snapshot_zxid + 1) return Status::ok();
  const bool next_epoch = (first_replayed >> 32) > (snapshot_zxid >> 32) &&
                          (first_replayed & 0xffffffffULL) <= 1;
  if (next_epoch) return Status::ok();
  return Status::error("the txn log goes on at zxid " + hex(first_replayed) + " after zxid " +
                       hex(snapshot_zxid) + ": the segments between are missing; refusing to "
                       "start on a tree with a gap");
}

void log_recovery(const std::string& data_dir, const RecoveryReport& recovery) {
  if (recovery.from_snapshot) {
    RK_INFO("restored %llu nodes from %s (zxid %s), replayed %llu txns from the log; last zxid %s; "
            "%lld ms",
            static_cast<unsigned long long>(recovery.snapshot_nodes), recovery.snapshot_path.c_str(),
            hex(recovery.snapshot_zxid).c_str(), static_cast<unsigned long long>(recovery.log_txns),
            hex(recovery.last_zxid).c_str(), static_cast<long long>(recovery.duration_ms));
  } else {
    RK_INFO("no snapshot in %s; replayed %llu txns from the log; last zxid %s; %lld ms",
            data_dir.c_str(), static_cast<unsigned long long>(recovery.log_txns),
            hex(recovery.last_zxid).c_str(), static_cast<long long>(recovery.duration_ms));
  }
}

}  // namespace

Storage::Storage(const ServerConfig& config)
    : config_(config),
      trigger_(config.snap_count, static_cast<uint64_t>(mono_us()) ^ static_cast<uint64_t>(getpid())) {}

Result<std::unique_ptr<Storage>> Storage::open(const ServerConfig& config) {
  Status made = make_dir(config.data_dir, "dataDir");
  if (!made) return made;
  made = make_dir(config.data_log_dir, "dataLogDir");
  if (!made) return made;
  warn_if_volatile(config.data_dir, "dataDir");
  if (config.data_log_dir != config.data_dir) warn_if_volatile(config.data_log_dir, "dataLogDir");
  report_devices(config);
  if (!config.force_sync) {
    RK_WARN("forceSync=no: writes are acknowledged before they reach the disk; a crash or power "
            "loss can lose acknowledged writes");
  }
  return std::unique_ptr<Storage>(new Storage(config));
}

Status Storage::load(Processor& processor, const std::function<void(Txn&&)>& on_txn) {
  remove_stale_snapshot_temps(config_.data_dir);
  // The log is read, and its first segment prepared, while the snapshot loads: both take
  // seconds with a large tree, and only the replay itself needs the loaded tree.
  EarlyLog early;
  std::vector<std::pair<Zxid, std::string>> snapshots = list_snapshots(config_.data_dir);
  early.after_zxid = snapshots.empty() ? 0 : snapshots.back().first;
  std::thread log_thread([this, &early] { open_log_early(wal_options(config_, wake_fd_), early); });
  auto snapshot = load_newest_snapshot(config_.data_dir, config_.extended_types_enabled);
  log_thread.join();
  if (!snapshot) return snapshot.status();
  if (snapshot->has_value()) {
    LoadedSnapshot& loaded = **snapshot;
    recovery_.from_snapshot = true;
    recovery_.snapshot_path = loaded.path;
    recovery_.snapshot_zxid = loaded.start_zxid;
    recovery_.snapshot_end_zxid = loaded.end_zxid;
    recovery_.snapshot_nodes = loaded.node_count;
    processor.restore(std::move(loaded.tree), loaded.sessions, loaded.start_zxid, mono_ms());
    snapshot->reset();
  }
  Zxid first_logged = 0;
  recovery_.last_zxid = recovery_.snapshot_zxid;
  auto take = [&](Txn&& txn) {
    if (recovery_.log_txns++ == 0) first_logged = txn.zxid;
    recovery_.last_zxid = txn.zxid;
    on_txn(std::move(txn));
  };
  if (recovery_.snapshot_zxid == early.after_zxid) {
    if (!early.status) return early.status;
    for (Txn& txn : early.txns) take(std::move(txn));
    early.txns.clear();
  } else {
    // The newest snapshot was damaged and an older one loaded: the log read ahead started
    // too late. Read it again from the older zxid, as a start without read-ahead does.
    early.log.reset();
    auto log_report = recover_log(config_.data_log_dir, recovery_.snapshot_zxid, take);
    if (!log_report) return log_report.status();
  }
  if (Status gap = check_continuity(recovery_.snapshot_zxid, first_logged); !gap) return gap;
  // A fuzzy snapshot may hold changes up to its end zxid; only the log's txns up to there make
  // its image consistent again.
  if (recovery_.last_zxid < recovery_.snapshot_end_zxid) {
    return Status::error("the txn log in " + config_.data_log_dir + " ends at zxid " +
                         hex(recovery_.last_zxid) + ", before " + hex(recovery_.snapshot_end_zxid) +
                         ", where snapshot " + recovery_.snapshot_path +
                         " ends: log segments are missing; refusing to start on an inconsistent tree");
  }
  if (early.log == nullptr) return open_log(recovery_.last_zxid);
  log_ = std::move(early.log);
  return Status::ok();
}

Status Storage::recover(Processor& processor, int wake_fd) {
  int64_t started_ms = mono_ms();
  wake_fd_ = wake_fd;
  Status loaded = load(processor, [&processor](Txn&& txn) { processor.replay(txn); });
  if (!loaded) return loaded;
  RK_ASSERT(processor.last_processed_zxid() == recovery_.last_zxid);
  recovery_.duration_ms = mono_ms() - started_ms;
  last_snapshot_zxid_ = recovery_.snapshot_zxid;
  log_recovery(config_.data_dir, recovery_);
  return Status::ok();
}

Status Storage::recover_member(Processor& processor, int wake_fd, quorum::PersistedState& persisted,
                               uint64_t& incarnation) {
  int64_t started_ms = mono_ms();
  wake_fd_ = wake_fd;
  Result<MemberState> state = load_member_state(config_.data_dir);
  if (!state) return state.status();
  Result<uint64_t> boot = next_incarnation(config_.data_dir);
  if (!boot) return boot.status();
  persisted = quorum::PersistedState{};
  // Txns up to the snapshot's end zxid were applied before (the snapshot holds some of their
  // effects): replaying them makes the tree consistent and applies nothing uncommitted.
  // Everything later is history the leader will commit or cut.
  Status loaded = load(processor, [&](Txn&& txn) {
    if (txn.zxid <= recovery_.snapshot_end_zxid) {
      processor.replay(txn);
    } else {
      persisted.log.push_back(std::move(txn));
    }
  });
  if (!loaded) return loaded;
  persisted.accepted_epoch = state->accepted_epoch;
  persisted.current_epoch = state->current_epoch;
  persisted.snapshot_zxid = processor.last_processed_zxid();
  incarnation = *boot;
  recovery_.duration_ms = mono_ms() - started_ms;
  last_snapshot_zxid_ = recovery_.snapshot_zxid;
  RK_INFO("member start-up: %s; applied up to zxid %s, %zu logged txns after it (to %s) wait for a "
          "leader's commit; acceptedEpoch %lld, currentEpoch %lld, boot %llu; %lld ms",
          recovery_.from_snapshot ? recovery_.snapshot_path.c_str() : "no snapshot",
          hex(persisted.snapshot_zxid).c_str(), persisted.log.size(), hex(recovery_.last_zxid).c_str(),
          static_cast<long long>(persisted.accepted_epoch), static_cast<long long>(persisted.current_epoch),
          static_cast<unsigned long long>(incarnation), static_cast<long long>(recovery_.duration_ms));
  return Status::ok();
}

Status Storage::persist_epochs(quorum::Epoch accepted_epoch, quorum::Epoch current_epoch) {
  return store_epochs(config_.data_dir, accepted_epoch, current_epoch);
}

Status Storage::truncate_log(Zxid zxid) {
  if (zxid < last_snapshot_zxid_) {
    return Status::error("refusing to cut the txn log after zxid " + hex(zxid) + ": the snapshot at " +
                         hex(last_snapshot_zxid_) + " holds applied txns above it");
  }
  if (Status drained = drain_log(); !drained) return drained;
  const Zxid last_zxid = std::min(zxid, log_->durable_zxid());
  close_log();
  if (Status cut = truncate_log_after(config_.data_log_dir, zxid); !cut) return cut;
  return open_log(last_zxid);
}

Status Storage::install_image(const quorum::StateImage& image, const std::vector<Txn>& txns,
                              Processor& processor) {
  if (image.bytes == nullptr) return Status::error("snapshot image at " + hex(image.zxid) + " without bytes");
  Result<LoadedSnapshot> decoded = decode_image(*image.bytes, config_.extended_types_enabled);
  if (!decoded) return Status::error("snapshot image from the leader: " + decoded.status().message());
  if (decoded->start_zxid != image.zxid || decoded->end_zxid != image.zxid) {
    return Status::error("snapshot image said to be at zxid " + hex(image.zxid) + " holds zxids " +
                         hex(decoded->start_zxid) + ".." + hex(decoded->end_zxid));
  }
  // The tree is about to be replaced under the walk.
  abandon_snapshot();
  // The snapshot is durable before the log install starts: whichever log a crash leaves,
  // the old one or the new one, recovery starts from this snapshot.
  Status written = replace_file(config_.data_dir, snapshot_file_name(image.zxid), *image.bytes);
  if (!written) return written;
  close_log();
  if (Status installed = install_log(config_.data_log_dir, image.zxid, txns); !installed) return installed;
  if (Status opened = open_log(txns.empty() ? image.zxid : txns.back().zxid); !opened) return opened;
  // A snapshot of this member's own above the image is committed state the new log also
  // leads to; removed, recovery starts from the image as the leader meant.
  for (const auto& [zxid, path] : list_snapshots(config_.data_dir)) {
    if (zxid <= image.zxid) continue;
    RK_INFO("removing %s, above the leader's snapshot at %s", path.c_str(), hex(image.zxid).c_str());
    if (Status removed = remove_file(path); !removed) return removed;
  }
  if (Status synced = fsync_dir(config_.data_dir); !synced) return synced;
  processor.reset_state(std::move(decoded->tree), decoded->sessions, image.zxid, mono_ms());
  last_snapshot_zxid_ = image.zxid;
  return Status::ok();
}

quorum::StateImage Storage::capture_image(const Processor& processor, int64_t now_wall_ms) const {
  std::vector<std::pair<SessionId, int32_t>> sessions;
  for (const Session& s : processor.sessions().all()) sessions.emplace_back(s.id, s.timeout_ms);
  const Zxid zxid = processor.last_processed_zxid();
  return quorum::StateImage{
      zxid, std::make_shared<const std::string>(encode_image(processor.tree(), sessions, zxid, now_wall_ms))};
}

TxnLogStats Storage::stats() const {
  TxnLogStats total = closed_log_stats_;
  if (log_ == nullptr) return total;
  const TxnLogStats open = log_->stats();
  if (open.fsync_count > 0) {
    total.fsync_latency_us_min = total.fsync_count == 0 ? open.fsync_latency_us_min
                                                        : std::min(total.fsync_latency_us_min, open.fsync_latency_us_min);
  }
  total.fsync_count += open.fsync_count;
  total.fsync_latency_us_total += open.fsync_latency_us_total;
  total.fsync_latency_us_max = std::max(total.fsync_latency_us_max, open.fsync_latency_us_max);
  total.slow_fsync_count += open.slow_fsync_count;
  total.batch_count += open.batch_count;
  total.batch_txns_total += open.batch_txns_total;
  total.batch_txns_max = std::max(total.batch_txns_max, open.batch_txns_max);
  total.bytes_written += open.bytes_written;
  total.segments_opened += open.segments_opened;
  return total;
}

Status Storage::open_log(Zxid last_zxid) {
  RK_ASSERT(log_ == nullptr);
  auto log = UringTxnLog::open(wal_options(config_, wake_fd_), last_zxid);
  if (!log) return log.status();
  log_ = std::move(*log);
  return Status::ok();
}

// Closing drops whatever was appended and not yet flushed; a batch in flight finishes first
// (the log's destructor waits for it).
void Storage::close_log() {
  closed_log_stats_ = stats();
  log_.reset();
}

// Until everything appended is durable, or the log failed.
Status Storage::drain_log() {
  const int64_t deadline_ms = mono_ms() + kLogDrainMs;
  while (log_->busy() && log_->health().is_ok()) {
    if (mono_ms() > deadline_ms) {
      return Status::error("the txn log in " + config_.data_log_dir + " did not make its batches durable in " +
                           std::to_string(kLogDrainMs) + " ms");
    }
    log_->flush();
    log_->poll();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return log_->health();
}

void Storage::abandon_snapshot() {
  if (snapshot_ == nullptr) return;
  RK_INFO("snapshot at zxid %s abandoned: the state it was taking is being replaced",
          hex(last_snapshot_zxid_).c_str());
  snapshot_.reset();  // removes its temp file
}

int64_t Storage::run(Processor& processor, TxnLog& log, int64_t now_wall_ms) {
  if (snapshot_ != nullptr) return step_snapshot(processor);
  uint64_t logged = log.stats().batch_txns_total;
  if (!log.health().is_ok() || !trigger_.should_start(logged - txns_at_last_snapshot_)) {
    return kNoWait;
  }
  start_snapshot(processor, log, now_wall_ms);
  return snapshot_ != nullptr ? 0 : kNoWait;
}

int64_t Storage::step_snapshot(const Processor& processor) {
  if (snapshot_->done()) {
    if (snapshot_->status().is_ok()) {
      finish_snapshot();
    } else {
      RK_ERROR("snapshot at zxid %s failed: %s; the previous snapshot and the log stay in use",
               hex(last_snapshot_zxid_).c_str(), snapshot_->status().message().c_str());
      ++snapshots_failed_;
      snapshot_.reset();
    }
    return kNoWait;
  }
  uint64_t before = snapshot_->nodes_written();
  snapshot_->step(processor.tree(), kSnapshotNodesPerStep, processor.last_processed_zxid());
  if (snapshot_->nodes_written() != before) return 0;
  // The walk is over (the file thread rings wake_fd when the file is complete) or the file
  // thread is behind: look again shortly rather than spin.
  return kSnapshotBackoffMs;
}

void Storage::start_snapshot(Processor& processor, TxnLog& log, int64_t now_wall_ms) {
  txns_at_last_snapshot_ = log.stats().batch_txns_total;
  trigger_.restart();
  // The log rolls with the snapshot, so purging old segments and old snapshots go together.
  log.roll();
  Zxid zxid = processor.last_processed_zxid();
  SnapshotOptions options;
  options.dir = config_.data_dir;
  options.wake_fd = wake_fd_;
  auto writer = SnapshotWriter::start(options, zxid, now_wall_ms, processor.sessions());
  if (!writer) {
    RK_ERROR("cannot start a snapshot at zxid %s: %s", hex(zxid).c_str(),
             writer.status().message().c_str());
    ++snapshots_failed_;
    return;
  }
  last_snapshot_zxid_ = zxid;
  snapshot_ = std::move(*writer);
  RK_INFO("snapshot at zxid %s started (%zu nodes, writes go on)", hex(zxid).c_str(),
          processor.tree().node_count());
}

void Storage::finish_snapshot() {
  last_snapshot_ = snapshot_->result();
  const SnapshotResult& result = last_snapshot_;
  ++snapshots_taken_;
  RK_INFO("snapshot %s complete: %llu nodes, %llu bytes, %lld ms", result.path.c_str(),
          static_cast<unsigned long long>(result.node_count),
          static_cast<unsigned long long>(result.bytes), static_cast<long long>(result.duration_ms));
  snapshot_.reset();
}

void Storage::metrics(std::vector<std::pair<std::string, std::string>>& out) const {
  TxnLogStats s = stats();
  auto put = [&out](const char* key, uint64_t value) { out.emplace_back(key, std::to_string(value)); };
  put("fsync_count", s.fsync_count);
  put("fsync_latency_min_us", s.fsync_latency_us_min);
  put("fsync_latency_avg_us", s.fsync_count == 0 ? 0 : s.fsync_latency_us_total / s.fsync_count);
  put("fsync_latency_max_us", s.fsync_latency_us_max);
  put("fsync_slow_count", s.slow_fsync_count);
  put("txn_log_batches", s.batch_count);
  put("txn_log_batch_txns_avg", s.batch_count == 0 ? 0 : s.batch_txns_total / s.batch_count);
  put("txn_log_batch_txns_max", s.batch_txns_max);
  put("txn_log_bytes_written", s.bytes_written);
  put("txn_log_segments_opened", s.segments_opened);
  put("snapshots_taken", snapshots_taken_);
  put("snapshots_failed", snapshots_failed_);
  put("snapshot_in_progress", snapshot_ != nullptr ? 1 : 0);
  put("last_snapshot_duration_ms", static_cast<uint64_t>(last_snapshot_.duration_ms));
  put("last_snapshot_nodes", last_snapshot_.node_count);
  put("last_snapshot_bytes", last_snapshot_.bytes);
  out.emplace_back("last_snapshot_zxid", hex(last_snapshot_zxid_));
  out.emplace_back("txn_log_health", log_->health().is_ok() ? "ok" : log_->health().message());
  put("startup_recovery_ms", static_cast<uint64_t>(recovery_.duration_ms));
}

Status purge_storage(const ServerConfig& config, int retain_count) {
  auto report = purge_files(config.data_dir, config.data_log_dir, retain_count);
  if (!report) return report.status();
  for (const std::string& path : report->removed_snapshots) RK_INFO("purged %s", path.c_str());
  for (const std::string& path : report->removed_segments) RK_INFO("purged %s", path.c_str());
  RK_INFO("purge kept the %d newest snapshots and the logs they need; removed %zu snapshots and "
          "%zu log segments",
          std::max(retain_count, kPurgeRetainCountMin), report->removed_snapshots.size(),
          report->removed_segments.size());
  return Status::ok();
}

}  // namespace rk
