// The commit point: the highest zxid durable on a quorum of voters.
#include "quorum/commit_point.h"

#include <gtest/gtest.h>

#include <vector>

namespace rk::quorum {
namespace {

TEST(CommitPoint, QuorumThHighest) {
  std::vector<Zxid> three{5, 9, 7};
  EXPECT_EQ(commit_point(three, 2), 7);
  std::vector<Zxid> five{1, 0, 8, 3, 8};
  EXPECT_EQ(commit_point(five, 3), 3);
  EXPECT_EQ(commit_point(five, 1), 8);
  EXPECT_EQ(commit_point(five, 5), 0);
}

TEST(CommitPoint, SingleVoterIsItsOwnDurablePoint) {
  std::vector<Zxid> one{42};
  EXPECT_EQ(commit_point(one, 1), 42);
}

TEST(CommitPoint, DoesNotReorderTheInput) {
  std::vector<Zxid> acked{4, 1, 3};
  (void)commit_point(acked, 2);
  EXPECT_EQ(acked, (std::vector<Zxid>{4, 1, 3}));
}

TEST(CommitPoint, DisconnectedVotersCountAsZero) {
  std::vector<Zxid> acked{make_zxid(2, 10), 0, 0};  // the leader alone of three
  EXPECT_EQ(commit_point(acked, 2), 0);
}

}  // namespace
}  // namespace rk::quorum
