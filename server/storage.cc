// Storage: directory checks, start-up recovery, snapshot scheduling and storage metrics.
#include "server/storage.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "engine/data_tree.h"
#include "snapshot/reader.h"
#include "wal/purge.h"
#include "wal/recovery.h"

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
  Zxid last_zxid = 0;     // the last zxid once they are replayed over that snapshot
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

Status Storage::recover(Processor& processor, int wake_fd) {
  int64_t started_ms = mono_ms();
  wake_fd_ = wake_fd;
  remove_stale_snapshot_temps(config_.data_dir);
  // The log is read, and its first segment prepared, while the snapshot loads: both take
  // seconds with a large tree, and only the replay itself needs the loaded tree.
  EarlyLog early;
  std::vector<std::pair<Zxid, std::string>> snapshots = list_snapshots(config_.data_dir);
  early.after_zxid = snapshots.empty() ? 0 : snapshots.back().first;
  std::thread log_thread([this, wake_fd, &early] { open_log_early(wal_options(config_, wake_fd), early); });
  auto snapshot = load_newest_snapshot(config_.data_dir, config_.extended_types_enabled);
  log_thread.join();
  if (!snapshot) return snapshot.status();
  Zxid snapshot_end_zxid = 0;
  if (snapshot->has_value()) {
    LoadedSnapshot& loaded = **snapshot;
    recovery_.from_snapshot = true;
    recovery_.snapshot_path = loaded.path;
    recovery_.snapshot_zxid = loaded.start_zxid;
    recovery_.snapshot_nodes = loaded.node_count;
    snapshot_end_zxid = loaded.end_zxid;
    processor.restore(std::move(loaded.tree), loaded.sessions, loaded.start_zxid, mono_ms());
    snapshot->reset();
  }
  uint64_t replayed = 0;
  Zxid first_replayed = 0;
  if (recovery_.snapshot_zxid == early.after_zxid) {
    if (!early.status) return early.status;
    if (!early.txns.empty()) first_replayed = early.txns.front().zxid;
    for (const Txn& txn : early.txns) processor.replay(txn);
    replayed = early.txns.size();
    RK_ASSERT(processor.last_processed_zxid() == early.last_zxid);
  } else {
    // The newest snapshot was damaged and an older one loaded: the log read ahead started
    // too late. Read it again from the older zxid, as a start without read-ahead does.
    early.log.reset();
    auto log_report = recover_log(config_.data_log_dir, recovery_.snapshot_zxid, [&](Txn&& txn) {
      if (replayed++ == 0) first_replayed = txn.zxid;
      processor.replay(txn);
    });
    if (!log_report) return log_report.status();
  }
  recovery_.log_txns = replayed;
  recovery_.last_zxid = processor.last_processed_zxid();
  if (Status gap = check_continuity(recovery_.snapshot_zxid, first_replayed); !gap) return gap;
  // A fuzzy snapshot may hold changes up to its end zxid; only the log's txns up to there make
  // its image consistent again.
  if (recovery_.last_zxid < snapshot_end_zxid) {
    return Status::error("the txn log in " + config_.data_log_dir + " ends at zxid " +
                         hex(recovery_.last_zxid) + ", before " + hex(snapshot_end_zxid) +
                         ", where snapshot " + recovery_.snapshot_path +
                         " ends: log segments are missing; refusing to start on an inconsistent tree");
  }
  if (early.log == nullptr) {
    auto log = UringTxnLog::open(wal_options(config_, wake_fd), recovery_.last_zxid);
    if (!log) return log.status();
    early.log = std::move(*log);
  }
  log_ = std::move(early.log);
  recovery_.duration_ms = mono_ms() - started_ms;
  last_snapshot_zxid_ = recovery_.snapshot_zxid;
  log_recovery(config_.data_dir, recovery_);
  return Status::ok();
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
  TxnLogStats s = log_->stats();
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
