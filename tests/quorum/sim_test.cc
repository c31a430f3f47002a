// The seeded whole-ensemble runs: many seeds, each thousands of steps of faults and writes,
// then convergence. A failure prints the seed; RK_SIM_SEED=<seed> replays just that one, and
// RK_SIM_SEEDS=<count> runs more seeds per test for a longer soak.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/quorum/sim.h"

namespace rk::quorum::sim {
namespace {

constexpr int64_t kFaultSteps = 8000;
constexpr int64_t kSettleStepsMax = 3000;

void run_seeds(int voters, int observers, uint64_t first_seed, int seeds, double duplicate = 0) {
  bool one = std::getenv("RK_SIM_SEED") != nullptr;
  if (const char* count = std::getenv("RK_SIM_SEEDS")) seeds = std::atoi(count);
  uint64_t acked = 0, elections = 0, snaps = 0, truncs = 0;
  for (int i = 0; i < (one ? 1 : seeds); ++i) {
    SimOptions o;
    o.seed = seed_from_env(first_seed + static_cast<uint64_t>(i));
    o.voters = voters;
    o.observers = observers;
    Sim sim(o);
    sim.set_duplicate(duplicate);
    ASSERT_TRUE(sim.run(kFaultSteps, kSettleStepsMax)) << sim.failure();
    acked += sim.stats().acked;
    elections += sim.stats().elections_won;
    snaps += sim.stats().snapshots_installed;
    truncs += sim.stats().truncations;
  }
  std::printf("  %d voters + %d observers: %llu writes acknowledged, %llu leaders established, %llu SNAPs, %llu TRUNCs\n",
              voters, observers, static_cast<unsigned long long>(acked), static_cast<unsigned long long>(elections),
              static_cast<unsigned long long>(snaps), static_cast<unsigned long long>(truncs));
  EXPECT_GT(acked, 0u);
}

TEST(QuorumSim, ThreeVoters) { run_seeds(3, 0, 1000, 100); }
TEST(QuorumSim, FiveVoters) { run_seeds(5, 0, 2000, 100); }
TEST(QuorumSim, ThreeVotersOneObserver) { run_seeds(3, 1, 3000, 50); }
TEST(QuorumSim, FiveVotersOneObserver) { run_seeds(5, 1, 4000, 50); }
// Not a network we run on, but duplicates must cost at most a resynchronization.
TEST(QuorumSim, ThreeVotersDuplicatingNetwork) { run_seeds(3, 0, 5000, 30, 0.02); }

}  // namespace
}  // namespace rk::quorum::sim
