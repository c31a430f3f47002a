// multi and multiRead: all-or-nothing results as ZooKeeper reports them, validation that
// sees earlier ops of the same multi, rollback of in-flight changes on failure.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

TEST(Multi, SuccessResultsPerOpType) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/x", "0")).err, Err::kOk);
  Response r = h.call(c, op_multi({op_create("/a"), op_create("/a/b", "bb", CreateMode::kContainer, open_acl(), OpCode::kCreateContainer), op_set_data("/x", "1", 0),
                                   op_check("/x", 1), op_delete("/a/b"), op_create2("/a/c")}));
  ASSERT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.type, OpCode::kMulti);
  ASSERT_EQ(r.results.size(), 6u);
  EXPECT_EQ(r.results[0].type, OpCode::kCreate);
  EXPECT_EQ(r.results[0].path, "/a");
  EXPECT_NE(r.results[1].type, OpCode::kCreate);  // a result with its Stat
  EXPECT_EQ(r.results[1].path, "/a/b");
  EXPECT_EQ(r.results[1].stat.czxid, r.zxid);  // every op shares the multi's zxid
  EXPECT_EQ(r.results[1].stat.data_length, 2);
  // ZooKeeper answers a create2 inside multi as a plain create: path only.
  EXPECT_EQ(r.results[5].type, OpCode::kCreate);
  EXPECT_EQ(r.results[5].path, "/a/c");
  EXPECT_EQ(r.results[2].type, OpCode::kSetData);
  EXPECT_EQ(r.results[2].stat.version, 1);
  EXPECT_EQ(r.results[3].type, OpCode::kCheck);
  EXPECT_EQ(r.results[4].type, OpCode::kDelete);
  for (const OpResult& op : r.results) EXPECT_EQ(op.err, Err::kOk);
  EXPECT_NE(h.tree().find("/a"), nullptr);
  EXPECT_EQ(h.tree().find("/a/b"), nullptr);
  EXPECT_EQ(h.tree().find("/x")->data(), "1");
}

TEST(Multi, FailureAppliesNothingAndReportsLikeZooKeeper) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/x", "0")).err, Err::kOk);
  Response r = h.call(c, op_multi({op_create("/a"), op_set_data("/x", "1"), op_check("/x", 7),
                                   op_create("/b"), op_delete("/x")}));
  // The reply header says Ok; the results carry the failure (FinalRequestProcessor).
  EXPECT_EQ(r.err, Err::kOk);
  ASSERT_EQ(r.results.size(), 5u);
  Err expected[] = {Err::kOk, Err::kOk, Err::kBadVersion, Err::kRuntimeInconsistency,
                    Err::kRuntimeInconsistency};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r.results[i].type, OpCode::kError) << i;
    EXPECT_EQ(r.results[i].err, expected[i]) << i;
  }
  EXPECT_EQ(h.tree().find("/a"), nullptr);
  EXPECT_EQ(h.tree().find("/x")->data(), "0");
  EXPECT_EQ(h.tree().find("/x")->stat.version, 0);
  // It is still one txn with its own zxid.
  const Txn& t = h.out.logged.back();
  EXPECT_EQ(t.type, OpCode::kMulti);
  EXPECT_EQ(t.zxid, r.zxid);
  ASSERT_EQ(t.ops.size(), 5u);
  EXPECT_EQ(t.ops[2].type, OpCode::kError);
  EXPECT_EQ(t.ops[2].err, Err::kBadVersion);
}

TEST(Multi, LaterOpsSeeEarlierOnes) {
  EngineHarness h;
  Client c = h.connect();
  Response r = h.call(c, op_multi({op_create("/p"), op_create("/p/s-", "", CreateMode::kPersistentSequential),
                                   op_create("/p/s-", "", CreateMode::kPersistentSequential),
                                   op_set_data("/p", "d", 0), op_set_data("/p", "e", 1)}));
  ASSERT_EQ(r.results.size(), 5u);
  EXPECT_EQ(r.results[1].path, "/p/s-0000000000");
  EXPECT_EQ(r.results[2].path, "/p/s-0000000001");
  EXPECT_EQ(r.results[4].err, Err::kOk);
  EXPECT_EQ(h.tree().find("/p")->stat.version, 2);
  // Deleting a node with a child created earlier in the same multi fails.
  Response d = h.call(c, op_multi({op_create("/p/t"), op_delete("/p/t"), op_delete("/p")}));
  EXPECT_EQ(d.results[2].err, Err::kNotEmpty);
}

