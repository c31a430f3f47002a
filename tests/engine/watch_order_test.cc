// Watches through the Processor and reply order: events before the reply that observes them,
// one-shot and persistent watches, setWatches after a reconnect, ACL-filtered delivery,
// check/removeWatches, and per-session FIFO under group commit.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

TEST(Watches, EventPrecedesTheReplyOnTheSameConnection) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_read(OpCode::kGetData, "/a", true)).err, Err::kOk);
  h.send(c, op_set_data("/a", "x"));
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 2u);
  EXPECT_EQ(h.out.sent[0].kind, Outbound::Kind::kWatch);
  EXPECT_EQ(h.out.sent[0].event.type, EventType::kNodeDataChanged);
  EXPECT_EQ(h.out.sent[0].event.path, "/a");
  EXPECT_EQ(h.out.sent[0].event.state, KeeperState::kSyncConnected);
  EXPECT_EQ(h.out.sent[0].event.zxid, h.proc().last_processed_zxid());
  EXPECT_EQ(h.out.sent[1].kind, Outbound::Kind::kReply);
}

TEST(Watches, CreateAndDeleteFireNodeAndParentWatches) {
  EngineHarness h;
  Client w = h.connect();
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/p")).err, Err::kOk);
  ASSERT_EQ(h.call(w, op_read(OpCode::kExists, "/p/n", true)).err, Err::kNoNode);
  ASSERT_EQ(h.call(w, op_read(OpCode::kGetChildren, "/p", true)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/p/n")).err, Err::kOk);
  std::vector<WatchEvent> ev = h.take_events(w.conn);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, EventType::kNodeCreated);
  EXPECT_EQ(ev[0].path, "/p/n");
  EXPECT_EQ(ev[1].type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(ev[1].path, "/p");
  // One-shot: a second change is silent until re-registered.
  ASSERT_EQ(h.call(c, op_set_data("/p/n", "1")).err, Err::kOk);
  EXPECT_TRUE(h.take_events(w.conn).empty());
  ASSERT_EQ(h.call(w, op_read(OpCode::kGetData, "/p/n", true)).err, Err::kOk);
  ASSERT_EQ(h.call(w, op_read(OpCode::kGetChildren, "/p", true)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_delete("/p/n")).err, Err::kOk);
  ev = h.take_events(w.conn);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, EventType::kNodeDeleted);
  EXPECT_EQ(ev[1].type, EventType::kNodeChildrenChanged);
}

TEST(Watches, ReadOfMissingNodeSetsNoWatch) {
  EngineHarness h;
  Client w = h.connect();
  EXPECT_EQ(h.call(w, op_read(OpCode::kGetData, "/x", true)).err, Err::kNoNode);
  EXPECT_EQ(h.call(w, op_read(OpCode::kGetChildren, "/x", true)).err, Err::kNoNode);
  ASSERT_EQ(h.call(w, op_create("/x")).err, Err::kOk);
  EXPECT_TRUE(h.take_events(w.conn).empty());
}

TEST(Watches, PersistentRecursiveViaAddWatch) {
  EngineHarness h;
  Client w = h.connect();
  Client c = h.connect();
  Request add = op_read(OpCode::kAddWatch, "/r");
  add.flags = static_cast<int32_t>(AddWatchMode::kPersistentRecursive);
  Response r = h.call(w, add);
  EXPECT_EQ(r.err, Err::kOk);
  EXPECT_EQ(r.type, OpCode::kAddWatch);
  ASSERT_EQ(h.call(c, op_create("/r")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/r/a")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_set_data("/r/a", "1")).err, Err::kOk);
  std::vector<WatchEvent> ev = h.take_events(w.conn);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, EventType::kNodeCreated);
  EXPECT_EQ(ev[0].path, "/r");
  EXPECT_EQ(ev[1].type, EventType::kNodeCreated);
  EXPECT_EQ(ev[1].path, "/r/a");
  EXPECT_EQ(ev[2].type, EventType::kNodeDataChanged);
  Request bad = add;
  bad.flags = 9;
  bad.xid = 0;
  EXPECT_EQ(h.call(w, bad).err, Err::kMarshallingError);
}

TEST(Watches, EventsOnlyReachConnectionsThatMayReadTheNode) {
  EngineHarness h;
  Client w = h.connect();
  Client owner = h.connect();
  ASSERT_EQ(h.call(w, op_read(OpCode::kExists, "/s", true)).err, Err::kNoNode);
  ASSERT_EQ(h.call(owner, op_create("/s", "", CreateMode::kPersistent,
                                    {{perm::kAll, {"digest", "nobody:x"}}})).err, Err::kOk);
  EXPECT_TRUE(h.take_events(w.conn).empty());
}

TEST(Watches, SetWatchesAfterReconnect) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/same")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/changed")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/kids")).err, Err::kOk);
  Zxid seen = h.proc().last_processed_zxid();
  ASSERT_EQ(h.call(c, op_set_data("/changed", "x")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/kids/k")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/born")).err, Err::kOk);
  Request sw;
  sw.type = OpCode::kSetWatches;
  sw.xid = -8;
  sw.watches.relative_zxid = seen;
  sw.watches.data = {"/same", "/changed", "/gone"};
  sw.watches.exist = {"/born", "/unborn"};
  sw.watches.child = {"/kids", "/same", "/gone"};
  h.send(c, sw);
  ASSERT_EQ(h.out.sent.size(), 6u);  // five events, then the reply
  EXPECT_EQ(h.out.sent[5].kind, Outbound::Kind::kReply);
  EXPECT_EQ(h.out.sent[5].reply.xid, -8);
  auto event = [&](size_t i) { return std::make_pair(h.out.sent[i].event.type, h.out.sent[i].event.path); };
  EXPECT_EQ(event(0), std::make_pair(EventType::kNodeDataChanged, std::string("/changed")));
  EXPECT_EQ(event(1), std::make_pair(EventType::kNodeDeleted, std::string("/gone")));
  EXPECT_EQ(event(2), std::make_pair(EventType::kNodeCreated, std::string("/born")));
  EXPECT_EQ(event(3), std::make_pair(EventType::kNodeChildrenChanged, std::string("/kids")));
  EXPECT_EQ(event(4), std::make_pair(EventType::kNodeDeleted, std::string("/gone")));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.out.sent[i].event.zxid, -1);
  h.out.sent.clear();
  // The unchanged ones were registered: /same (data, child) and /unborn (exist).
  EXPECT_EQ(h.proc().watches().watch_count(), 3u);
  ASSERT_EQ(h.call(c, op_create("/unborn")).err, Err::kOk);
  std::vector<WatchEvent> ev = h.take_events(c.conn);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, EventType::kNodeCreated);
}

