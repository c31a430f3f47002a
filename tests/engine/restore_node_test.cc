// DataTree::restore_node and Processor::restore: a tree rebuilt node by node from another
// is the same tree (children, owner indexes, data size), and a restored Processor replays on.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/tree_digest.h"
#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

struct Shape {
  std::map<std::string, std::vector<std::string>> children;
  std::map<SessionId, std::set<std::string>> ephemerals;
  std::set<std::string> containers, ttls;
  int64_t data_size;
  bool operator==(const Shape&) const = default;
};

Shape shape(const DataTree& tree) {
  Shape s;
  tree.for_each([&](const Node& n) { s.children[std::string(n.path())] = n.child_names(); });
  for (const auto& [id, paths] : tree.all_ephemerals()) s.ephemerals[id] = paths;
  s.containers = tree.containers();
  s.ttls = tree.ttls();
  s.data_size = tree.approximate_data_size();
  return s;
}

// Every node of `from`, parents first (sorted paths put a parent before its children).
DataTree rebuild(const DataTree& from) {
  std::vector<std::pair<std::string, const Node*>> nodes;
  from.for_each([&](const Node& n) { nodes.emplace_back(n.path(), &n); });
  std::sort(nodes.begin(), nodes.end());
  DataTree to(from.extended_types_enabled());
  to.reserve(nodes.size());
  for (const auto& [path, n] : nodes) EXPECT_EQ(to.restore_node(path, n->record()), Err::kOk) << path;
  return to;
}

TEST(RestoreNode, RebuiltTreeEqualsTheOriginal) {
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect();
  populate_every_kind(h, a, b);
  DataTree copy = rebuild(h.tree());
  EXPECT_EQ(tree_digest(copy), tree_digest(h.tree()));
  EXPECT_EQ(shape(copy), shape(h.tree()));
  EXPECT_EQ(copy.node_count(), h.tree().node_count());
  EXPECT_EQ(copy.ttls().count("/ttl"), 1u);
  EXPECT_EQ(copy.containers().count("/box"), 1u);
  EXPECT_EQ(copy.ephemerals(a.session).count("/p/e"), 1u);
  EXPECT_TRUE(copy.find("/null")->data_is_null());
}

TEST(RestoreNode, RefusesOrphansAndDuplicatesAndOverwritesBuiltIns) {
  DataTree t;
  NodeRecord n;
  n.acl = open_acl_unsafe();
  EXPECT_EQ(t.restore_node("/a/b", n), Err::kNoNode);
  EXPECT_EQ(t.restore_node("/a", n), Err::kOk);
  EXPECT_EQ(t.restore_node("/a", n), Err::kNodeExists);
  NodeRecord root;
  root.data = "rootdata";
  root.acl = read_acl_unsafe();
  root.stat.cversion = 7;
  root.stat.pzxid = 9;
  int64_t size_before = t.approximate_data_size();
  EXPECT_EQ(t.restore_node("/", root), Err::kOk);
  const Node* r = t.find("/");
  EXPECT_EQ(r->data(), "rootdata");
  EXPECT_EQ(r->stat.cversion, 7);
  EXPECT_EQ(*r->acl(), *read_acl_unsafe());
  EXPECT_EQ(r->child_names(), (std::vector<std::string>{"a", "zookeeper"}));  // links kept
  EXPECT_EQ(t.approximate_data_size(), size_before + 8);
  EXPECT_EQ(t.node_count(), 5u);
}

TEST(ProcessorRestore, InstallsTreeSessionsAndZxidThenReplays) {
  EngineHarness live(extended_types());
  Client a = live.connect();
  Client b = live.connect(6000);
  populate_every_kind(live, a, b);
  Zxid zxid = live.proc().last_processed_zxid();
  size_t mark = live.out.logged.size();
  ASSERT_EQ(live.call(a, op_set_data("/p", "later")).err, Err::kOk);
  ASSERT_EQ(live.call(b, op_create("/q")).err, Err::kOk);

  std::vector<std::pair<SessionId, int32_t>> sessions;
  for (const Session& s : live.proc().sessions().all()) sessions.emplace_back(s.id, s.timeout_ms);
  RecordingOutput out;
  const int64_t now_mono_ms = 777'000;
  Processor p(extended_types(), now_mono_ms, out);
  DataTree snapshot_tree = rebuild(live.tree());  // as fuzzy as it gets: already the final state
  p.restore(std::move(snapshot_tree), sessions, zxid, now_mono_ms);
  EXPECT_EQ(p.last_processed_zxid(), zxid);
  EXPECT_EQ(p.last_logged_zxid(), zxid);
  ASSERT_EQ(p.sessions().size(), 2u);
  const Session* restored = p.sessions().find(b.session);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->timeout_ms, b.timeout_ms);
  EXPECT_GT(restored->expire_at_ms, now_mono_ms);  // a fresh deadline from the restore time
  for (size_t i = mark; i < live.out.logged.size(); ++i) p.replay(live.out.logged[i]);
  EXPECT_EQ(tree_digest(p.tree()), tree_digest(live.tree()));
  EXPECT_EQ(shape(p.tree()), shape(live.tree()));
  EXPECT_EQ(p.last_processed_zxid(), live.proc().last_processed_zxid());
}

}  // namespace
}  // namespace rk
