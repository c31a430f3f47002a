// rk_commit_ceiling: group commit through UringTxnLog against its ceiling, a bare io_uring
// write -> fdatasync loop at the same batch size and chains in flight. The two run in
// alternating short slices on the same disk, so each log slice is compared with the bare
// slice right after it, not with a run minutes away (a shared disk's fdatasync drifts 10x).
#include <fcntl.h>
#include <linux/magic.h>
#include <liburing.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/doorbell.h"
#include "base/log.h"
#include "wal/preparer.h"
#include "wal/record.h"
#include "wal/uring_txn_log.h"

namespace rk {
namespace {

constexpr unsigned kChainsMax = 4;              // UringTxnLog's own limit
constexpr int kWaitMs = 100;                    // a sleep that nothing woke is re-checked
constexpr int64_t kPrepareWaitUsMax = 60'000'000;

std::atomic<bool> g_interrupted{false};

struct Config {
  std::vector<unsigned> batches{1, 8, 64, 256, 1024};  // txns per batch
  std::vector<unsigned> chains{1, 4};                  // batches in flight
  int64_t slice_ms = 500;
  unsigned pairs = 6;
  std::string dir = ".";
  std::string csv;
  uint64_t prealloc_kib = 65536;  // zoo.cfg preAllocSize, the server's default
  ZeroFill zero_fill = ZeroFill::kDevice;  // ringkeeper.txnLogZeroFill, the server's default
  uint64_t bare_file_mib = 1024;  // the bare loop appends through one file this big, prepared once
  bool verbose = false;
  bool encode_ahead = true;  // the log's next batch is appended while chains are in flight
};

// What one contender did in one slice. A slice ends once the deadline passed and the batches
// in flight are durable (and, for the log, the segment it started preparing is ready).
struct Slice {
  uint64_t txns = 0;
  int64_t elapsed_us = 0;
  std::vector<int64_t> batch_latency_us;  // submit -> durable, per batch
  uint64_t segments_opened = 0;
  int64_t prepare_wait_us = 0;  // log: after its last batch, until its next segment was ready
  int64_t append_us = 0;         // log: in append() (encoding records), for batches_appended
  uint64_t batches_appended = 0;
  uint64_t overtaking = 0;       // bare: batches durable while an older one was still in flight

  double txns_per_s() const { return elapsed_us > 0 ? txns * 1e6 / elapsed_us : 0; }
};

// A setData of a 48-byte value on a 16-byte path: encodes to ~100 bytes, as BM_GroupCommit.
Txn bench_txn(Zxid zxid) {
  Txn txn = make_txn(0x100, 7, zxid, 1'700'000'000'000, OpCode::kSetData);
  txn.path = "/bench/node-0001";
  txn.data = std::string(48, 'v');
  txn.version = 3;
  return txn;
}

// The log driven as the engine drives it: append a batch's txns, flush, poll, sleep on the
// eventfd its ring and preparer write. Owned by the main thread.
class LogContender {
 public:
  static Result<std::unique_ptr<LogContender>> open(const std::string& dir, uint64_t segment_bytes,
                                                    ZeroFill zero_fill, bool encode_ahead) {
    std::unique_ptr<LogContender> c(new LogContender());
    c->encode_ahead_ = encode_ahead;
    if (Status st = c->doorbell_.open(); !st) return st;
    WalOptions options;  // the server's (server/storage.cc wal_options) but for the dir and size
    options.dir = dir;
    options.segment_bytes = segment_bytes;
    options.zero_fill = zero_fill;
    options.wake_fd = c->doorbell_.fd();
    auto log = UringTxnLog::open(options, 0);
    if (!log) return log.status();
    c->log_ = std::move(*log);
    return c;
  }

