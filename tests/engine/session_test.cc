// Sessions through the Processor: handshake, reconnect, refusal, close and expiry (ephemerals
// removed, watches fired), connection loss, and requests of closing sessions.
#include <gtest/gtest.h>

#include "engine/session_table.h"
#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

ConnectRequest reconnect_request(const Client& c) {
  ConnectRequest req;
  req.session_id = c.session;
  req.passwd = c.passwd;
  req.timeout_ms = c.timeout_ms;
  return req;
}

TEST(Session, NewSessionHandshake) {
  EngineHarness h;  // tick 2000: timeouts negotiate into [4000, 40000]
  ConnRef conn = h.new_conn();
  ConnectRequest req;
  req.timeout_ms = 100000;
  req.has_read_only = true;
  h.send_connect(conn, req);
  EXPECT_TRUE(h.out.sent.empty());  // answered when the createSession txn commits
  ASSERT_EQ(h.out.logged.size(), 1u);
  const Txn& t = h.out.logged[0];
  EXPECT_EQ(t.type, OpCode::kCreateSession);
  EXPECT_EQ(t.timeout_ms, 40000);
  EXPECT_EQ(t.zxid, 1);
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 1u);
  const Outbound& m = h.out.sent[0];
  EXPECT_EQ(m.kind, Outbound::Kind::kConnectReply);
  EXPECT_EQ(m.conn, conn);
  EXPECT_EQ(m.connect.protocol_version, 0);
  EXPECT_EQ(m.connect.timeout_ms, 40000);
  EXPECT_EQ(m.connect.session_id, t.session_id);
  EXPECT_EQ(m.connect.passwd, SessionTable::password(t.session_id));
  EXPECT_FALSE(m.connect.read_only);
  EXPECT_TRUE(m.connect.has_read_only);
  EXPECT_NE(h.proc().sessions().find(t.session_id), nullptr);

  Client low = h.connect(10);
  EXPECT_EQ(low.timeout_ms, 4000);
}

TEST(Session, RequestsDuringTheHandshakeWaitForTheConnectResponse) {
  EngineHarness h;
  Client c;
  c.conn = h.new_conn();
  ConnectRequest req;
  req.timeout_ms = 30000;
  h.send_connect(c.conn, req);
  h.send(c, op_create("/early"));
  h.send(c, op_read(OpCode::kExists, "/early"));
  EXPECT_TRUE(h.out.sent.empty());
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 3u);
  EXPECT_EQ(h.out.sent[0].kind, Outbound::Kind::kConnectReply);
  EXPECT_EQ(h.out.sent[1].reply.type, OpCode::kCreate);
  EXPECT_EQ(h.out.sent[2].reply.type, OpCode::kExists);
  EXPECT_EQ(h.out.sent[2].reply.err, Err::kOk);
  EXPECT_EQ(h.tree().find("/early")->stat.ephemeral_owner, 0);
}

TEST(Session, ConfiguredTimeoutBounds) {
  EngineConfig config;
  config.min_session_timeout_ms = 5000;
  config.max_session_timeout_ms = 6000;
  EngineHarness h(config);
  EXPECT_EQ(h.connect(1).timeout_ms, 5000);
  EXPECT_EQ(h.connect(99999).timeout_ms, 6000);
}

TEST(Session, ReconnectMovesTheSession) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_read(OpCode::kGetData, "/a", true)).err, Err::kOk);
  Client moved = c;
  moved.conn = h.new_conn();
  h.send_connect(moved.conn, reconnect_request(c));
  // Answered at once; the old connection is told to close and loses its watches.
  EXPECT_TRUE(h.closed(c.conn));
  const Outbound* reply = nullptr;
  for (const Outbound& m : h.out.sent) {
    if (m.kind == Outbound::Kind::kConnectReply) reply = &m;
  }
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->conn, moved.conn);
  EXPECT_EQ(reply->connect.session_id, c.session);
  EXPECT_EQ(reply->connect.passwd, c.passwd);
  EXPECT_EQ(h.proc().watches().watch_count(), 0u);
  h.out.sent.clear();
  EXPECT_EQ(h.call(moved, op_read(OpCode::kExists, "/a")).err, Err::kOk);
  // The old connection is no longer served.
  h.send(c, op_read(OpCode::kExists, "/a"));
  EXPECT_TRUE(h.take_replies(c.conn, c.next_xid - 1).empty());
}

TEST(Session, ReconnectNegotiatesANewTimeout) {
  EngineHarness h;
  Client c = h.connect(40000);
  Client back = c;
  back.conn = h.new_conn();
  ConnectRequest req = reconnect_request(c);
  req.timeout_ms = 4000;
  h.send_connect(back.conn, req);
  EXPECT_EQ(h.proc().sessions().find(c.session)->timeout_ms, 4000);
  h.advance(7000);
  h.tick();
  EXPECT_EQ(h.out.logged.back().type, OpCode::kCloseSession);
}

TEST(Session, ReconnectRefusals) {
  EngineHarness h;
  Client c = h.connect();
  auto expect_refused = [&](ConnectRequest req) {
    ConnRef conn = h.new_conn();
    h.out.sent.clear();
    h.send_connect(conn, req);
    ASSERT_EQ(h.out.sent.size(), 1u);
    const ConnectResponse& r = h.out.sent[0].connect;
    EXPECT_EQ(h.out.sent[0].kind, Outbound::Kind::kConnectReply);
    EXPECT_EQ(r.timeout_ms, 0);
    EXPECT_EQ(r.session_id, 0);
    EXPECT_EQ(r.passwd, std::string(16, '\0'));
  };
  ConnectRequest wrong = reconnect_request(c);
  wrong.passwd[0] ^= 1;
  expect_refused(wrong);
  ConnectRequest unknown = reconnect_request(c);
  unknown.session_id = c.session + 1000;
  unknown.passwd = SessionTable::password(unknown.session_id);
  expect_refused(unknown);
}