TEST(Watches, SetWatches2ReRegistersPersistentWatches) {
  EngineHarness h;
  Client c = h.connect();
  Request sw;
  sw.type = OpCode::kSetWatches2;
  sw.xid = -8;
  sw.watches.relative_zxid = h.proc().last_processed_zxid();
  sw.watches.persistent = {"/p"};
  sw.watches.persistent_recursive = {"/r"};
  EXPECT_EQ(h.call(c, sw).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/p")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/r")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/r/x")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_set_data("/p", "1")).err, Err::kOk);
  std::vector<WatchEvent> ev = h.take_events(c.conn);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].path, "/p");
  EXPECT_EQ(ev[1].path, "/r");
  EXPECT_EQ(ev[2].path, "/r/x");
  EXPECT_EQ(ev[3].type, EventType::kNodeDataChanged);
}

TEST(Watches, CheckAndRemoveWatches) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/a")).err, Err::kOk);
  Request check = op_read(OpCode::kCheckWatches, "/a");
  check.flags = static_cast<int32_t>(WatcherType::kData);
  EXPECT_EQ(h.call(c, check).err, Err::kNoWatcher);
  ASSERT_EQ(h.call(c, op_read(OpCode::kGetData, "/a", true)).err, Err::kOk);
  check.xid = 0;
  EXPECT_EQ(h.call(c, check).err, Err::kOk);
  Request remove = check;
  remove.type = OpCode::kRemoveWatches;
  remove.xid = 0;
  EXPECT_EQ(h.call(c, remove).err, Err::kOk);
  EXPECT_TRUE(h.out.sent.empty());  // no removal event from the server
  remove.xid = 0;
  EXPECT_EQ(h.call(c, remove).err, Err::kNoWatcher);
  ASSERT_EQ(h.call(c, op_set_data("/a", "x")).err, Err::kOk);
  EXPECT_TRUE(h.take_events(c.conn).empty());
}

