// The znode tree at scale: create / find / setData with 1,000,000 nodes present, the time to
// build such a tree, and watch triggering through the WatchManager.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/acl.h"
#include "engine/data_tree.h"
#include "engine/watch_manager.h"

namespace rk {
namespace {

constexpr size_t kTreeNodes = 1'000'000;
constexpr size_t kValueBytes = 100;

// Paths /k/<i>: 1M children of one parent, the shape of a flat key space (and rkbench's).
const std::vector<std::string>& key_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> p;
    p.reserve(kTreeNodes);
    for (size_t i = 0; i < kTreeNodes; i++) p.push_back("/k/" + std::to_string(i));
    return p;
  }();
  return paths;
}

void fill(DataTree& tree, Zxid& zxid) {
  tree.create_node("/k", "", false, open_acl_unsafe(), 0, -1, ++zxid, 0, nullptr, nullptr);
  const std::string value(kValueBytes, 'v');
  for (const std::string& path : key_paths())
    tree.create_node(path, value, false, open_acl_unsafe(), 0, -1, ++zxid, 0, nullptr, nullptr);
}

// One 1M-node tree shared by the benchmarks that only read or overwrite it.
DataTree& full_tree() {
  static std::unique_ptr<DataTree> tree = [] {
    auto t = std::make_unique<DataTree>();
    Zxid zxid = 0;
    fill(*t, zxid);
    return t;
  }();
  return *tree;
}

uint64_t next_random(uint64_t& state) {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

void BM_TreeBuild1M(benchmark::State& state) {
  key_paths();  // not part of the measurement
  for (auto _ : state) {
    DataTree tree;
    Zxid zxid = 0;
    fill(tree, zxid);
    benchmark::DoNotOptimize(tree.node_count());
    state.PauseTiming();  // tearing down 1M nodes is not what is measured
    { DataTree discard = std::move(tree); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kTreeNodes));
}
BENCHMARK(BM_TreeBuild1M)->Unit(benchmark::kMillisecond)->Iterations(1);

// New children of the 1M-child parent.
void BM_TreeCreateAt1M(benchmark::State& state) {
  DataTree& tree = full_tree();
  const std::string value(kValueBytes, 'v');
  static uint64_t serial = 0;
  std::vector<std::string> paths(1 << 16);
  size_t next = paths.size();
  Zxid zxid = 1'000'000'000;
  for (auto _ : state) {
    if (next == paths.size()) {
      state.PauseTiming();
      for (auto& p : paths) p = "/k/new" + std::to_string(serial++);
      next = 0;
      state.ResumeTiming();
    }
    Stat stat;
    tree.create_node(paths[next++], value, false, open_acl_unsafe(), 0, -1, ++zxid, 0, &stat,
                     nullptr);
    benchmark::DoNotOptimize(stat);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TreeCreateAt1M);

void BM_TreeFindAt1M(benchmark::State& state) {
  DataTree& tree = full_tree();
  const auto& paths = key_paths();
  uint64_t rng = 0x1234567;
  for (auto _ : state) {
    const Node* node = tree.find(paths[next_random(rng) % paths.size()]);
    benchmark::DoNotOptimize(node);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TreeFindAt1M);

void BM_TreeGetDataAt1M(benchmark::State& state) {  // find + the Stat and data a reply copies
  DataTree& tree = full_tree();
  const auto& paths = key_paths();
  uint64_t rng = 0x7654321;
  for (auto _ : state) {
    const Node* node = tree.find(paths[next_random(rng) % paths.size()]);
    Stat stat = tree.stat_of(*node);
    std::string data(node->data());
    benchmark::DoNotOptimize(stat);
    benchmark::DoNotOptimize(data.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TreeGetDataAt1M);

void BM_TreeSetDataAt1M(benchmark::State& state) {
  DataTree& tree = full_tree();
  const auto& paths = key_paths();
  const std::string value(static_cast<size_t>(state.range(0)), 'w');
  uint64_t rng = 0xabcdef;
  Zxid zxid = 2'000'000'000;
  for (auto _ : state) {
    Stat stat;
    tree.set_data(paths[next_random(rng) % paths.size()], value, false, -1, ++zxid, 0, &stat,
                  nullptr);
    benchmark::DoNotOptimize(stat);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TreeSetDataAt1M)->Arg(100)->Arg(1024);

// A one-shot data watch set by each of `watchers` connections on one node, then fired by a
// setData: the cost per trigger (add + fire), as for a hot configuration node.
void BM_WatchTrigger(benchmark::State& state) {
  WatchManager watches;
  const auto watchers = static_cast<WatcherId>(state.range(0));
  std::vector<FiredWatch> fired;
  for (auto _ : state) {
    for (WatcherId w = 1; w <= watchers; w++) watches.add("/k/42", w, WatchKind::kData);
    fired.clear();
    watches.trigger("/k/42", EventType::kNodeDataChanged, fired);
    benchmark::DoNotOptimize(fired.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * watchers));
}
BENCHMARK(BM_WatchTrigger)->Arg(1)->Arg(100)->Arg(10000);

// A trigger on an unwatched path while 1M other paths hold a watch: the common write.
void BM_WatchTriggerMissAt1M(benchmark::State& state) {
  WatchManager watches;
  const auto& paths = key_paths();
  for (size_t i = 0; i < paths.size(); i++) watches.add(paths[i], i % 100 + 1, WatchKind::kData);
  std::vector<FiredWatch> fired;
  for (auto _ : state) {
    fired.clear();
    watches.trigger("/k/unwatched", EventType::kNodeDataChanged, fired);
    benchmark::DoNotOptimize(fired.data());
  }
}
BENCHMARK(BM_WatchTriggerMissAt1M);

}  // namespace
}  // namespace rk