  Result<Slice> run(unsigned batch, unsigned chains, int64_t slice_us) {
    struct Pending {
      Zxid last_zxid;
      uint64_t txns;
      int64_t flush_us;
    };
    std::deque<Pending> pending;
    Slice slice;
    const uint64_t segments_before = log_->stats().segments_opened;
    const int64_t start_us = mono_us();
    const int64_t deadline_us = start_us + slice_us;
    for (;;) {
      const bool open = mono_us() < deadline_us && !g_interrupted.load();
      while (open && pending.size() < chains) {
        if (formed_txns_ == 0) append_batch(batch, slice);
        log_->flush();
        pending.push_back({next_zxid_ - 1, formed_txns_, mono_us()});
        formed_txns_ = 0;
      }
      // The engine appends each txn as its request comes in, while the chains are in flight,
      // and flushes once per loop: the next batch is encoded now, not when a chain retires.
      if (open && encode_ahead_ && formed_txns_ == 0) append_batch(batch, slice);
      log_->poll();
      if (!log_->health().is_ok()) return log_->health();
      bool retired = false;
      while (!pending.empty() && pending.front().last_zxid <= log_->durable_zxid()) {
        slice.batch_latency_us.push_back(mono_us() - pending.front().flush_us);
        slice.txns += pending.front().txns;
        pending.pop_front();
        retired = true;
      }
      if (pending.empty() && !open) break;
      if (!retired) sleep();
    }
    // The segment the log started preparing competes for the disk: it is the log's work.
    const int64_t drained_us = mono_us();
    if (Status st = wait_segment_ready(); !st) return st;
    slice.elapsed_us = mono_us() - start_us;
    slice.prepare_wait_us = mono_us() - drained_us;
    slice.segments_opened = log_->stats().segments_opened - segments_before;
    return slice;
  }

  // One txn through, then the preparer's next segment: nothing left running in the background.
  Status warm_up() {
    append_next();
    log_->flush();
    while (log_->busy() && log_->health().is_ok()) {
      log_->poll();
      if (log_->busy()) sleep();
    }
    if (!log_->health().is_ok()) return log_->health();
    return wait_segment_ready();
  }

 private:
  LogContender() : txn_(bench_txn(1)) {}

  void append_next() {
    txn_.zxid = next_zxid_++;
    log_->append(txn_);
  }
  void append_batch(unsigned batch, Slice& slice) {
    const int64_t begin_us = mono_us();
    for (unsigned i = 0; i < batch; ++i) append_next();
    formed_txns_ = batch;
    slice.append_us += mono_us() - begin_us;
    ++slice.batches_appended;
  }
  void sleep() {
    doorbell_.prepare_sleep();
    doorbell_.wait(kWaitMs);
    doorbell_.cancel_sleep();
  }
  Status wait_segment_ready() {
    const int64_t give_up_us = mono_us() + kPrepareWaitUsMax;
    while (!log_->next_segment_ready()) {
      if (mono_us() > give_up_us) return Status::error("the log's next segment is not ready after 60 s");
      sleep();
      log_->poll();
      if (!log_->health().is_ok()) return log_->health();
    }
    return Status::ok();
  }

  Doorbell doorbell_;
  std::unique_ptr<UringTxnLog> log_;  // after doorbell_: closed first
  Txn txn_;
  Zxid next_zxid_ = 1;
  bool encode_ahead_ = true;
  uint64_t formed_txns_ = 0;  // appended, not flushed yet (carried into the next slice)
};

// The ceiling: `chains` independent write -> fdatasync linked chains on one ring, chain i
// appending to region i of one segment prepared exactly as the log's (SegmentPreparer),
// wrapping around in its region. Every batch writes the same sealed frames the log would.
class BareContender {
 public:
  // One file of `file_bytes`, prepared like the log's segments before any slice runs, which
  // the loop appends through from slice to slice (wrapping only when it is full: wraps()).
  static Result<std::unique_ptr<BareContender>> open(const std::string& dir, uint64_t file_bytes,
                                                     ZeroFill zero_fill) {
    std::unique_ptr<BareContender> c(new BareContender());
    c->file_bytes_ = file_bytes;
    if (mkdir(dir.c_str(), 0755) != 0) return Status::error("cannot create " + dir + ": " + std::strerror(errno));
    {
      SegmentPreparer preparer(PreparerOptions{dir, file_bytes, zero_fill});
      if (Status st = preparer.wait_first_attempt(); !st) return st;
      auto fd = preparer.take(dir + "/bare.segment");
      if (!fd) return fd.status();
      c->fd_ = *fd;
    }  // the preparer's next segment is left under its temp name; the work dir goes at the end
    if (int rc = io_uring_queue_init(16, &c->ring_, 0); rc < 0) {
      return Status::error(std::string("io_uring_queue_init: ") + std::strerror(-rc));
    }
    c->ring_ready_ = true;
    return c;
  }
  uint64_t wraps() const { return wraps_; }
  ~BareContender() {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    if (fd_ >= 0) close(fd_);
  }