TEST(Multi, RollbackRestoresInFlightViews) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/q")).err, Err::kOk);
  // Held in flight: a sequential create; then a failing multi that creates under /q; then
  // another sequential create must continue from the first one, not from the rolled-back multi.
  h.send(c, op_create("/q/s", "", CreateMode::kPersistentSequential));
  h.send(c, op_multi({op_create("/q/s", "", CreateMode::kPersistentSequential), op_delete("/none")}));
  h.send(c, op_create("/q/s", "", CreateMode::kPersistentSequential));
  h.commit_all();
  std::vector<std::string> paths;
  for (const Outbound& m : h.out.sent) {
    if (m.kind == Outbound::Kind::kReply && m.reply.type == OpCode::kCreate) paths.push_back(m.reply.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/q/s0000000000", "/q/s0000000001"}));
  EXPECT_NE(h.tree().find("/q/s0000000001"), nullptr);
}

TEST(Multi, ReadOpsAreAMarshallingError) {
  EngineHarness h;
  Client c = h.connect();
  Response mixed = h.call(c, op_multi({op_create("/a"), op_read(OpCode::kGetData, "/")}));
  EXPECT_EQ(mixed.err, Err::kMarshallingError);
  EXPECT_TRUE(mixed.results.empty());
  EXPECT_EQ(h.tree().find("/a"), nullptr);
  EXPECT_EQ(h.out.logged.back().type, OpCode::kError);
  EXPECT_EQ(h.out.logged.back().err, Err::kMarshallingError);
  Response reads = h.call(c, op_multi({op_read(OpCode::kGetData, "/")}));
  EXPECT_EQ(reads.err, Err::kMarshallingError);
  Response set_acl = h.call(c, op_multi({op_set_acl("/", open_acl())}));
  EXPECT_EQ(set_acl.err, Err::kMarshallingError);
}

TEST(Multi, EmptyMultiSucceeds) {
  EngineHarness h;
  Client c = h.connect();
  Response r = h.call(c, op_multi({}));
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_TRUE(r.results.empty());
}

TEST(MultiRead, PerOpResults) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a", "A")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a/k")).err, Err::kOk);
  AclList nobody{{perm::kRead, {"digest", "someone:else"}}};
  ASSERT_EQ(h.call(c, op_create("/secret", "s", CreateMode::kPersistent, nobody)).err, Err::kOk);
  Response r = h.call(c, op_multi({op_read(OpCode::kGetData, "/a"), op_read(OpCode::kGetChildren, "/a"),
                                   op_read(OpCode::kGetData, "/none"), op_read(OpCode::kGetData, "/secret")},
                                  OpCode::kMultiRead));
  ASSERT_EQ(r.err, Err::kOk);
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.results[0].type, OpCode::kGetData);
  EXPECT_EQ(r.results[0].data, "A");
  EXPECT_EQ(r.results[0].stat.num_children, 1);
  EXPECT_EQ(r.results[1].type, OpCode::kGetChildren);
  EXPECT_EQ(r.results[1].children, std::vector<std::string>{"k"});
  EXPECT_EQ(r.results[2].type, OpCode::kError);
  EXPECT_EQ(r.results[2].err, Err::kNoNode);
  EXPECT_EQ(r.results[3].err, Err::kNoAuth);
  Response bad = h.call(c, op_multi({op_create("/z")}, OpCode::kMultiRead));
  EXPECT_EQ(bad.err, Err::kMarshallingError);
  EXPECT_EQ(h.tree().find("/z"), nullptr);
}

}  // namespace
}  // namespace rk
