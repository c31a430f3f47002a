// Auth packets and ACL enforcement through the Processor: digest, ip, super, "auth" ACLs,
// getACL masking, whoAmI, and auth ids belonging to the connection.
#include <gtest/gtest.h>

#include "engine/acl.h"
#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

Response auth(EngineHarness& h, Client& c, std::string scheme, std::string creds) {
  return h.call(c, op_auth(std::move(scheme), std::move(creds)));
}

TEST(Auth, DigestAddsIdAndAuthAclUsesIt) {
  EngineHarness h;
  Client c = h.connect();
  Response a = auth(h, c, "digest", "alice:secret");
  EXPECT_EQ(a.err, Err::kOk);
  EXPECT_EQ(a.xid, -4);
  EXPECT_EQ(a.zxid, 0);
  ASSERT_EQ(h.call(c, op_create("/a", "", CreateMode::kPersistent, {{perm::kAll, {"auth", ""}}})).err, Err::kOk);
  Response acl = h.call(c, op_read(OpCode::kGetAcl, "/a"));
  EXPECT_EQ(acl.acl, (AclList{{perm::kAll, {"digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="}}}));

  Client other = h.connect();
  EXPECT_EQ(h.call(other, op_read(OpCode::kGetData, "/a")).err, Err::kNoAuth);
  EXPECT_EQ(h.call(other, op_set_data("/a", "x")).err, Err::kNoAuth);
  EXPECT_EQ(h.call(other, op_create("/a/b")).err, Err::kNoAuth);
  EXPECT_EQ(h.call(other, op_read(OpCode::kExists, "/a")).err, Err::kOk);  // exists checks no ACL
  EXPECT_EQ(h.call(other, op_read(OpCode::kGetAcl, "/a")).err, Err::kNoAuth);
  EXPECT_EQ(auth(h, other, "digest", "alice:wrong").err, Err::kOk);  // digest never fails
  EXPECT_EQ(h.call(other, op_read(OpCode::kGetData, "/a")).err, Err::kNoAuth);
  EXPECT_EQ(auth(h, other, "digest", "alice:secret").err, Err::kOk);
  EXPECT_EQ(h.call(other, op_read(OpCode::kGetData, "/a")).err, Err::kOk);
}

TEST(Auth, AuthAclWithoutAuthenticatedIdIsInvalid) {
  EngineHarness h;
  Client c = h.connect();
  EXPECT_EQ(h.call(c, op_create("/a", "", CreateMode::kPersistent, {{perm::kAll, {"auth", ""}}})).err,
            Err::kInvalidAcl);
}

TEST(Auth, UnknownSchemeFailsAndCloses) {
  EngineHarness h;
  Client c = h.connect();
  Response a = auth(h, c, "kerberos", "x");
  EXPECT_EQ(a.err, Err::kAuthFailed);
  EXPECT_TRUE(h.closed(c.conn));
  // The connection is gone: later requests are not answered.
  h.send(c, op_read(OpCode::kExists, "/"));
  EXPECT_TRUE(h.take_replies(c.conn, c.next_xid - 1).empty());
}

TEST(Auth, SuperDigestBypassesAcls) {
  EngineConfig config;
  config.super_digest = digest_auth_id("super:admin");
  EngineHarness h(config);
  Client owner = h.connect();
  ASSERT_EQ(h.call(owner, op_create("/locked", "", CreateMode::kPersistent,
                                    {{perm::kRead, {"digest", "nobody:x"}}})).err, Err::kOk);
  Client admin = h.connect();
  EXPECT_EQ(h.call(admin, op_set_data("/locked", "x")).err, Err::kNoAuth);
  ASSERT_EQ(auth(h, admin, "digest", "super:admin").err, Err::kOk);
  EXPECT_EQ(h.call(admin, op_set_data("/locked", "x")).err, Err::kOk);
  EXPECT_EQ(h.call(admin, op_set_data("/zookeeper/config", "x")).err, Err::kOk);
  Response who = h.call(admin, op_read(OpCode::kWhoAmI, ""));
  EXPECT_EQ(who.client_ids, (std::vector<Id>{{"ip", "10.0.0.1"}, {"super", ""}, {"digest", "super"}}));
}

