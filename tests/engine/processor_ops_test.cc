// Single operations through the Processor: results, error codes in ZooKeeper's order, Stat
// fields, sequential names, ephemerals, the reserved /zookeeper nodes and reads.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk {
namespace {

using testing::Client;
using testing::EngineHarness;
using namespace rk::testing;

TEST(Reserved, StartingTreeAsStandalone38) {
  EngineHarness h;
  Client c = h.connect();
  Response root = h.call(c, op_read(OpCode::kGetChildren2, "/"));
  ASSERT_EQ(root.err, Err::kOk);
  EXPECT_EQ(root.children, std::vector<std::string>{"zookeeper"});
  EXPECT_EQ(root.stat.cversion, -1);  // stored 0, one child: 0 * 2 - 1
  EXPECT_EQ(root.stat.num_children, 1);
  Response zk = h.call(c, op_read(OpCode::kGetChildren2, "/zookeeper"));
  EXPECT_EQ(zk.children, (std::vector<std::string>{"config", "quota"}));
  Response config = h.call(c, op_read(OpCode::kGetAcl, "/zookeeper/config"));
  ASSERT_EQ(config.err, Err::kOk);
  EXPECT_EQ(config.acl, (AclList{{perm::kRead, {"world", "anyone"}}}));
  EXPECT_EQ(config.stat.aversion, -1);
  Response quota = h.call(c, op_read(OpCode::kGetAcl, "/zookeeper/quota"));
  EXPECT_EQ(quota.acl, open_acl());
}

TEST(Reserved, SpecialNodesCannotBeDeletedAndConfigIsReadOnly) {
  EngineHarness h;
  Client c = h.connect();
  for (const char* p : {"/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/"}) {
    EXPECT_EQ(h.call(c, op_delete(p)).err, Err::kBadArguments) << p;
  }
  EXPECT_EQ(h.call(c, op_set_data("/zookeeper/config", "x")).err, Err::kNoAuth);
  // The rest of /zookeeper is open, as in ZooKeeper.
  EXPECT_EQ(h.call(c, op_create("/zookeeper/mine")).err, Err::kOk);
}

TEST(Create, StatFieldsAndParentBookkeeping) {
  EngineHarness h;
  Client c = h.connect();
  Response r = h.call(c, op_create2("/a", "hello"));
  ASSERT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.type, OpCode::kCreate2);
  EXPECT_EQ(r.path, "/a");
  Zxid z = r.zxid;
  EXPECT_EQ(z, h.proc().last_processed_zxid());
  EXPECT_EQ(r.stat.czxid, z);
  EXPECT_EQ(r.stat.mzxid, z);
  EXPECT_EQ(r.stat.pzxid, z);
  EXPECT_EQ(r.stat.ctime, h.wall_ms);
  EXPECT_EQ(r.stat.mtime, h.wall_ms);
  EXPECT_EQ(r.stat.version, 0);
  EXPECT_EQ(r.stat.cversion, 0);
  EXPECT_EQ(r.stat.aversion, 0);
  EXPECT_EQ(r.stat.ephemeral_owner, 0);
  EXPECT_EQ(r.stat.data_length, 5);
  EXPECT_EQ(r.stat.num_children, 0);

  Response root = h.call(c, op_read(OpCode::kExists, "/"));
  EXPECT_EQ(root.stat.pzxid, z);
  EXPECT_EQ(root.stat.cversion, 0);  // stored 1, two children
  EXPECT_EQ(root.stat.num_children, 2);

  Response plain = h.call(c, op_create("/b"));
  EXPECT_EQ(plain.type, OpCode::kCreate);
  EXPECT_EQ(plain.path, "/b");
  EXPECT_EQ(plain.stat, Stat{});  // create (1) carries only the path
}

TEST(Create, ErrorsInZooKeeperOrder) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_create("/a")).err, Err::kNodeExists);
  EXPECT_EQ(h.call(c, op_create("/x/y")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_create("noslash")).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_create("/a/")).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_create("/a/.")).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_create("/b", "", CreateMode::kPersistent, {})).err, Err::kInvalidAcl);
  // Invalid ACL is checked before the parent exists.
  EXPECT_EQ(h.call(c, op_create("/x/y", "", CreateMode::kPersistent, {})).err, Err::kInvalidAcl);
  Request bad_mode = op_create("/c");
  bad_mode.flags = 7;
  EXPECT_EQ(h.call(c, bad_mode).err, Err::kBadArguments);
  // Sequential with a trailing slash names a child of the parent.
  Response seq = h.call(c, op_create("/a/", "", CreateMode::kPersistentSequential));
  EXPECT_EQ(seq.err, Err::kOk);
  EXPECT_EQ(seq.path, "/a/0000000000");
}

TEST(Create, FailedWriteIsAnErrorTxnWithItsOwnZxid) {
  EngineHarness h;
  Client c = h.connect();
  Zxid before = h.proc().last_logged_zxid();
  Response r = h.call(c, op_create("/x/y"));
  EXPECT_EQ(r.err, Err::kNoNode);
  EXPECT_EQ(r.zxid, before + 1);
  ASSERT_FALSE(h.out.logged.empty());
  const Txn& t = h.out.logged.back();
  EXPECT_EQ(t.type, OpCode::kError);
  EXPECT_EQ(t.err, Err::kNoNode);
  EXPECT_EQ(t.zxid, before + 1);
  EXPECT_EQ(t.session_id, c.session);
  EXPECT_EQ(r.path, "");
}

