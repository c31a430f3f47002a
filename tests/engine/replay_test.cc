// Idempotent apply: every txn type applied a second time changes nothing, and replaying a
// log onto a tree that already reflects it (a fuzzy snapshot) converges to the same tree.
#include <gtest/gtest.h>

#include <map>

#include "engine/txn_apply.h"
#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

struct NodeDump {
  std::string data;
  bool data_is_null;
  NodeStat stat;
  AclList acl;
  std::vector<std::string> children;
  bool operator==(const NodeDump&) const = default;
};

struct TreeDump {
  std::map<std::string, NodeDump> nodes;
  std::map<SessionId, std::set<std::string>> ephemerals;
  std::set<std::string> containers, ttls;
  int64_t data_size;
  bool operator==(const TreeDump&) const = default;
};

TreeDump dump(const DataTree& tree) {
  TreeDump d;
  tree.for_each([&](const Node& n) {
    d.nodes[std::string(n.path())] =
        NodeDump{std::string(n.data()), n.data_is_null(), n.stat, *n.acl(), n.child_names()};
  });
  for (const auto& [s, paths] : tree.all_ephemerals()) d.ephemerals[s] = paths;
  d.containers = tree.containers();
  d.ttls = tree.ttls();
  d.data_size = tree.approximate_data_size();
  return d;
}

// A workload that logs every txn type: sessions, every create kind, delete, deleteContainer,
// setData, setACL, multi (success and failure, with check), error txns, closeSession with
// ephemerals, and an expiry.
std::vector<Txn> record_workload(EngineHarness& h) {
  Client a = h.connect();
  Client b = h.connect(4000);
  EXPECT_EQ(h.call(a, op_create("/p", "data")).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_create2("/p/s-", "x", CreateMode::kPersistentSequential)).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_create("/p/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  EXPECT_EQ(h.call(b, op_create("/p/be", "", CreateMode::kEphemeralSequential)).err, Err::kOk);
  Request container = op_create("/box", "", CreateMode::kContainer, open_acl(), OpCode::kCreateContainer);
  EXPECT_EQ(h.call(a, container).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_create("/box/item")).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_delete("/box/item")).err, Err::kOk);
  Request ttl = op_create("/ttl", "", CreateMode::kPersistentWithTtl, open_acl(), OpCode::kCreateTtl);
  ttl.ttl = 60000;
  EXPECT_EQ(h.call(a, ttl).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_set_data("/p", "data2", 0)).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_set_acl("/p", {{perm::kAll, {"ip", "10.0.0.0/8"}}}, 0)).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_create("/p", "")).err, Err::kNodeExists);  // error txn
  Response ok = h.call(a, op_multi({op_create("/m"), op_create("/m/1", "one"), op_set_data("/m", "v"),
                                    op_check("/m", 1), op_delete("/m/1")}));
  EXPECT_EQ(ok.results.size(), 5u);
  Response bad = h.call(a, op_multi({op_create("/n"), op_delete("/none")}));
  EXPECT_EQ(bad.results[1].err, Err::kNoNode);
  EXPECT_EQ(h.call(a, op_create("/gone")).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_delete("/gone")).err, Err::kOk);
  EXPECT_EQ(h.call(a, op_create("/gone", "again")).err, Err::kOk);  // same path, new node
  h.advance(1000);
  h.tick();  // container sweep: deleteContainer /box
  h.commit_all();
  EXPECT_EQ(h.tree().find("/box"), nullptr);
  Request close;
  close.type = OpCode::kCloseSession;
  EXPECT_EQ(h.call(a, close).err, Err::kOk);
  h.advance(10000);
  h.tick();  // b expires
  h.commit_all();
  EXPECT_EQ(h.tree().ephemeral_count(), 0u);
  return h.out.logged;
}

EngineConfig replay_config() {
  EngineConfig config;
  config.extended_types_enabled = true;
  config.container_check_interval_ms = 1000;
  return config;
}

TEST(Replay, WorkloadCoversEveryTxnType) {
  EngineHarness h(replay_config());
  std::set<OpCode> types;
  for (const Txn& t : record_workload(h)) {
    types.insert(t.type);
    for (const Txn& op : t.ops) types.insert(op.type);
  }
  for (OpCode type : {OpCode::kCreateSession, OpCode::kCreate, OpCode::kCreate2, OpCode::kCreateContainer,
                      OpCode::kCreateTtl, OpCode::kDelete, OpCode::kDeleteContainer, OpCode::kSetData,
                      OpCode::kSetAcl, OpCode::kCheck, OpCode::kMulti, OpCode::kError,
                      OpCode::kCloseSession}) {
    EXPECT_TRUE(types.count(type)) << static_cast<int>(type);
  }
}

