// SpscRing: order, capacity, bursts, move-only items, and a two-thread stress run.
#include "base/spsc_ring.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace rk {
namespace {

TEST(SpscRing, PopsInPushOrderAndRefusesWhenFull) {
  SpscRing<int, 4> ring;
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.try_pop().has_value());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.try_push(99));  // full at exactly the capacity
  EXPECT_EQ(ring.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ring.try_pop(), i);
  EXPECT_FALSE(ring.try_pop().has_value());
  EXPECT_TRUE(ring.try_push(5));  // room again after the pops
}

TEST(SpscRing, WrapsAroundManyTimes) {
  SpscRing<uint32_t, 8> ring;
  uint32_t next_pop = 0;
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(ring.try_push(i));
    if (i % 3 == 2) {  // drain in uneven steps so the indices cross the mask at odd spots
      while (auto v = ring.try_pop()) EXPECT_EQ(*v, next_pop++);
    }
  }
  while (auto v = ring.try_pop()) EXPECT_EQ(*v, next_pop++);
  EXPECT_EQ(next_pop, 1000u);
}

TEST(SpscRing, BurstsMoveAPrefix) {
  SpscRing<int, 8> ring;
  std::vector<int> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(ring.push_burst(in), 8u);  // only the prefix that fits
  std::vector<int> out(5);
  EXPECT_EQ(ring.pop_burst(out), 5u);
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4, 5}));
  std::vector<int> rest(10);
  EXPECT_EQ(ring.pop_burst(rest), 3u);
  EXPECT_EQ(rest[0], 6);
  EXPECT_EQ(rest[2], 8);
  EXPECT_EQ(ring.pop_burst(rest), 0u);
}

TEST(SpscRing, HoldsMoveOnlyItems) {
  SpscRing<std::unique_ptr<int>, 2> ring;
  EXPECT_TRUE(ring.try_push(std::make_unique<int>(7)));
  auto item = ring.try_pop();
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(**item, 7);
}

// A producer and a consumer on two threads: every value arrives exactly once and in order.
TEST(SpscRing, TwoThreadStressKeepsOrder) {
  constexpr uint64_t kCount = 300000;
  SpscRing<uint64_t, 64> ring;
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kCount;) {
      if (i % 2 == 0) {
        uint64_t pair[2] = {i, i + 1};
        const size_t n = ring.push_burst(std::span<const uint64_t>(pair, i + 1 <= kCount ? 2 : 1));
        i += n;
        if (n == 0) std::this_thread::yield();
      } else if (ring.try_push(i)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint64_t expected = 1;
  uint64_t sum = 0;
  std::array<uint64_t, 16> burst{};
  while (expected <= kCount) {
    const size_t n = ring.pop_burst(burst);
    if (n == 0) {
      std::this_thread::yield();
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(burst[i], expected);
      sum += burst[i];
      ++expected;
    }
  }
  producer.join();
  EXPECT_EQ(sum, kCount * (kCount + 1) / 2);
  EXPECT_TRUE(ring.empty());
}

}  // namespace
}  // namespace rk
