// The engine's ensemble roles: a leader engine and a learner engine joined by hand the way
// server/replica joins them (forwards to the leader, the leader's txns learned and committed
// on the learner), checking what each member's clients see.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk::testing {
namespace {

constexpr Zxid kEpochBase = make_zxid(3, 0);

class ReplicaRoles : public ::testing::Test {
 protected:
  ReplicaRoles() : leader_(config(1)), learner_(config(2)) {
    leader_.proc().set_role(ReplicaRole::kLeader, kEpochBase, leader_.mono_ms);
    learner_.proc().set_role(ReplicaRole::kLearner, 0, learner_.mono_ms);
  }

  static EngineConfig config(int64_t id) {
    EngineConfig c;
    c.server_id = id;
    return c;
  }

  // Carries the learner's forwards to the leader, the leader's logged txns back to the
  // learner, and commits them on both (as a quorum's acks would).
  void replicate() {
    for (auto& [session, timeout] : learner_.out.forwarded_sessions) {
      leader_.proc().handle_forwarded_session(session, timeout, leader_.wall_ms, leader_.mono_ms);
    }
    learner_.out.forwarded_sessions.clear();
    for (ForwardedWrite& f : learner_.out.forwarded) {
      leader_.proc().handle_forwarded_write(f.session, f.ids, std::move(f.request), leader_.wall_ms,
                                            leader_.mono_ms);
    }
    learner_.out.forwarded.clear();
    for (const Txn& txn : leader_.out.logged) learner_.proc().learn(Txn(txn));
    leader_.out.logged.clear();
    leader_.commit_all();
    learner_.commit_all();
  }

  // A client's first handshake: no session yet.
  static ConnectRequest new_session() {
    ConnectRequest req;
    req.timeout_ms = 30000;
    req.passwd = std::string(16, '\0');
    return req;
  }

  Client learner_connect() {
    Client c;
    c.conn = learner_.new_conn();
    learner_.send_connect(c.conn, new_session());
    replicate();
    for (size_t i = 0; i < learner_.out.sent.size(); ++i) {
      const Outbound& m = learner_.out.sent[i];
      if (m.kind == Outbound::Kind::kConnectReply && m.conn == c.conn) {
        c.session = m.connect.session_id;
        c.timeout_ms = m.connect.timeout_ms;
        learner_.out.sent.erase(learner_.out.sent.begin() + static_cast<long>(i));
        break;
      }
    }
    return c;
  }

  EngineHarness leader_;
  EngineHarness learner_;
};

TEST_F(ReplicaRoles, LeaderNumbersTxnsInItsEpoch) {
  Client c = leader_.connect();
  Response r = leader_.call(c, op_create("/a", "x"));
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_EQ(zxid_epoch(r.zxid), 3);
  EXPECT_GT(r.zxid, kEpochBase + 1);  // the createSession came first
}

TEST_F(ReplicaRoles, LearnerSessionIsMadeByTheLeaderAndAnsweredAtCommit) {
  Client c;
  c.conn = learner_.new_conn();
  learner_.send_connect(c.conn, new_session());
  // Nothing is answered, nothing is logged locally: the session goes to the leader.
  EXPECT_TRUE(learner_.out.sent.empty());
  EXPECT_TRUE(learner_.out.logged.empty());
  ASSERT_EQ(learner_.out.forwarded_sessions.size(), 1u);
  SessionId id = learner_.out.forwarded_sessions[0].first;
  EXPECT_EQ(id >> 56, 2);  // the learner's myid in the top byte
  replicate();
  ASSERT_EQ(learner_.out.sent.size(), 1u);
  EXPECT_EQ(learner_.out.sent[0].kind, Outbound::Kind::kConnectReply);
  EXPECT_EQ(learner_.out.sent[0].connect.session_id, id);
  EXPECT_NE(leader_.proc().sessions().find(id), nullptr);
}

TEST_F(ReplicaRoles, LearnerWritesGoThroughTheLeaderAndAnswerInOrder) {
  Client c = learner_connect();
  ASSERT_NE(c.session, 0);
  learner_.send(c, op_create("/a", "1"));
  learner_.send(c, op_read(OpCode::kGetData, "/a"));  // waits behind the write
  learner_.send(c, op_create("/a", "2"));             // fails at the leader: NodeExists
  EXPECT_TRUE(learner_.take_replies(c.conn, 1).empty());
  EXPECT_TRUE(learner_.take_replies(c.conn, 2).empty());
  ASSERT_EQ(learner_.out.forwarded.size(), 2u);
  replicate();
  auto created = learner_.take_replies(c.conn, 1);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].err, Err::kOk);
  EXPECT_EQ(created[0].path, "/a");
  auto read = learner_.take_replies(c.conn, 2);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].data, "1");
  auto failed = learner_.take_replies(c.conn, 3);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].err, Err::kNodeExists);
  // Both trees agree.
  EXPECT_EQ(learner_.proc().last_processed_zxid(), leader_.proc().last_processed_zxid());
  EXPECT_NE(leader_.tree().find("/a"), nullptr);
}

