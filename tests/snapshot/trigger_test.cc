// SnapshotTrigger: thresholds in (snapCount/2 + 1, snapCount], varying, seed-determined.
#include <gtest/gtest.h>

#include <set>

#include "snapshot/trigger.h"

namespace rk {
namespace {

TEST(SnapshotTrigger, ThresholdsStayInRangeAndVary) {
  for (int64_t snap_count : {4, 10, 1000, 100000}) {
    SnapshotTrigger trigger(snap_count, 42);
    std::set<uint64_t> seen;
    for (int i = 0; i < 2000; ++i) {
      uint64_t t = trigger.threshold();
      EXPECT_GT(t, static_cast<uint64_t>(snap_count / 2 + 1)) << snap_count;
      EXPECT_LE(t, static_cast<uint64_t>(snap_count)) << snap_count;
      EXPECT_FALSE(trigger.should_start(t - 1));
      EXPECT_TRUE(trigger.should_start(t));
      seen.insert(t);
      trigger.restart();
    }
    // Every value of a small range is drawn; a large range gives many distinct values.
    size_t range = static_cast<size_t>(snap_count - (snap_count / 2 + 1));
    if (range <= 20) {
      EXPECT_EQ(seen.size(), range) << snap_count;
    } else {
      EXPECT_GE(seen.size(), 300u) << snap_count;
    }
  }
}

TEST(SnapshotTrigger, SameSeedSameThresholdsDifferentSeedDifferent) {
  SnapshotTrigger a(100000, 7), b(100000, 7), c(100000, 8);
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(a.threshold(), b.threshold());
    differ += a.threshold() != c.threshold();
    a.restart();
    b.restart();
    c.restart();
  }
  EXPECT_GT(differ, 40);
}

TEST(SnapshotTrigger, TinySnapCountStillTriggers) {
  for (int64_t snap_count : {0, 1, 2, 3}) {
    SnapshotTrigger t(snap_count, 1);
    EXPECT_GE(t.threshold(), 1u);
    EXPECT_TRUE(t.should_start(static_cast<uint64_t>(std::max<int64_t>(snap_count, 1))));
  }
}

}  // namespace
}  // namespace rk
