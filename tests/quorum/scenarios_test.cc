// Targeted cases on the simulator: each sets up one hard situation of the protocol by hand
// (no random faults) and asserts what must follow.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/quorum/sim.h"

namespace rk::quorum::sim {
namespace {

constexpr int64_t kStepsMax = 3000;

SimOptions quiet(int voters, int observers = 0) {
  SimOptions o;
  o.seed = 7;
  o.voters = voters;
  o.observers = observers;
  o.randomize = false;
  o.client_rate = 0;
  o.delay_max = 2;
  o.flush_delay_max = 3;
  return o;
}

ServerId await_leader(Sim& sim) {
  EXPECT_TRUE(sim.wait_for([&] { return sim.serving_leader() != 0; }, kStepsMax)) << sim.failure();
  return sim.serving_leader();
}

ServerId some_follower(Sim& sim, ServerId leader, int voters) {
  for (ServerId id = 1; id <= voters; ++id)
    if (id != leader) return id;
  return 0;
}

// Writes one txn at a time until `count` more are acknowledged.
void write_acked(Sim& sim, size_t count) {
  size_t target = sim.acked().size() + count;
  while (sim.acked().size() < target && sim.failure().empty()) {
    ServerId l = await_leader(sim);
    size_t before = sim.acked().size();
    sim.submit_to(l, 1);
    ASSERT_TRUE(sim.wait_for([&] { return sim.acked().size() > before; }, kStepsMax)) << sim.failure();
  }
}

bool in_canon(const Sim& sim, Zxid zxid) {
  return std::any_of(sim.canon().begin(), sim.canon().end(), [&](const Entry& e) { return e.zxid == zxid; });
}

TEST(QuorumScenario, LeaderCrashMidBroadcast) {
  Sim sim(quiet(3));
  write_acked(sim, 5);
  ServerId old_leader = sim.serving_leader();
  Epoch old_epoch = sim.peer(old_leader)->epoch();
  for (int i = 0; i < 4; ++i) {
    sim.submit_to(old_leader, 3);
    sim.step();  // batches in flight, some acked, some not
  }
  EXPECT_LT(sim.stats().acked, sim.stats().proposed);
  sim.crash(old_leader);
  ServerId next = await_leader(sim);
  EXPECT_NE(next, old_leader);
  EXPECT_GT(sim.peer(next)->epoch(), old_epoch);
  write_acked(sim, 3);
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();  // restarts the old leader too
  EXPECT_EQ(sim.applied(old_leader), sim.canon());
}

TEST(QuorumScenario, FollowerFarBehindGetsSnap) {
  SimOptions o = quiet(3);
  o.history_committed_max = 5;
  Sim sim(o);
  ServerId leader = await_leader(sim);
  ServerId behind = some_follower(sim, leader, 3);
  sim.crash(behind);
  write_acked(sim, 40);
  EXPECT_EQ(sim.stats().snapshots_installed, 0u);
  sim.restart(behind);
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();
  EXPECT_GE(sim.stats().snapshots_installed, 1u);
  EXPECT_EQ(sim.applied(behind), sim.canon());
}

TEST(QuorumScenario, UncommittedTailFromOldEpochGetsTrunc) {
  Sim sim(quiet(3));
  write_acked(sim, 5);
  ServerId old_leader = sim.serving_leader();
  Epoch old_epoch = sim.peer(old_leader)->epoch();
  sim.isolate({old_leader});
  ASSERT_EQ(sim.submit_to(old_leader, 3), 3);  // it does not know yet: these can never commit
  Zxid tail_zxid = sim.peer(old_leader)->last_zxid();
  ASSERT_TRUE(sim.wait_for([&] {
    ServerId l = sim.serving_leader();
    return l != 0 && l != old_leader && sim.peer(l)->epoch() > old_epoch;
  }, kStepsMax)) << sim.failure();
  write_acked(sim, 3);
  EXPECT_EQ(sim.stats().truncations, 0u);
  sim.heal();
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();
  EXPECT_GE(sim.stats().truncations, 1u);
  EXPECT_FALSE(in_canon(sim, tail_zxid));
  EXPECT_EQ(sim.applied(old_leader), sim.canon());
}

TEST(QuorumScenario, MinorityPartitionCannotCommit) {
  Sim sim(quiet(5));
  write_acked(sim, 3);
  ServerId old_leader = sim.serving_leader();
  ServerId companion = some_follower(sim, old_leader, 5);
  size_t acked_before = sim.acked().size();
  size_t canon_before = sim.canon().size();
  sim.isolate({old_leader, companion});
  ASSERT_EQ(sim.submit_to(old_leader, 3), 3);
  ASSERT_TRUE(sim.run_for(300)) << sim.failure();
  EXPECT_EQ(sim.acked().size(), acked_before);
  EXPECT_FALSE(sim.peer(old_leader)->serving());  // it stepped down
  // The majority side moved on and commits.
  ServerId next = sim.serving_leader();
  ASSERT_NE(next, 0);
  EXPECT_NE(next, old_leader);
  EXPECT_NE(next, companion);
  write_acked(sim, 2);
  EXPECT_GT(sim.canon().size(), canon_before);
  sim.heal();
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();
}

TEST(QuorumScenario, IsolatedLeaderStepsDown) {
  SimOptions o = quiet(3);
  Sim sim(o);
  ServerId old_leader = await_leader(sim);
  sim.isolate({old_leader});
  int64_t limit_steps = (o.sync_limit_ticks + 2) * o.tick_units;
  ASSERT_TRUE(sim.wait_for([&] { return sim.peer(old_leader)->role() == Role::kLooking; }, limit_steps));
  ServerId next = await_leader(sim);
  EXPECT_NE(next, old_leader);
  sim.heal();
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();
}

TEST(QuorumScenario, ObserversLearnCommitsButNeverCount) {
  Sim sim(quiet(3, 2));  // members 4 and 5 observe
  write_acked(sim, 10);
  ASSERT_TRUE(sim.settle(kStepsMax)) << sim.failure();
  EXPECT_EQ(sim.applied(4), sim.canon());
  EXPECT_EQ(sim.applied(5), sim.canon());
  EXPECT_EQ(sim.peer(4)->role(), Role::kObserving);
  // One voter and two observers are three of five members, but not a quorum of voters.
  ServerId leader = sim.serving_leader();
  ServerId kept = leader;
  for (ServerId id = 1; id <= 3; ++id)
    if (id != kept) sim.crash(id);
  size_t canon_before = sim.canon().size();
  sim.submit_to(leader, 2);
  ASSERT_TRUE(sim.run_for(1000)) << sim.failure();
  EXPECT_EQ(sim.serving_leader(), 0);
  EXPECT_EQ(sim.canon().size(), canon_before);
  sim.restart(leader == 1 ? 2 : 1);
  ASSERT_TRUE(sim.wait_for([&] { return sim.serving_leader() != 0; }, kStepsMax)) << sim.failure();
}

}  // namespace
}  // namespace rk::quorum::sim