  Result<Slice> run(unsigned batch, unsigned chains, int64_t slice_us) {
    const std::string frames = sealed_frames(batch);
    if (frames.size() > file_bytes_) return Status::error("a batch is bigger than the bare loop's file");
    std::array<Chain, kChainsMax> slots{};
    Slice slice;
    const int64_t start_us = mono_us();
    const int64_t deadline_us = start_us + slice_us;
    unsigned in_flight = 0;
    for (;;) {
      const bool open = mono_us() < deadline_us && !g_interrupted.load();
      for (unsigned i = 0; open && i < chains; ++i) {
        if (slots[i].busy) continue;
        // Each batch at the next offset, as the log places its chains' batches.
        if (next_offset_ + frames.size() > file_bytes_) {
          next_offset_ = 0;
          ++wraps_;
        }
        slots[i].offset = next_offset_;
        next_offset_ += frames.size();
        queue_chain(i, slots[i], frames);
        ++in_flight;
      }
      if (in_flight == 0 && !open) break;
      if (int rc = io_uring_submit_and_wait(&ring_, 1); rc < 0 && rc != -EINTR) {
        return Status::error(std::string("io_uring_submit_and_wait: ") + std::strerror(-rc));
      }
      if (Status st = reap(slots, frames.size(), batch, slice, in_flight); !st) return st;
    }
    slice.elapsed_us = mono_us() - start_us;
    return slice;
  }

 private:
  struct Chain {
    bool busy = false;
    uint64_t offset = 0;
    int64_t submit_us = 0;
    uint64_t sequence = 0;  // submission order across the chains
  };
  enum Op : uint64_t { kOpWrite = 0, kOpDataSync = 1 };

  BareContender() = default;

  static std::string sealed_frames(unsigned batch) {
    std::string frames;
    Txn txn = bench_txn(1);
    for (unsigned i = 0; i < batch; ++i) {
      txn.zxid = i + 1;
      append_unsealed_frame(txn, frames);
    }
    seal_frames(frames, 1);
    return frames;
  }

  void queue_chain(unsigned slot, Chain& chain, const std::string& frames) {
    io_uring_sqe* write = io_uring_get_sqe(&ring_);
    io_uring_prep_write(write, fd_, frames.data(), static_cast<unsigned>(frames.size()), chain.offset);
    write->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(write, uint64_t{slot} << 1 | kOpWrite);
    io_uring_sqe* sync = io_uring_get_sqe(&ring_);
    io_uring_prep_fsync(sync, fd_, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sync, uint64_t{slot} << 1 | kOpDataSync);
    chain.busy = true;
    chain.submit_us = mono_us();
    chain.sequence = next_sequence_++;
  }

  Status reap(std::array<Chain, kChainsMax>& slots, size_t batch_bytes, unsigned batch, Slice& slice,
              unsigned& in_flight) {
    unsigned head;
    io_uring_cqe* cqe;
    unsigned seen = 0;
    Status status;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const uint64_t data = io_uring_cqe_get_data64(cqe);
      Chain& chain = slots[data >> 1];
      if ((data & 1) == kOpWrite) {
        if (cqe->res != static_cast<int>(batch_bytes) && status) {
          status = Status::error("bare write returned " + std::to_string(cqe->res));
        }
        continue;
      }
      if (cqe->res < 0 && status) status = Status::error(std::string("bare fdatasync: ") + std::strerror(-cqe->res));
      slice.batch_latency_us.push_back(mono_us() - chain.submit_us);
      slice.txns += batch;
      // The log could not count this batch durable yet (it retires batches in order).
      slice.overtaking += std::any_of(slots.begin(), slots.end(), [&chain](const Chain& other) {
        return other.busy && other.sequence < chain.sequence;
      });
      chain.busy = false;
      --in_flight;
    }
    io_uring_cq_advance(&ring_, seen);
    return status;
  }