TEST(Fifo, ReadWaitsBehindTheSessionsWrites) {
  EngineHarness h;
  Client c = h.connect();
  Client other = h.connect();
  h.send(c, op_create("/a", "v"));
  h.send(c, op_read(OpCode::kGetData, "/a"));
  h.send(c, op_set_data("/a", "w"));
  h.send(c, op_read(OpCode::kGetData, "/a"));
  EXPECT_TRUE(h.out.sent.empty());
  // Another session's read is answered at once, from the committed tree.
  h.send(other, op_read(OpCode::kExists, "/a"));
  ASSERT_EQ(h.out.sent.size(), 1u);
  EXPECT_EQ(h.out.sent[0].reply.err, Err::kNoNode);
  h.out.sent.clear();
  // Commit only the create: its reply and the read behind it leave, nothing more.
  h.proc().commit(h.proc().last_logged_zxid() - 1);
  ASSERT_EQ(h.out.sent.size(), 2u);
  EXPECT_EQ(h.out.sent[0].reply.xid, 1);
  EXPECT_EQ(h.out.sent[1].reply.xid, 2);
  EXPECT_EQ(h.out.sent[1].reply.data, "v");
  h.commit_all();
  ASSERT_EQ(h.out.sent.size(), 4u);
  EXPECT_EQ(h.out.sent[2].reply.xid, 3);
  EXPECT_EQ(h.out.sent[3].reply.xid, 4);
  EXPECT_EQ(h.out.sent[3].reply.data, "w");
  EXPECT_EQ(h.proc().stats().outstanding_requests, 0u);
}

TEST(Fifo, RepliesForAClosedConnectionAreDropped) {
  EngineHarness h;
  Client c = h.connect();
  h.send(c, op_create("/a"));
  h.send(c, op_read(OpCode::kGetData, "/a", true));
  h.close_conn(c.conn);
  h.commit_all();
  EXPECT_TRUE(h.out.sent.empty());
  EXPECT_NE(h.tree().find("/a"), nullptr);  // the write still applies
  EXPECT_EQ(h.proc().watches().watch_count(), 0u);
  EXPECT_EQ(h.proc().stats().outstanding_requests, 0u);
}

TEST(Stats, CountsPacketsAndConnections) {
  EngineHarness h;
  Client c = h.connect(30000, "10.1.1.1:999");
  ASSERT_EQ(h.call(c, op_create("/a", "12345")).err, Err::kOk);
  h.advance(7);
  h.send(c, op_read(OpCode::kGetData, "/a"));
  const Processor::Stats& s = h.proc().stats();
  EXPECT_EQ(s.packets_received, 3u);  // the handshake counts
  EXPECT_EQ(s.packets_sent, 2u);
  EXPECT_EQ(s.node_count, 5u);
  EXPECT_EQ(s.session_count, 1u);
  EXPECT_EQ(s.last_zxid, 2);
  ASSERT_EQ(s.connections.size(), 1u);
  const ConnectionStats& cs = s.connections[0];
  EXPECT_EQ(cs.remote, "10.1.1.1:999");
  EXPECT_EQ(cs.session_id, c.session);
  EXPECT_EQ(cs.received, 3u);
  EXPECT_EQ(cs.sent, 2u);
  EXPECT_EQ(cs.last_op, "GETD");
  EXPECT_EQ(cs.last_cxid, 2);
  EXPECT_EQ(cs.last_zxid, 2);
  EXPECT_EQ(cs.timeout_ms, 30000);
  EXPECT_EQ(cs.last_latency_ms, 0);
  EXPECT_EQ(s.latency_max_ms, 0);

  // A reply that waited behind a write measures the wait, in the engine's latest time
  // (commit takes none; the owner's tick() brings it forward).
  h.send(c, op_create("/b"));
  h.send(c, op_read(OpCode::kExists, "/b"));
  h.advance(30);
  h.tick();
  h.commit_all();
  EXPECT_EQ(h.proc().stats().latency_max_ms, 30);
  h.proc().reset_server_stats();
  h.proc().reset_connection_stats();
  const Processor::Stats& reset = h.proc().stats();
  EXPECT_EQ(reset.packets_received, 0u);
  EXPECT_EQ(reset.latency_max_ms, 0);
  EXPECT_EQ(reset.connections[0].received, 0u);
  EXPECT_EQ(reset.connections[0].last_op, "NA");
}

}  // namespace
}  // namespace rk