TEST_F(ReplicaRoles, WatchOnLearnerFiresForAWriteMadeOnTheLeader) {
  Client on_learner = learner_connect();
  Client on_leader = leader_.connect();
  learner_.send(on_learner, op_read(OpCode::kExists, "/w", true));
  learner_.take_replies(on_learner.conn, on_learner.next_xid - 1);
  leader_.call(on_leader, op_create("/w"));
  replicate();
  auto events = learner_.take_events(on_learner.conn);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/w");
  EXPECT_EQ(events[0].type, EventType::kNodeCreated);
}

TEST_F(ReplicaRoles, LearnerSyncWaitsForTheLeadersZxid) {
  Client on_learner = learner_connect();
  Client on_leader = leader_.connect();
  replicate();
  leader_.send(on_leader, op_create("/s", "v"));  // logged at the leader, not yet here
  Request sync = op_read(OpCode::kSync, "/s");
  sync.xid = on_learner.next_xid++;
  learner_.send(on_learner, sync);
  learner_.send(on_learner, op_read(OpCode::kGetData, "/s"));
  ASSERT_EQ(learner_.out.forwarded_syncs.size(), 1u);
  learner_.proc().sync_reply(on_learner.session, sync.xid, leader_.proc().last_logged_zxid());
  EXPECT_TRUE(learner_.take_replies(on_learner.conn, sync.xid).empty());  // not applied yet
  replicate();
  auto synced = learner_.take_replies(on_learner.conn, sync.xid);
  ASSERT_EQ(synced.size(), 1u);
  EXPECT_EQ(synced[0].path, "/s");
  auto read = learner_.take_replies(on_learner.conn, sync.xid + 1);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].err, Err::kOk);
  EXPECT_EQ(read[0].data, "v");
}

TEST_F(ReplicaRoles, LookingClosesClientsAndRefusesNewOnes) {
  Client c = learner_connect();
  learner_.proc().set_role(ReplicaRole::kLooking, 0, learner_.mono_ms);
  EXPECT_TRUE(learner_.closed(c.conn));
  learner_.out.sent.clear();
  ConnRef other = learner_.new_conn();
  learner_.send_connect(other, new_session());
  EXPECT_TRUE(learner_.closed(other));
  EXPECT_TRUE(learner_.out.forwarded_sessions.empty());
  // The session itself lives on.
  EXPECT_NE(learner_.proc().sessions().find(c.session), nullptr);
}

TEST_F(ReplicaRoles, LearnerNeverExpiresSessionsTheLeaderDoes) {
  Client c = learner_connect();
  ASSERT_TRUE(leader_.out.logged.empty());
  learner_.advance(10 * 60 * 1000);
  learner_.tick();
  EXPECT_TRUE(learner_.out.logged.empty());
  leader_.advance(10 * 60 * 1000);
  leader_.tick();
  ASSERT_EQ(leader_.out.logged.size(), 1u);
  EXPECT_EQ(leader_.out.logged[0].type, OpCode::kCloseSession);
  EXPECT_EQ(leader_.out.logged[0].session_id, c.session);
}