  uint64_t file_bytes_ = 0;
  uint64_t next_offset_ = 0;  // where the next batch goes, across slices
  uint64_t wraps_ = 0;        // times the file was full and the loop went back to its start
  uint64_t next_sequence_ = 0;
  int fd_ = -1;
  io_uring ring_{};
  bool ring_ready_ = false;
};

// ---- statistics and output ----

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double median_latency_ms(const std::vector<Slice>& slices) {
  std::vector<double> all;
  for (const Slice& s : slices) {
    for (int64_t us : s.batch_latency_us) all.push_back(us / 1000.0);
  }
  return median(std::move(all));
}

struct Row {
  unsigned batch = 0;
  unsigned chains = 0;
  double log_txns_per_s = 0;
  double bare_txns_per_s = 0;
  double log_latency_ms = 0;
  double bare_latency_ms = 0;
  double ratio_min = 0;
  double ratio_median = 0;
  double ratio_max = 0;
  uint64_t log_segments = 0;      // segments the log opened during its slices
  double log_prepare_share = 0;   // of the log's slice time, waiting for its next segment
  double log_append_us = 0;       // per batch, in append() (encoding its records)
};

Row summarize(unsigned batch, unsigned chains, const std::vector<Slice>& log, const std::vector<Slice>& bare) {
  Row row{batch, chains};
  std::vector<double> log_rates, bare_rates, ratios;
  int64_t log_us = 0, prepare_us = 0, append_us = 0;
  uint64_t appended = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    append_us += log[i].append_us;
    appended += log[i].batches_appended;
    log_us += log[i].elapsed_us;
    prepare_us += log[i].prepare_wait_us;
    log_rates.push_back(log[i].txns_per_s());
    bare_rates.push_back(bare[i].txns_per_s());
    ratios.push_back(bare[i].txns_per_s() > 0 ? log[i].txns_per_s() / bare[i].txns_per_s() : 0);
    row.log_segments += log[i].segments_opened;
  }
  row.log_txns_per_s = median(log_rates);
  row.bare_txns_per_s = median(bare_rates);
  row.log_latency_ms = median_latency_ms(log);
  row.bare_latency_ms = median_latency_ms(bare);
  row.ratio_min = *std::min_element(ratios.begin(), ratios.end());
  row.ratio_max = *std::max_element(ratios.begin(), ratios.end());
  row.ratio_median = median(ratios);
  row.log_prepare_share = log_us > 0 ? static_cast<double>(prepare_us) / log_us : 0;
  row.log_append_us = appended > 0 ? static_cast<double>(append_us) / appended : 0;
  return row;
}

void print_table(const std::vector<Row>& rows) {
  std::printf("\n%6s %6s %12s %12s %9s %9s  %-26s %5s %6s %7s\n", "batch", "chains", "log txns/s", "bare txns/s",
              "log ms", "bare ms", "ratio log/bare min/med/max", "segs", "prep%", "enc us");
  for (const Row& r : rows) {
    std::printf("%6u %6u %12.0f %12.0f %9.3f %9.3f  %5.2f / %5.2f / %5.2f       %5llu %5.1f%% %7.1f\n",
                r.batch, r.chains, r.log_txns_per_s, r.bare_txns_per_s, r.log_latency_ms, r.bare_latency_ms,
                r.ratio_min, r.ratio_median, r.ratio_max, static_cast<unsigned long long>(r.log_segments),
                100 * r.log_prepare_share, r.log_append_us);
  }
  std::printf("(txns/s: median over slices; ms: median batch latency, submit -> durable; ratio: per pair of "
              "adjacent slices;\n segs: log segments opened in its slices; prep%%: share of the log's slice "
              "time spent after its last batch waiting for its next segment;\n enc us: log, per batch, in append() "
              "encoding its records)\n");
}

Status write_csv(const std::string& path, const std::vector<Row>& rows) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::error("cannot write " + path + ": " + std::strerror(errno));
  std::fprintf(f, "batch,chains,log_txns_per_s,bare_txns_per_s,log_batch_latency_ms,bare_batch_latency_ms,"
                  "ratio_min,ratio_median,ratio_max,log_segments_opened,log_prepare_share,log_append_us_per_batch\n");
  for (const Row& r : rows) {
    std::fprintf(f, "%u,%u,%.0f,%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%llu,%.3f,%.1f\n", r.batch, r.chains,
                 r.log_txns_per_s, r.bare_txns_per_s, r.log_latency_ms, r.bare_latency_ms, r.ratio_min,
                 r.ratio_median, r.ratio_max, static_cast<unsigned long long>(r.log_segments),
                 r.log_prepare_share, r.log_append_us);
  }
  return std::fclose(f) == 0 ? Status::ok() : Status::error("cannot write " + path);
}

// ---- set-up ----

