// Txn log micro-benchmarks: record framing, group commit through UringTxnLog at several batch
// sizes, the ceiling of a bare io_uring write + linked fdatasync loop at the same sizes, and
// fdatasync cost into a sparse, an fallocate'd and a zero-filled file (why segments are
// zero-filled ahead). Files go under $TMPDIR (default /tmp): point it at the log's filesystem.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "wal/record.h"
#include "wal/uring_txn_log.h"

namespace rk {
namespace {

constexpr uint64_t kFileBytes = 64ull << 20;
constexpr size_t kFrameBytesTypical = 128;  // a ~100-byte txn, framed

// A directory that lives for one benchmark run.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/rk-wal-bench-XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~BenchDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Txn bench_txn(Zxid zxid) {
  Txn txn = make_txn(0x100, 7, zxid, 1'700'000'000'000, OpCode::kSetData);
  txn.path = "/bench/node-0001";
  txn.data = std::string(48, 'v');
  txn.version = 3;
  return txn;  // encodes to ~100 bytes
}

void BM_RecordEncode(benchmark::State& state) {
  const Txn txn = bench_txn(1);
  std::string frames;
  frames.reserve(1 << 20);
  for (auto _ : state) {
    frames.clear();
    for (int i = 0; i < 64; ++i) append_unsealed_frame(txn, frames);
    seal_frames(frames, 1);
    benchmark::DoNotOptimize(frames.data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frames.size()));
}
BENCHMARK(BM_RecordEncode);

void BM_GroupCommit(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  BenchDir dir;
  WalOptions options;
  options.dir = dir.path();
  auto opened = UringTxnLog::open(options, 0);
  if (!opened) {
    state.SkipWithError(opened.status().message().c_str());
    return;
  }
  UringTxnLog& log = **opened;
  Txn txn = bench_txn(1);
  Zxid next = 2;
  // Warm up: take the first segment and let the preparer finish zero-filling the next one,
  // so its 64 MiB of writes do not compete with the measured fsyncs.
  log.append(txn);
  log.flush();
  while ((log.busy() || !log.next_segment_ready()) && log.health().is_ok()) log.poll();
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      txn.zxid = next++;
      log.append(txn);
    }
    log.flush();
    while (log.durable_zxid() < next - 1 && log.health().is_ok()) log.poll();
  }
  if (!log.health().is_ok()) state.SkipWithError(log.health().message().c_str());
  const TxnLogStats stats = log.stats();
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["txns/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                benchmark::Counter::kIsRate);
  state.counters["fsync_us_avg"] =
      stats.fsync_count ? static_cast<double>(stats.fsync_latency_us_total) / stats.fsync_count : 0;
}
BENCHMARK(BM_GroupCommit)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime();

// A 64 MiB file prepared as the log's preparer does (kind 2), or sparse (0), or fallocate'd
// with unwritten extents (1). Returns the fd, or -1.
int make_file(const std::string& path, int kind) {
  const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  bool ok = true;
  if (kind == 0) ok = ftruncate(fd, kFileBytes) == 0;
  if (kind >= 1) ok = fallocate(fd, 0, 0, kFileBytes) == 0;
  if (ok && kind == 2) {
    std::string zeros(1 << 20, '\0');
    for (uint64_t off = 0; ok && off < kFileBytes; off += zeros.size()) {
      ok = pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(off)) ==
           static_cast<ssize_t>(zeros.size());
    }
  }
  if (ok) ok = fsync(fd) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

// The ceiling: one write linked to one fdatasync per batch, nothing else.
void BM_BareUringWriteDatasync(benchmark::State& state) {
  const size_t batch_bytes = static_cast<size_t>(state.range(0)) * kFrameBytesTypical;
  BenchDir dir;
  const int fd = make_file(dir.path() + "/ceiling", 2);
  io_uring ring{};
  if (fd < 0 || io_uring_queue_init(8, &ring, 0) != 0) {
    state.SkipWithError("set-up failed");
    if (fd >= 0) close(fd);
    return;
  }
  std::string buffer(batch_bytes, 'x');
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + batch_bytes > kFileBytes) offset = 0;
    io_uring_sqe* write = io_uring_get_sqe(&ring);
    io_uring_prep_write(write, fd, buffer.data(), static_cast<unsigned>(batch_bytes), offset);
    write->flags |= IOSQE_IO_LINK;
    io_uring_sqe* sync = io_uring_get_sqe(&ring);
    io_uring_prep_fsync(sync, fd, IORING_FSYNC_DATASYNC);
    io_uring_submit_and_wait(&ring, 2);
    io_uring_cqe* cqe = nullptr;
    for (int i = 0; i < 2; ++i) {
      if (io_uring_wait_cqe(&ring, &cqe) == 0) {
        if (cqe->res < 0) state.SkipWithError("I/O error");
        io_uring_cqe_seen(&ring, cqe);
      }
    }
    offset += batch_bytes;
  }
  io_uring_queue_exit(&ring);
  close(fd);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["txns/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BareUringWriteDatasync)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime();

// pwrite of 8 typical records + fdatasync into: 0 sparse, 1 fallocate'd, 2 zero-filled.
void BM_FdatasyncIntoFile(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  state.SetLabel(kind == 0 ? "sparse" : kind == 1 ? "fallocate" : "zero-filled");
  BenchDir dir;
  const int fd = make_file(dir.path() + "/kind", kind);
  if (fd < 0) {
    state.SkipWithError("set-up failed");
    return;
  }
  std::string buffer(8 * kFrameBytesTypical, 'x');
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + buffer.size() > kFileBytes) offset = 0;
    if (pwrite(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset)) < 0 ||
        fdatasync(fd) != 0) {
      state.SkipWithError("I/O error");
      break;
    }
    offset += buffer.size();
  }
  close(fd);
}
BENCHMARK(BM_FdatasyncIntoFile)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace rk
