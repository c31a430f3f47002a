// Snapshot throughput: writing 1M znodes of 100 bytes through the fuzzy writer, reading them
// back into a tree, and digesting a 1M-node tree.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/tree_digest.h"
#include "snapshot/reader.h"
#include "snapshot/writer.h"

namespace rk {
namespace {

constexpr int kNodes = 1'000'000;
constexpr size_t kStepBudget = 1000;  // nodes per step, as the engine loop would pass

// 1000 parents of 1000 children each, 100 bytes of data per node.
const DataTree& big_tree() {
  static const DataTree tree = [] {
    DataTree t;
    t.reserve(kNodes + 1100);
    std::string data(100, 'd');
    Zxid zxid = 1;
    for (int p = 0; p < kNodes / 1000; ++p) {
      std::string parent = "/app" + std::to_string(p);
      RK_ASSERT(t.create_node(parent, data, false, open_acl_unsafe(), 0, -1, zxid++, 1, nullptr, nullptr) == Err::kOk);
      for (int c = 0; c < 1000 - 1; ++c) {
        std::string path = parent + "/node" + std::to_string(c);
        RK_ASSERT(t.create_node(path, data, false, open_acl_unsafe(), 0, -1, zxid++, 1, nullptr, nullptr) == Err::kOk);
      }
    }
    return t;
  }();
  return tree;
}

std::string bench_dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rk-snapbench-XXXXXX").string();
    RK_ASSERT(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
  }();
  return dir;
}

struct StepTimes {
  int64_t max_us = 0;
  int64_t total_us = 0;  // engine-thread time inside step()
  std::vector<int64_t> each_us;
  int64_t p99_us() {
    if (each_us.empty()) return 0;
    std::sort(each_us.begin(), each_us.end());
    return each_us[each_us.size() * 99 / 100];
  }
};

std::string write_full(const DataTree& tree, Zxid zxid, SnapshotResult& result, StepTimes& steps) {
  SessionTable sessions(1, 2000, 0);
  SnapshotOptions options;
  options.dir = bench_dir();
  auto writer = SnapshotWriter::start(options, zxid, 0, sessions);
  RK_ASSERT(writer.is_ok());
  steps = StepTimes{};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!(*writer)->done() && std::chrono::steady_clock::now() < deadline) {
    uint64_t before = (*writer)->nodes_written();
    auto t0 = std::chrono::steady_clock::now();
    (*writer)->step(tree, kStepBudget, zxid);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    steps.max_us = std::max<int64_t>(steps.max_us, us);
    steps.total_us += us;
    if ((*writer)->nodes_written() != before) steps.each_us.push_back(us);  // steps that did work
    if (!(*writer)->done()) std::this_thread::yield();
  }
  RK_ASSERT((*writer)->done() && (*writer)->status().is_ok());
  result = (*writer)->result();
  return result.path;
}

void BM_SnapshotWrite1M(benchmark::State& state) {
  const DataTree& tree = big_tree();
  SnapshotResult result;
  StepTimes steps;
  for (auto _ : state) {
    std::string path = write_full(tree, 1, result, steps);
    state.PauseTiming();
    std::filesystem::remove(path);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * result.bytes));
  state.counters["file_MB"] = static_cast<double>(result.bytes) / 1e6;
  state.counters["nodes"] = static_cast<double>(result.node_count);
  state.counters["step_us_max"] = static_cast<double>(steps.max_us);
  state.counters["step_us_p99"] = static_cast<double>(steps.p99_us());
  // Engine-thread cost of one step of kStepBudget nodes, averaged over the last run.
  state.counters["step_us_avg"] = static_cast<double>(steps.total_us) * kStepBudget / kNodes;
}
BENCHMARK(BM_SnapshotWrite1M)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_SnapshotRead1M(benchmark::State& state) {
  const DataTree& tree = big_tree();
  SnapshotResult result;
  StepTimes steps;
  std::string path = write_full(tree, 2, result, steps);
  for (auto _ : state) {
    Result<LoadedSnapshot> loaded = read_snapshot(path);
    RK_ASSERT(loaded.is_ok());
    benchmark::DoNotOptimize(loaded->digest);
    state.PauseTiming();
    { LoadedSnapshot dropped = std::move(*loaded); }  // freeing 1M nodes is not the load
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * result.bytes));
  std::filesystem::remove(path);
}
BENCHMARK(BM_SnapshotRead1M)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_TreeDigest1M(benchmark::State& state) {
  const DataTree& tree = big_tree();
  for (auto _ : state) benchmark::DoNotOptimize(tree_digest(tree));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * tree.node_count()));
}
BENCHMARK(BM_TreeDigest1M)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace rk
