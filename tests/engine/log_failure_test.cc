// The engine when the txn log fails: uncommitted writes are answered with the error in
// request order, new writes are refused at once while reads go on, and writes resume.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

TEST(LogFailure, UncommittedWritesAreAnsweredWithTheErrorInOrder) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/kept", "1")).err, Err::kOk);
  Zxid applied = h.proc().last_processed_zxid();
  // Two writes and a read behind them; nothing of them commits.
  h.send(c, op_create("/lost"));
  h.send(c, op_set_data("/kept", "2"));
  h.send(c, op_read(OpCode::kGetData, "/kept"));
  EXPECT_EQ(h.proc().last_logged_zxid(), applied + 2);

  h.proc().refuse_writes(Err::kSystemError);
  std::vector<int32_t> order;
  for (const Outbound& m : h.out.sent) {
    if (m.kind == Outbound::Kind::kReply && m.conn == c.conn) order.push_back(m.reply.xid);
  }
  ASSERT_EQ(order.size(), 3u);
  EXPECT_LT(order[0], order[1]);
  EXPECT_LT(order[1], order[2]);
  std::vector<Response> first = h.take_replies(c.conn, order[0]);
  std::vector<Response> second = h.take_replies(c.conn, order[1]);
  std::vector<Response> read = h.take_replies(c.conn, order[2]);
  EXPECT_EQ(first[0].err, Err::kSystemError);
  EXPECT_EQ(second[0].err, Err::kSystemError);
  EXPECT_EQ(read[0].err, Err::kOk);
  EXPECT_EQ(read[0].data, "1");  // the aborted setData never applied
  EXPECT_EQ(h.tree().find("/lost"), nullptr);
  EXPECT_EQ(h.proc().last_logged_zxid(), applied);
  // A late commit of the old durable point changes nothing.
  h.proc().commit(applied + 2);
  EXPECT_EQ(h.tree().find("/lost"), nullptr);
}

TEST(LogFailure, WritesAreRefusedAtOnceReadsGoOnThenWritesResume) {
  EngineHarness h;
  Client c = h.connect();
  h.proc().refuse_writes(Err::kSystemError);
  size_t logged = h.out.logged.size();
  EXPECT_EQ(h.call(c, op_create("/a")).err, Err::kSystemError);
  Response multi = h.call(c, op_multi({op_create("/b")}));
  EXPECT_EQ(multi.err, Err::kSystemError);
  EXPECT_TRUE(multi.results.empty());
  EXPECT_EQ(h.call(c, op_read(OpCode::kExists, "/zookeeper")).err, Err::kOk);
  EXPECT_EQ(h.out.logged.size(), logged);  // nothing reached the log

  // A new session needs a txn: its handshake is closed. A known session may reconnect.
  ConnRef fresh = h.new_conn();
  ConnectRequest req;
  req.timeout_ms = 30000;
  req.passwd = std::string(16, '\0');
  h.send_connect(fresh, req);
  EXPECT_TRUE(h.closed(fresh));

  h.proc().resume_writes();
  EXPECT_FALSE(h.proc().writes_refused());
  Response created = h.call(c, op_create("/a"));
  EXPECT_EQ(created.err, Err::kOk);
  EXPECT_EQ(created.zxid, h.proc().last_processed_zxid());
  EXPECT_NE(h.tree().find("/a"), nullptr);
}

TEST(LogFailure, AbortedHandshakeIsClosedAndSessionForgotten) {
  EngineHarness h;
  ConnRef conn = h.new_conn();
  ConnectRequest req;
  req.timeout_ms = 30000;
  req.passwd = std::string(16, '\0');
  h.send_connect(conn, req);
  EXPECT_EQ(h.proc().sessions().size(), 1u);
  h.proc().refuse_writes(Err::kSystemError);
  EXPECT_TRUE(h.closed(conn));
  EXPECT_EQ(h.proc().sessions().size(), 0u);
}

TEST(LogFailure, AbortedCloseSessionIsIssuedAgainOnResume) {
  EngineHarness h;
  Client c = h.connect(4000);
  ASSERT_EQ(h.call(c, op_create("/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  h.close_conn(c.conn);
  h.advance(60000);
  h.tick();  // expiry: a closeSession txn goes to the log, not committed
  ASSERT_FALSE(h.out.logged.empty());
  EXPECT_EQ(h.out.logged.back().type, OpCode::kCloseSession);
  h.proc().refuse_writes(Err::kSystemError);
  EXPECT_NE(h.tree().find("/e"), nullptr);
  h.advance(60000);
  h.tick();  // nothing is issued while refused
  EXPECT_EQ(h.proc().last_logged_zxid(), h.proc().last_processed_zxid());
  h.proc().resume_writes();
  ASSERT_GT(h.proc().last_logged_zxid(), h.proc().last_processed_zxid());
  h.commit_all();
  EXPECT_EQ(h.tree().find("/e"), nullptr);
  EXPECT_EQ(h.proc().sessions().size(), 0u);
}

}  // namespace
}  // namespace rk