TEST(Session, ClientAheadOfUsIsClosedWithoutReply) {
  EngineHarness h;
  Client c = h.connect();
  ConnRef conn = h.new_conn();
  ConnectRequest req = reconnect_request(c);
  req.last_zxid_seen = h.proc().last_processed_zxid() + 1;
  h.out.sent.clear();
  h.send_connect(conn, req);
  ASSERT_EQ(h.out.sent.size(), 1u);
  EXPECT_EQ(h.out.sent[0].kind, Outbound::Kind::kClose);
}

TEST(Session, CloseSessionRemovesEphemeralsAndFiresWatches) {
  EngineHarness h;
  Client c = h.connect();
  Client watcher = h.connect();
  ASSERT_EQ(h.call(c, op_create("/dir")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/dir/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(watcher, op_read(OpCode::kExists, "/dir/e", true)).err, Err::kOk);
  ASSERT_EQ(h.call(watcher, op_read(OpCode::kGetChildren, "/dir", true)).err, Err::kOk);
  Request close;
  close.type = OpCode::kCloseSession;
  Response r = h.call(c, close);
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.type, OpCode::kCloseSession);
  EXPECT_TRUE(h.closed(c.conn));
  EXPECT_EQ(h.tree().find("/dir/e"), nullptr);
  EXPECT_EQ(h.proc().sessions().find(c.session), nullptr);
  const Txn& t = h.out.logged.back();
  EXPECT_EQ(t.type, OpCode::kCloseSession);
  EXPECT_EQ(t.paths, std::vector<std::string>{"/dir/e"});
  std::vector<WatchEvent> events = h.take_events(watcher.conn);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kNodeDeleted);
  EXPECT_EQ(events[0].path, "/dir/e");
  EXPECT_EQ(events[1].type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(events[1].path, "/dir");
}

TEST(Session, CloseSessionSeesUncommittedEphemerals) {
  EngineHarness h;
  Client c = h.connect();
  h.send(c, op_create("/e1", "", CreateMode::kEphemeral));
  h.send(c, op_create("/e2", "", CreateMode::kEphemeral));
  h.send(c, op_delete("/e1"));
  Request close;
  close.type = OpCode::kCloseSession;
  h.send(c, close);
  EXPECT_EQ(h.out.logged.back().paths, std::vector<std::string>{"/e2"});
  h.commit_all();
  EXPECT_EQ(h.tree().find("/e2"), nullptr);
  EXPECT_EQ(h.tree().ephemeral_count(), 0u);
}

TEST(Session, ExpiryClosesTheSession) {
  EngineHarness h;
  Client c = h.connect(4000);
  Client watcher = h.connect(40000);
  ASSERT_EQ(h.call(c, op_create("/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(watcher, op_read(OpCode::kExists, "/e", true)).err, Err::kOk);
  h.advance(3000);
  h.tick();
  EXPECT_EQ(h.out.logged.back().type, OpCode::kCreate);  // not yet
  h.advance(4000);
  h.tick();
  const Txn& t = h.out.logged.back();
  EXPECT_EQ(t.type, OpCode::kCloseSession);
  EXPECT_EQ(t.session_id, c.session);
  EXPECT_EQ(t.cxid, 0);
  // Closing: its requests are dropped from now on.
  h.send(c, op_read(OpCode::kExists, "/"));
  h.commit_all();
  EXPECT_TRUE(h.take_replies(c.conn, c.next_xid - 1).empty());
  EXPECT_TRUE(h.closed(c.conn));
  EXPECT_EQ(h.tree().find("/e"), nullptr);
  std::vector<WatchEvent> events = h.take_events(watcher.conn);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kNodeDeleted);
  // The session cannot be resumed.
  ConnRef conn = h.new_conn();
  h.out.sent.clear();
  h.send_connect(conn, reconnect_request(c));
  ASSERT_EQ(h.out.sent.size(), 1u);
  EXPECT_EQ(h.out.sent[0].connect.session_id, 0);
}

TEST(Session, RequestsKeepTheSessionAlive) {
  EngineHarness h;
  Client c = h.connect(4000);
  Request ping;
  ping.type = OpCode::kPing;
  ping.xid = -2;
  for (int i = 0; i < 10; ++i) {
    h.advance(2000);
    h.tick();
    ASSERT_EQ(h.call(c, ping).err, Err::kOk);
  }
  EXPECT_NE(h.proc().sessions().find(c.session), nullptr);
  EXPECT_FALSE(h.proc().sessions().find(c.session)->closing);
}

TEST(Session, LostConnectionKeepsSessionAndEphemerals) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_read(OpCode::kGetData, "/e", true)).err, Err::kOk);
  EXPECT_EQ(h.proc().watches().watch_count(), 1u);
  h.close_conn(c.conn);
  EXPECT_EQ(h.proc().watches().watch_count(), 0u);
  EXPECT_NE(h.tree().find("/e"), nullptr);
  Client back = c;
  back.conn = h.new_conn();
  h.send_connect(back.conn, reconnect_request(c));
  EXPECT_EQ(h.call(back, op_read(OpCode::kGetEphemerals, "/")).children, std::vector<std::string>{"/e"});
}

}  // namespace
}  // namespace rk