TEST(Replay, ReplayRebuildsTheSameTree) {
  EngineHarness live(replay_config());
  std::vector<Txn> log = record_workload(live);
  RecordingOutput out;
  Processor fresh(replay_config(), 0, out);
  for (const Txn& t : log) fresh.replay(t);
  EXPECT_EQ(dump(fresh.tree()), dump(live.tree()));
  EXPECT_EQ(fresh.last_processed_zxid(), live.proc().last_processed_zxid());
  EXPECT_EQ(fresh.last_logged_zxid(), live.proc().last_logged_zxid());
  EXPECT_EQ(fresh.sessions().size(), 0u);  // both sessions ended
  EXPECT_TRUE(out.sent.empty());
  EXPECT_TRUE(out.logged.empty());
}

TEST(Replay, EveryTxnAppliedTwiceChangesNothing) {
  EngineHarness live(replay_config());
  std::vector<Txn> log = record_workload(live);
  RecordingOutput out;
  Processor p(replay_config(), 0, out);
  for (const Txn& t : log) {
    p.replay(t);
    TreeDump once = dump(p.tree());
    size_t sessions = p.sessions().size();
    p.replay(t);
    EXPECT_EQ(dump(p.tree()), once) << "txn type " << static_cast<int>(t.type) << " zxid " << t.zxid;
    EXPECT_EQ(p.sessions().size(), sessions);
  }
}

TEST(Replay, FuzzySnapshotConverges) {
  // A snapshot taken while txns applied may already hold any later state; replaying the log
  // from an earlier zxid must still end at the live tree. Model the extreme: every suffix of
  // the log replayed onto the final tree.
  EngineHarness live(replay_config());
  std::vector<Txn> log = record_workload(live);
  TreeDump final_tree = dump(live.tree());
  for (size_t start = 0; start < log.size(); start += 3) {
    RecordingOutput out;
    Processor p(replay_config(), 0, out);
    for (const Txn& t : log) p.replay(t);
    for (size_t i = start; i < log.size(); ++i) p.replay(log[i]);
    EXPECT_EQ(dump(p.tree()), final_tree) << "from txn " << start;
  }
}

TEST(Replay, CreateOfExistingNodeKeepsParentMovingForward) {
  DataTree tree;
  ASSERT_EQ(tree.create_node("/a", "", false, open_acl_unsafe(), 0, 1, 10, 100, nullptr, nullptr), Err::kOk);
  ASSERT_EQ(tree.create_node("/a/b", "", false, open_acl_unsafe(), 0, 1, 11, 100, nullptr, nullptr), Err::kOk);
  // Replaying an older create of /a/b (parent cversion 1) must not move /a backwards...
  EXPECT_EQ(tree.create_node("/a/b", "", false, open_acl_unsafe(), 0, 1, 9, 100, nullptr, nullptr),
            Err::kNodeExists);
  EXPECT_EQ(tree.find("/a")->stat.cversion, 1);
  EXPECT_EQ(tree.find("/a")->stat.pzxid, 11);
  // ...and a newer one moves it forward, as the original did.
  EXPECT_EQ(tree.create_node("/a/b", "", false, open_acl_unsafe(), 0, 2, 12, 100, nullptr, nullptr),
            Err::kNodeExists);
  EXPECT_EQ(tree.find("/a")->stat.cversion, 2);
  EXPECT_EQ(tree.find("/a")->stat.pzxid, 12);
}

TEST(Replay, DeleteOverFuzzyChildrenDropsThem) {
  // The snapshot holds /x/y created after /x was deleted and re-created; replaying the delete
  // of /x drops the subtree, and the later creates in the log bring it back.
  DataTree tree;
  ASSERT_EQ(tree.create_node("/x", "", false, open_acl_unsafe(), 0, 1, 20, 1, nullptr, nullptr), Err::kOk);
  ASSERT_EQ(tree.create_node("/x/y", "", false, open_acl_unsafe(), 0, 1, 21, 1, nullptr, nullptr), Err::kOk);
  EXPECT_EQ(tree.delete_node("/x", 15, nullptr), Err::kOk);
  EXPECT_EQ(tree.find("/x/y"), nullptr);
  EXPECT_EQ(tree.node_count(), 4u);
  int64_t reserved_size = DataTree().approximate_data_size();
  EXPECT_EQ(tree.approximate_data_size(), reserved_size);
}

}  // namespace
}  // namespace rk