TEST(Create, SequentialNamesFollowParentCversion) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/q")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_create("/q/n-", "", CreateMode::kPersistentSequential)).path, "/q/n-0000000000");
  EXPECT_EQ(h.call(c, op_create("/q/plain")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_delete("/q/plain")).err, Err::kOk);
  // Deletes do not move the stored cversion; creates (sequential or not) do.
  EXPECT_EQ(h.call(c, op_create("/q/n-", "", CreateMode::kEphemeralSequential)).path, "/q/n-0000000002");
  Response q = h.call(c, op_read(OpCode::kExists, "/q"));
  EXPECT_EQ(q.stat.cversion, 3 * 2 - 2);  // three creates, one delete
}

TEST(Create, SequentialNamesSeeUncommittedCreates) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/q")).err, Err::kOk);
  // Three creates validated before any commits (group commit): names must not repeat.
  for (int i = 0; i < 3; ++i) h.send(c, op_create("/q/s", "", CreateMode::kPersistentSequential));
  h.commit_all();
  std::vector<std::string> names;
  for (const Outbound& m : h.out.sent) {
    if (m.kind == Outbound::Kind::kReply) names.push_back(m.reply.path);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"/q/s0000000000", "/q/s0000000001", "/q/s0000000002"}));
}

TEST(Create, EphemeralsCannotHaveChildren) {
  EngineHarness h;
  Client c = h.connect();
  Response e = h.call(c, op_create2("/e", "", CreateMode::kEphemeral));
  ASSERT_EQ(e.err, Err::kOk);
  EXPECT_EQ(e.stat.ephemeral_owner, c.session);
  EXPECT_EQ(h.call(c, op_create("/e/child")).err, Err::kNoChildrenForEphemerals);
  Response eph = h.call(c, op_read(OpCode::kGetEphemerals, "/"));
  EXPECT_EQ(eph.children, std::vector<std::string>{"/e"});
}

TEST(Create, NullDataIsKept) {
  EngineHarness h;
  Client c = h.connect();
  Request r = op_create("/n");
  r.data_is_null = true;
  ASSERT_EQ(h.call(c, r).err, Err::kOk);
  Response g = h.call(c, op_read(OpCode::kGetData, "/n"));
  EXPECT_TRUE(g.data_is_null);
  EXPECT_EQ(g.stat.data_length, 0);
}

TEST(Delete, VersionsChildrenAndParentStat) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a/b")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_delete("/a")).err, Err::kNotEmpty);
  EXPECT_EQ(h.call(c, op_delete("/a/b", 3)).err, Err::kBadVersion);
  EXPECT_EQ(h.call(c, op_delete("/a/zz")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_delete("/zz/zz")).err, Err::kNoNode);
  Response d = h.call(c, op_delete("/a/b", 0));
  ASSERT_EQ(d.err, Err::kOk);
  Response a = h.call(c, op_read(OpCode::kExists, "/a"));
  EXPECT_EQ(a.stat.pzxid, d.zxid);
  EXPECT_EQ(a.stat.cversion, 2);  // one create + one delete
  EXPECT_EQ(a.stat.num_children, 0);
  EXPECT_EQ(h.call(c, op_delete("/a")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_read(OpCode::kExists, "/a")).err, Err::kNoNode);
}

TEST(Delete, SeesUncommittedChildCreate) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  h.send(c, op_create("/a/b"));
  h.send(c, op_delete("/a"));  // validated before the create commits
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 2u);
  EXPECT_EQ(h.out.sent[0].reply.err, Err::kOk);
  EXPECT_EQ(h.out.sent[1].reply.err, Err::kNotEmpty);
}

TEST(SetData, VersionStatAndData) {
  EngineHarness h;
  Client c = h.connect();
  Response cr = h.call(c, op_create("/a", "v0"));
  h.advance(1000);
  Response s = h.call(c, op_set_data("/a", "v1-longer", 0));
  ASSERT_EQ(s.err, Err::kOk);
  EXPECT_EQ(s.type, OpCode::kSetData);
  EXPECT_EQ(s.stat.version, 1);
  EXPECT_EQ(s.stat.mzxid, s.zxid);
  EXPECT_EQ(s.stat.mtime, h.wall_ms);
  EXPECT_EQ(s.stat.ctime, h.wall_ms - 1000);
  EXPECT_EQ(s.stat.czxid, cr.zxid);
  EXPECT_EQ(s.stat.data_length, 9);
  EXPECT_EQ(h.call(c, op_set_data("/a", "x", 0)).err, Err::kBadVersion);
  EXPECT_EQ(h.call(c, op_set_data("/nope", "x")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_set_data("bad", "x")).err, Err::kBadArguments);
  Response g = h.call(c, op_read(OpCode::kGetData, "/a"));
  EXPECT_EQ(g.data, "v1-longer");
  EXPECT_EQ(g.stat.version, 1);
}

