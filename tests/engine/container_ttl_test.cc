// Containers and TTL nodes: creation rules, how they show in Stat, and removal by the
// periodic sweep (ContainerManager) through deleteContainer txns.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

Request op_container(std::string path) {
  return op_create(std::move(path), "", CreateMode::kContainer, open_acl(), OpCode::kCreateContainer);
}

Request op_ttl(std::string path, int64_t ttl_ms, CreateMode mode = CreateMode::kPersistentWithTtl) {
  Request r = op_create(std::move(path), "", mode, open_acl(), OpCode::kCreateTtl);
  r.ttl = ttl_ms;
  return r;
}

EngineConfig sweep_config(bool extended) {
  EngineConfig config;
  config.container_check_interval_ms = 1000;
  config.extended_types_enabled = extended;
  return config;
}

TEST(Container, DeletedOnceEmptyAfterHavingChildren) {
  EngineHarness h(sweep_config(false));
  Client c = h.connect();
  Client w = h.connect();
  Response cr = h.call(c, op_container("/c"));
  ASSERT_EQ(cr.err, Err::kOk);
  EXPECT_EQ(cr.type, OpCode::kCreateContainer);
  EXPECT_EQ(cr.stat.ephemeral_owner, 0);  // clients do not see the container marker
  EXPECT_EQ(h.tree().find("/c")->stat.ephemeral_owner, kContainerOwner);
  // Never had a child: kept.
  h.advance(1500);
  h.tick();
  h.commit_all();
  EXPECT_NE(h.tree().find("/c"), nullptr);
  ASSERT_EQ(h.call(c, op_create("/c/k")).err, Err::kOk);
  h.advance(1500);
  h.tick();
  h.commit_all();
  EXPECT_NE(h.tree().find("/c"), nullptr);  // has a child
  ASSERT_EQ(h.call(c, op_delete("/c/k")).err, Err::kOk);
  ASSERT_EQ(h.call(w, op_read(OpCode::kExists, "/c", true)).err, Err::kOk);
  h.advance(1500);
  h.tick();
  const Txn& t = h.out.logged.back();
  EXPECT_EQ(t.type, OpCode::kDeleteContainer);
  EXPECT_EQ(t.path, "/c");
  EXPECT_EQ(t.session_id, 0);
  h.commit_all();
  EXPECT_EQ(h.tree().find("/c"), nullptr);
  std::vector<WatchEvent> ev = h.take_events(w.conn);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, EventType::kNodeDeleted);
}

TEST(Container, SweepRunsOnlyEveryInterval) {
  EngineHarness h(sweep_config(false));
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_container("/c")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/c/k")).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_delete("/c/k")).err, Err::kOk);
  h.advance(1000);
  h.tick();  // first sweep is due
  size_t logged = h.out.logged.size();
  EXPECT_EQ(h.out.logged.back().type, OpCode::kDeleteContainer);
  h.tick();  // in flight and not due: nothing new
  EXPECT_EQ(h.out.logged.size(), logged);
}

TEST(Container, ClientDeleteContainerRefusesSessionEphemerals) {
  EngineHarness h;
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_create("/e", "", CreateMode::kEphemeral)).err, Err::kOk);
  Request r = op_delete("/e");
  r.type = OpCode::kDeleteContainer;
  EXPECT_EQ(h.call(c, r).err, Err::kBadVersion);
}

TEST(Ttl, NeedsExtendedTypes) {
  EngineHarness h(sweep_config(false));
  Client c = h.connect();
  EXPECT_EQ(h.call(c, op_ttl("/t", 1000)).err, Err::kUnimplemented);
}

TEST(Ttl, ValidatesTtlAndMode) {
  EngineHarness h(sweep_config(true));
  Client c = h.connect();
  EXPECT_EQ(h.call(c, op_ttl("/t", 0)).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_ttl("/t", -5)).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_ttl("/t", kTtlMaxMs + 1)).err, Err::kBadArguments);
  EXPECT_EQ(h.call(c, op_ttl("/t", 1000, CreateMode::kPersistent)).err, Err::kBadArguments);
  // create (1) with a TTL mode carries no ttl: BadArguments as validateTTL(mode, -1).
  EXPECT_EQ(h.call(c, op_create("/t", "", CreateMode::kPersistentWithTtl)).err, Err::kBadArguments);
  Response ok = h.call(c, op_ttl("/t", kTtlMaxMs));
  ASSERT_EQ(ok.err, Err::kOk);
  EXPECT_EQ(ok.stat.ephemeral_owner, 0);
  EXPECT_EQ(h.tree().find("/t")->stat.ephemeral_owner, ttl_owner(kTtlMaxMs));
  Response seq = h.call(c, op_ttl("/s-", 10, CreateMode::kPersistentSequentialWithTtl));
  EXPECT_EQ(seq.path, "/s-0000000001");
}

TEST(Ttl, ExpiresAfterTtlSinceLastModification) {
  EngineHarness h(sweep_config(true));
  Client c = h.connect();
  ASSERT_EQ(h.call(c, op_ttl("/t", 5000)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_ttl("/parent", 5000)).err, Err::kOk);
  ASSERT_EQ(h.call(c, op_create("/parent/kid")).err, Err::kOk);
  h.advance(4000);
  ASSERT_EQ(h.call(c, op_set_data("/t", "touch")).err, Err::kOk);  // mtime moves
  h.advance(4000);
  h.tick();
  h.commit_all();
  EXPECT_NE(h.tree().find("/t"), nullptr);
  h.advance(1500);
  h.tick();
  h.commit_all();
  EXPECT_EQ(h.tree().find("/t"), nullptr);
  EXPECT_NE(h.tree().find("/parent"), nullptr);  // has a child
  EXPECT_TRUE(h.tree().ttls().count("/parent"));
}

}  // namespace
}  // namespace rk
