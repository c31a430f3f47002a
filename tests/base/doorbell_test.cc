// Doorbell: it writes only for a sleeper, the protocol's interleavings, and a two-thread run
// in which a lost wakeup would show as a wait that ran into its (generous) deadline.
#include "base/doorbell.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/spsc_ring.h"

namespace rk {
namespace {

TEST(Doorbell, RingsOnlyWhenTheConsumerSleeps) {
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  EXPECT_FALSE(bell.ring());     // nobody sleeps: no write
  EXPECT_FALSE(bell.wait(0));    // so nothing to wake for
  bell.prepare_sleep();
  EXPECT_TRUE(bell.ring());      // the first producer writes ...
  EXPECT_FALSE(bell.ring());     // ... and clears the flag, so a second does not
  EXPECT_TRUE(bell.wait(0));
  bell.cancel_sleep();
  EXPECT_FALSE(bell.consume());  // the wait consumed the count
}

TEST(Doorbell, RingAlwaysWritesRegardless) {
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  bell.ring_always();
  bell.ring_always();
  EXPECT_TRUE(bell.consume());   // both writes add to one count
  EXPECT_FALSE(bell.consume());
}

// Interleaving 1: the item lands before the consumer's re-check: it cancels the sleep.
TEST(Doorbell, RecheckAfterPrepareSeesAnEarlierPush) {
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  SpscRing<int, 4> queue;
  ASSERT_TRUE(queue.try_push(1));  // producer publishes ...
  bell.ring();                     // ... and sees no sleeper
  bell.prepare_sleep();
  EXPECT_FALSE(queue.empty());     // the consumer's re-check finds the item
  bell.cancel_sleep();
}

// Interleaving 2: the item lands after the re-check: the producer sees `sleeping` and writes,
// so the consumer's wait returns at once.
TEST(Doorbell, PushAfterRecheckWakesTheSleeper) {
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  SpscRing<int, 4> queue;
  bell.prepare_sleep();
  EXPECT_TRUE(queue.empty());
  ASSERT_TRUE(queue.try_push(1));
  EXPECT_TRUE(bell.ring());
  EXPECT_TRUE(bell.wait(0));
  bell.cancel_sleep();
}

// Interleaving 3: a ring that races with cancel_sleep() leaves a count: the next wait returns
// at once (spurious, harmless) instead of blocking.
TEST(Doorbell, StaleCountIsASpuriousWakeupNotALostOne) {
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  bell.prepare_sleep();
  EXPECT_TRUE(bell.ring());
  bell.cancel_sleep();
  bell.prepare_sleep();
  EXPECT_TRUE(bell.wait(0));
  bell.cancel_sleep();
}

TEST(Doorbell, TwoThreadsNeverLoseAWakeup) {
  constexpr int kItems = 20000;
  constexpr int kDeadlineMs = 20000;  // only so a bug cannot hang the test
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());
  SpscRing<int, 256> queue;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      while (!queue.try_push(i)) std::this_thread::yield();
      bell.ring();
      if (i % 64 == 0) std::this_thread::yield();  // let the consumer fall asleep often
    }
  });
  int received = 0;
  int sleeps = 0;
  int missed = 0;
  while (received < kItems) {
    if (auto item = queue.try_pop()) {
      ASSERT_EQ(*item, received);
      ++received;
      continue;
    }
    bell.prepare_sleep();
    if (!queue.empty()) {
      bell.cancel_sleep();
      continue;
    }
    ++sleeps;
    if (!bell.wait(kDeadlineMs)) ++missed;
    bell.cancel_sleep();
  }
  producer.join();
  EXPECT_EQ(missed, 0);
  EXPECT_EQ(received, kItems);
  RecordProperty("sleeps", sleeps);
}

}  // namespace
}  // namespace rk