bool parse_list(const char* text, std::vector<unsigned>& out) {
  out.clear();
  for (const char* p = text; *p != '\0';) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(p, &end, 10);
    if (end == p || v == 0 || v > (1u << 20)) return false;
    out.push_back(static_cast<unsigned>(v));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0') return false;
  }
  return !out.empty();
}

void usage() {
  std::fprintf(stderr,
               "usage: rk_commit_ceiling [--batches 1,8,64,256,1024] [--chains 1,4] [--slice-ms 500]\n"
               "                         [--pairs 6] [--dir .] [--csv FILE] [--prealloc-kib 65536] [--encode-at-flush]\n"
               "                         [--zero-fill device|writes] [--bare-file-mib 1024] [--verbose]\n"
               "Alternates UringTxnLog and a bare io_uring write+fdatasync loop in slices (log, bare, log,\n"
               "bare, ...) for every batch size and chains in flight (at most %u), in a temp directory made\n"
               "under --dir (a real disk: the log's), and prints the log/bare throughput ratio per pair.\n"
               "The log's next batch is appended while its chains are in flight, as the engine does;\n"
               "--encode-at-flush appends it only once a chain is free (encoding on the commit path).\n"
               "--zero-fill prepares both contenders' segments as ringkeeper.txnLogZeroFill does (device).\n"
               "The bare loop appends through one file of --bare-file-mib, prepared before the first slice.\n",
               kChainsMax);
}

// 0: parsed; 1: --help; 2: bad arguments.
int parse_args(int argc, char** argv, Config& c) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "--help" || arg == "-h") return 1;
    if (arg == "--verbose") {
      c.verbose = true;
      continue;
    }
    if (arg == "--encode-at-flush") {
      c.encode_ahead = false;
      continue;
    }
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "rk_commit_ceiling: %s needs a value\n", arg.c_str());
      return 2;
    }
    bool ok = true;
    if (arg == "--batches") ok = parse_list(value.c_str(), c.batches);
    else if (arg == "--chains") ok = parse_list(value.c_str(), c.chains);
    else if (arg == "--slice-ms") ok = (c.slice_ms = std::atoll(value.c_str())) > 0;
    else if (arg == "--pairs") ok = (c.pairs = static_cast<unsigned>(std::atoi(value.c_str()))) > 0;
    else if (arg == "--dir") c.dir = value;
    else if (arg == "--csv") c.csv = value;
    else if (arg == "--zero-fill") {
      if (value == "device") c.zero_fill = ZeroFill::kDevice;
      else if (value == "writes") c.zero_fill = ZeroFill::kWrites;
      else ok = false;
    }
    else if (arg == "--bare-file-mib") ok = (c.bare_file_mib = std::strtoull(value.c_str(), nullptr, 10)) >= 1;
    else if (arg == "--prealloc-kib") ok = (c.prealloc_kib = std::strtoull(value.c_str(), nullptr, 10)) >= 64;
    else ok = false;
    if (!ok) {
      std::fprintf(stderr, "rk_commit_ceiling: bad argument %s %s\n", arg.c_str(), value.c_str());
      return 2;
    }
  }
  for (unsigned chains : c.chains) {
    if (chains > kChainsMax) {
      std::fprintf(stderr, "rk_commit_ceiling: --chains at most %u (the log's limit)\n", kChainsMax);
      return 2;
    }
  }
  return 0;
}

// A fresh directory under `parent` for both contenders' files.
Result<std::string> make_work_dir(const std::string& parent) {
  struct stat st{};
  if (stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::error("--dir " + parent + " is not a directory");
  }
  if (access(parent.c_str(), W_OK | X_OK) != 0) return Status::error("--dir " + parent + " is not writable");
  std::string pattern = parent + "/rk-commit-ceiling-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::error("cannot create a directory in " + parent + ": " + std::strerror(errno));
  }
  struct statfs fs{};
  if (statfs(pattern.c_str(), &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)) {
    std::fprintf(stderr, "warning: %s is in memory (tmpfs/ramfs): fdatasync costs nothing there, "
                         "so neither contender measures a disk\n", pattern.c_str());
  }
  return pattern;
}