TEST_F(ReplicaRoles, TouchesFromTheLearnerKeepTheSessionAlive) {
  Client c = learner_connect();
  for (int i = 0; i < 10; ++i) {
    leader_.advance(10000);
    learner_.advance(10000);
    learner_.send(c, op_read(OpCode::kExists, "/"));
    std::vector<std::pair<SessionId, int32_t>> touched;
    learner_.proc().take_touched(touched);
    ASSERT_EQ(touched.size(), 1u);
    for (auto& [id, timeout] : touched) leader_.proc().touch_session(id, timeout, leader_.mono_ms);
    leader_.tick();
  }
  EXPECT_TRUE(leader_.out.logged.empty());  // 100 s with a 30 s timeout, never expired
}

TEST_F(ReplicaRoles, TruncateDropsUncommittedTxns) {
  Client on_leader = leader_.connect();
  replicate();
  Zxid committed = learner_.proc().last_processed_zxid();
  leader_.send(on_leader, op_create("/t1"));
  leader_.send(on_leader, op_create("/t2"));
  for (const Txn& txn : leader_.out.logged) learner_.proc().learn(Txn(txn));
  learner_.proc().set_role(ReplicaRole::kLooking, 0, learner_.mono_ms);
  learner_.proc().truncate(committed);
  EXPECT_EQ(learner_.proc().last_logged_zxid(), committed);
  learner_.commit_all();
  EXPECT_EQ(learner_.tree().find("/t1"), nullptr);
}

TEST_F(ReplicaRoles, ASessionWhoseCloseWasLostExpiresAgainUnderTheNextLeader) {
  Client c = leader_.connect();
  leader_.out.logged.clear();
  leader_.advance(10 * 60 * 1000);
  leader_.tick();  // expiry marks it closing and logs a closeSession, never committed
  ASSERT_EQ(leader_.out.logged.size(), 1u);
  leader_.out.logged.clear();
  Zxid committed = leader_.proc().last_processed_zxid();
  leader_.proc().set_role(ReplicaRole::kLooking, 0, leader_.mono_ms);
  leader_.proc().truncate(committed);
  leader_.proc().set_role(ReplicaRole::kLeader, make_zxid(4, 0), leader_.mono_ms);
  const Session* s = leader_.proc().sessions().find(c.session);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->closing);
  leader_.tick();
  EXPECT_TRUE(leader_.out.logged.empty());  // a full timeout from the new leadership
  leader_.advance(c.timeout_ms + 5000);
  leader_.tick();
  ASSERT_EQ(leader_.out.logged.size(), 1u);
  EXPECT_EQ(leader_.out.logged[0].type, OpCode::kCloseSession);
  EXPECT_EQ(leader_.out.logged[0].zxid, make_zxid(4, 1));
}

TEST_F(ReplicaRoles, AForwardTheLeaderNeverGotDoesNotHoldUpTheResumedSession) {
  Client c = learner_connect();
  learner_.send(c, op_create("/lost"));
  learner_.out.forwarded.clear();  // the frame was lost with its link
  // The client gives up on the connection and resumes its session on a new one.
  ConnRef again = learner_.new_conn();
  ConnectRequest req = new_session();
  req.session_id = c.session;
  req.passwd = SessionTable::password(c.session);
  learner_.send_connect(again, req);
  c.conn = again;
  learner_.send(c, op_read(OpCode::kExists, "/"));
  auto replies = learner_.take_replies(again, c.next_xid - 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].err, Err::kOk);
  // Its writes go on too.
  learner_.send(c, op_create("/after"));
  replicate();
  auto created = learner_.take_replies(again, c.next_xid - 1);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].err, Err::kOk);
}

}  // namespace
}  // namespace rk::testing