TEST(SetData, DataLongerThanMaxBufferClosesTheConnection) {
  // ZooKeeper rejects such a packet at the connection (len > jute.maxbuffer): no reply, no txn.
  EngineConfig config;
  config.max_buffer_bytes = 100;
  EngineHarness h(config);
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a", std::string(100, 'x'))).err, Err::kOk);
  Zxid before = h.proc().last_logged_zxid();
  h.send(c, op_set_data("/a", std::string(101, 'x')));
  h.commit_all();
  EXPECT_TRUE(h.closed(c.conn));
  EXPECT_EQ(h.proc().last_logged_zxid(), before);
  EXPECT_EQ(h.take_replies(c.conn, c.next_xid - 1).size(), 0u);
}

TEST(SetAcl, AversionAndAdminCheck) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  AclList read_only{{perm::kRead, {"world", "anyone"}}};
  EXPECT_EQ(h.call(c, op_set_acl("/a", read_only, 5)).err, Err::kBadVersion);
  EXPECT_EQ(h.call(c, op_set_acl("/a", {}, 0)).err, Err::kInvalidAcl);
  Response s = h.call(c, op_set_acl("/a", read_only, 0));
  ASSERT_EQ(s.err, Err::kOk);
  EXPECT_EQ(s.stat.aversion, 1);
  EXPECT_EQ(h.call(c, op_set_acl("/a", open_acl())).err, Err::kNoAuth);  // no ADMIN left
  EXPECT_EQ(h.call(c, op_set_data("/a", "x")).err, Err::kNoAuth);
  Response g = h.call(c, op_read(OpCode::kGetAcl, "/a"));
  EXPECT_EQ(g.acl, read_only);
  EXPECT_EQ(g.stat.aversion, 1);
}

TEST(Check, StandaloneCheckIsNotAValidRequest) {
  // Request.isValid(check) is false in 3.8: Unimplemented, then the connection closes.
  EngineHarness h;
  Client c = h.connect();
  Response r = h.call(c, op_check("/", -1));
  EXPECT_EQ(r.err, Err::kUnimplemented);
  EXPECT_TRUE(h.closed(c.conn));
}

TEST(Reconfig, IsDisabledAndStillATxn) {
  EngineHarness h;
  Client c = h.connect();
  Request r;
  r.type = OpCode::kReconfig;
  Response rsp = h.call(c, r);
  EXPECT_EQ(rsp.err, Err::kReconfigDisabled);
  EXPECT_EQ(h.out.logged.back().type, OpCode::kError);
}

TEST(Reads, ExistsGetDataChildrenAllChildrenNumber) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a", "d")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a/c2")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a/c1")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a/c1/g")).err, Err::kOk);
  Zxid last = h.proc().last_processed_zxid();
  Response e = h.call(c, op_read(OpCode::kExists, "/a"));
  EXPECT_EQ(e.err, Err::kOk);
  EXPECT_EQ(e.zxid, last);  // reads carry the last processed zxid
  EXPECT_EQ(e.stat.num_children, 2);
  EXPECT_EQ(h.call(c, op_read(OpCode::kExists, "/none")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_read(OpCode::kExists, std::string("/a\0b", 4))).err, Err::kBadArguments);
  Response g = h.call(c, op_read(OpCode::kGetChildren, "/a"));
  EXPECT_EQ(g.children, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(g.stat, Stat{});  // getChildren (8) has no stat
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetChildren, "/none")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetData, "/none")).err, Err::kNoNode);
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetAllChildrenNumber, "/a")).number, 3);
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetAllChildrenNumber, "/")).number, 3 + 4);
  Response s = h.call(c, op_read(OpCode::kSync, "/a"));
  EXPECT_EQ(s.path, "/a");
  Request ping;
  ping.type = OpCode::kPing;
  ping.xid = -2;
  Response p = h.call(c, ping);
  EXPECT_EQ(p.err, Err::kOk);
  EXPECT_EQ(p.zxid, last);
}

TEST(Reads, GetEphemeralsByPrefix) {
  EngineHarness h;
  Client c = h.connect();
  Client other = h.connect();
  ASSERT_EQ(h.call(c, op_create("/app")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/app/e1", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/e2", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(other, op_create("/e3", "", CreateMode::kEphemeral)).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetEphemerals, "/")).children,
            (std::vector<std::string>{"/app/e1", "/e2"}));
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetEphemerals, "/app")).children,
            (std::vector<std::string>{"/app/e1"}));
  EXPECT_EQ(h.call(other, op_read(OpCode::kGetEphemerals, "")).children,
            (std::vector<std::string>{"/e3"}));
}

TEST(Reads, UnknownOpcodeIsUnimplementedAndCloses) {
  EngineHarness h;
  Client c = h.connect();
  Request r;
  r.type = OpCode::kSasl;
  Response rsp = h.call(c, r);
  EXPECT_EQ(rsp.err, Err::kUnimplemented);
  EXPECT_TRUE(h.closed(c.conn));
}

}  // namespace
}  // namespace rk