// Both contenders for every (batch, chains), slice after slice. Fills rows; stops at an error.
Status measure(const Config& config, LogContender& log, BareContender& bare, std::vector<Row>& rows) {
  const int64_t slice_us = config.slice_ms * 1000;
  for (unsigned batch : config.batches) {
    for (unsigned chains : config.chains) {
      std::vector<Slice> log_slices, bare_slices;
      for (unsigned pair = 0; pair < config.pairs && !g_interrupted.load(); ++pair) {
        auto a = log.run(batch, chains, slice_us);
        if (!a) return a.status();
        auto b = bare.run(batch, chains, slice_us);
        if (!b) return b.status();
        if (config.verbose) {
          std::printf("  batch %u chains %u pair %u: log %.0f txns/s (%llu segments, %.0f ms waiting for the next), "
                      "bare %.0f txns/s (%zu batches, %llu overtook an older one), ratio %.2f\n", batch, chains,
                      pair, a->txns_per_s(), static_cast<unsigned long long>(a->segments_opened),
                      a->prepare_wait_us / 1000.0, b->txns_per_s(), b->batch_latency_us.size(),
                      static_cast<unsigned long long>(b->overtaking), a->txns_per_s() / b->txns_per_s());
        }
        log_slices.push_back(std::move(*a));
        bare_slices.push_back(std::move(*b));
      }
      if (log_slices.empty()) return Status::ok();  // interrupted
      rows.push_back(summarize(batch, chains, log_slices, bare_slices));
      const Row& r = rows.back();
      std::printf("batch %4u chains %u: log %.0f txns/s, bare %.0f txns/s, ratio log/bare %.2f (%.2f..%.2f)\n",
                  batch, chains, r.log_txns_per_s, r.bare_txns_per_s, r.ratio_median, r.ratio_min, r.ratio_max);
      std::fflush(stdout);
    }
  }
  return Status::ok();
}

Status run(const Config& config, const std::string& work_dir, std::vector<Row>& rows) {
  const uint64_t segment_bytes = config.prealloc_kib * 1024;
  auto log = LogContender::open(work_dir + "/log", segment_bytes, config.zero_fill, config.encode_ahead);
  if (!log) return log.status();
  auto bare = BareContender::open(work_dir + "/bare", config.bare_file_mib << 20, config.zero_fill);
  if (!bare) return bare.status();
  if (Status st = (*log)->warm_up(); !st) return st;
  Status measured = measure(config, **log, **bare, rows);
  if ((*bare)->wraps() > 0) {
    std::printf("note: the bare loop filled its %llu MiB file %llu times and went on overwriting it "
                "(--bare-file-mib for more room)\n",
                static_cast<unsigned long long>(config.bare_file_mib),
                static_cast<unsigned long long>((*bare)->wraps()));
  }
  return measured;
}

void on_interrupt(int) { g_interrupted.store(true); }

}  // namespace
}  // namespace rk

int main(int argc, char** argv) {
  using namespace rk;
  Config config;
  if (int rc = parse_args(argc, argv, config); rc != 0) {
    usage();
    return rc == 1 ? 0 : 2;
  }
  set_log_level(config.verbose ? LogLevel::kInfo : LogLevel::kWarn);
  auto work_dir = make_work_dir(config.dir);
  if (!work_dir) {
    std::fprintf(stderr, "rk_commit_ceiling: %s\n", work_dir.status().message().c_str());
    return 1;
  }
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  signal(SIGPIPE, SIG_IGN);  // a closed pipe must not skip the clean-up
  const size_t configs = config.batches.size() * config.chains.size();
  std::printf("rk_commit_ceiling: %zu configurations x %u pairs x 2 slices x %lld ms = %.1f s of slices "
              "(plus drains and segment preparation)\n  records of %zu bytes framed, segments of %llu KiB "
              "(zero fill: %s), in %s\n",
              configs, config.pairs, static_cast<long long>(config.slice_ms),
              configs * config.pairs * 2 * config.slice_ms / 1000.0, make_frame(bench_txn(1), 1).size(),
              static_cast<unsigned long long>(config.prealloc_kib),
              config.zero_fill == ZeroFill::kWrites ? "writes" : "device", work_dir->c_str());
  std::fflush(stdout);
  std::vector<Row> rows;
  Status status = run(config, *work_dir, rows);
  std::error_code ignored;
  std::filesystem::remove_all(*work_dir, ignored);
  if (!rows.empty()) print_table(rows);
  if (status && !config.csv.empty()) status = write_csv(config.csv, rows);
  if (!status) {
    std::fprintf(stderr, "rk_commit_ceiling: %s\n", status.message().c_str());
    return 1;
  }
  return g_interrupted.load() ? 130 : 0;
}
