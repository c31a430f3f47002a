// DIFF / TRUNC / SNAP decisions from a leader's log tail and a learner's last zxid.
#include "quorum/sync_plan.h"

#include <gtest/gtest.h>

namespace rk::quorum {
namespace {

Txn txn_at(int64_t epoch, int64_t counter) {
  Txn t;
  t.zxid = make_zxid(epoch, counter);
  return t;
}

// Leader log: (1,1) (1,2) (1,3) (3,1) (3,2), everything kept.
History leader_history() {
  History h;
  for (Txn t : {txn_at(1, 1), txn_at(1, 2), txn_at(1, 3), txn_at(3, 1), txn_at(3, 2)}) h.append(t);
  return h;
}

TEST(SyncPlan, DiffWhenTheLearnerHoldsAPrefix) {
  History h = leader_history();
  SyncPlan p = plan_sync(h, make_zxid(1, 3));
  EXPECT_EQ(p.mode, msg::SyncMode::kDiff);
  EXPECT_EQ(p.from_zxid, make_zxid(1, 3));
  EXPECT_EQ(h.after(p.from_zxid).size(), 2u);
  EXPECT_EQ(plan_sync(h, 0).mode, msg::SyncMode::kDiff);  // empty learner, whole log kept
  EXPECT_EQ(plan_sync(h, make_zxid(3, 2)).mode, msg::SyncMode::kDiff);  // up to date: nothing to send
}

TEST(SyncPlan, TruncWhenTheLearnerRanAheadInAnEpochTheLeaderShares) {
  History h = leader_history();
  SyncPlan p = plan_sync(h, make_zxid(1, 5));  // (1,4) (1,5) never reached the leader
  EXPECT_EQ(p.mode, msg::SyncMode::kTrunc);
  EXPECT_EQ(p.from_zxid, make_zxid(1, 3));
  p = plan_sync(h, make_zxid(3, 4));
  EXPECT_EQ(p.mode, msg::SyncMode::kTrunc);
  EXPECT_EQ(p.from_zxid, make_zxid(3, 2));
}

TEST(SyncPlan, SnapWhenTheLearnerMayNotHoldTheCommonPoint) {
  History h = leader_history();
  // An epoch-2 tail: the learner's log may have left epoch 1 before (1,3).
  EXPECT_EQ(plan_sync(h, make_zxid(2, 7)).mode, msg::SyncMode::kSnap);
}

TEST(SyncPlan, SnapWhenTheLearnerIsBelowTheKeptTail) {
  History h = leader_history();
  h.trim(make_zxid(3, 2), 2);  // keeps (3,1) (3,2): base is (1,3)
  EXPECT_EQ(h.base_zxid(), make_zxid(1, 3));
  EXPECT_EQ(plan_sync(h, make_zxid(1, 2)).mode, msg::SyncMode::kSnap);
  EXPECT_EQ(plan_sync(h, make_zxid(1, 3)).mode, msg::SyncMode::kDiff);
}

TEST(History, TrimNeverDropsUncommittedTxns) {
  History h = leader_history();
  h.trim(make_zxid(1, 2), 0);  // committed up to (1,2): only those may go
  EXPECT_EQ(h.base_zxid(), make_zxid(1, 2));
  EXPECT_EQ(h.size(), 3u);
  h.truncate(make_zxid(1, 3));
  EXPECT_EQ(h.last_zxid(), make_zxid(1, 3));
  EXPECT_EQ(h.floor(make_zxid(2, 9)), make_zxid(1, 3));
  EXPECT_EQ(h.floor(make_zxid(1, 1)), -1);
}

}  // namespace
}  // namespace rk::quorum