TEST(Auth, IpAcls) {
  EngineHarness h;
  Client lan = h.connect(30000, "192.168.1.20:4000");
  Client wan = h.connect(30000, "8.8.8.8:4000");
  ASSERT_EQ(h.call(lan, op_create("/lan", "", CreateMode::kPersistent,
                                  {{perm::kAll, {"ip", "192.168.0.0/16"}}})).err, Err::kOk);
  EXPECT_EQ(h.call(lan, op_read(OpCode::kGetData, "/lan")).err, Err::kOk);
  EXPECT_EQ(h.call(wan, op_read(OpCode::kGetData, "/lan")).err, Err::kNoAuth);
  EXPECT_EQ(h.call(wan, op_read(OpCode::kWhoAmI, "")).client_ids, (std::vector<Id>{{"ip", "8.8.8.8"}}));
}

TEST(Auth, GetAclMasksDigestsWithoutAdmin) {
  EngineHarness h;
  Client c = h.connect();
  AclList acl{{perm::kRead, {"world", "anyone"}}, {perm::kAdmin, {"digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="}}};
  ASSERT_EQ(h.call(c, op_create("/a", "", CreateMode::kPersistent, acl)).err, Err::kOk);
  Response masked = h.call(c, op_read(OpCode::kGetAcl, "/a"));
  ASSERT_EQ(masked.err, Err::kOk);
  EXPECT_EQ(masked.acl[1].id.id, "alice:x");
  ASSERT_EQ(auth(h, c, "digest", "alice:secret").err, Err::kOk);
  EXPECT_EQ(h.call(c, op_read(OpCode::kGetAcl, "/a")).acl, acl);
}

TEST(Auth, DeleteNeedsDeleteOnParentAndCreateNeedsCreate) {
  EngineHarness h;
  Client c = h.connect();
  AclList no_delete{{perm::kAll & ~perm::kDelete, {"world", "anyone"}}};
  ASSERT_EQ(h.call(c, op_create("/p", "", CreateMode::kPersistent, no_delete)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/p/c")).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_delete("/p/c")).err, Err::kNoAuth);
  AclList no_create{{perm::kAll & ~perm::kCreate, {"world", "anyone"}}};
  ASSERT_EQ(h.call(c, op_create("/r", "", CreateMode::kPersistent, no_create)).err, Err::kOk);
  EXPECT_EQ(h.call(c, op_create("/r/c")).err, Err::kNoAuth);
}

TEST(Auth, IdsBelongToTheConnection) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(auth(h, c, "digest", "alice:secret").err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/a", "", CreateMode::kPersistent, {{perm::kAll, {"auth", ""}}})).err, Err::kOk);
  // Reconnect with the same session on a new connection: only the ip id remains.
  Client again = c;
  again.conn = h.new_conn();
  ConnectRequest req;
  req.session_id = c.session;
  req.passwd = c.passwd;
  req.timeout_ms = 30000;
  h.send_connect(again.conn, req);
  EXPECT_EQ(h.call(again, op_read(OpCode::kGetData, "/a")).err, Err::kNoAuth);
}

TEST(Auth, AuthDuringHandshakeIsAnsweredAfterTheConnectResponse) {
  EngineHarness h;
  ConnRef conn = h.new_conn();
  ConnectRequest req;
  req.timeout_ms = 30000;
  h.send_connect(conn, req);
  Client c;
  c.conn = conn;
  h.send(c, op_auth("digest", "alice:secret"));
  EXPECT_TRUE(h.out.sent.empty());  // createSession not committed yet
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 2u);
  EXPECT_EQ(h.out.sent[0].kind, Outbound::Kind::kConnectReply);
  EXPECT_EQ(h.out.sent[1].kind, Outbound::Kind::kReply);
  EXPECT_EQ(h.out.sent[1].reply.xid, -4);
}

}  // namespace
}  // namespace rk
