// SessionTable: ZooKeeper-compatible ids and passwords, tick-bucketed deadlines, touch,
// expiry and closing. Expected passwords were produced by java.util.Random on a JDK.
#include "engine/session_table.h"

#include <gtest/gtest.h>

#include <climits>

namespace rk {
namespace {

std::string hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

TEST(SessionTable, PasswordMatchesZooKeeper) {
  // new Random(id ^ 0xB3415C00L).nextBytes(new byte[16]) on OpenJDK 17.
  EXPECT_EQ(hex(SessionTable::password(0x01000a1b2c3d0001LL)), "ac75fb1452f812e09482a8e51fc23bd8");
  EXPECT_EQ(hex(SessionTable::password(-1)), "20f62cb5648dc2d771471c8a2486a9ee");
  EXPECT_EQ(hex(SessionTable::password(0x7f00123456789abcLL)), "e673bc9940b4e7724864ecd8054f6ff4");
  // Random keeps only 48 seed bits, so ids differing only in the top byte share a password.
  EXPECT_EQ(hex(SessionTable::password(0x0100000000000000LL)), "f22acd4a97e69d6d20a49bb638eadb38");
  EXPECT_EQ(SessionTable::password(0), SessionTable::password(0x0100000000000000LL));
  EXPECT_EQ(SessionTable::password(7).size(), 16u);
}

TEST(SessionTable, IdsFollowZooKeeperScheme) {
  // ((1234567890123 << 24) >>> 8) | (3 << 56), computed in Java.
  SessionTable table(3, 2000, 1234567890123LL);
  EXPECT_EQ(table.next_id(), 0x031f71fb04cb0000LL);
  EXPECT_EQ(table.next_id(), 0x031f71fb04cb0001LL);
}

TEST(SessionTable, IdNeverEqualsContainerMarker) {
  SessionTable table(128, 2000, 0);
  EXPECT_EQ(table.next_id(), INT64_MIN + 1);
}

TEST(SessionTable, DeadlineIsNextTickStrictlyAfterNowPlusTimeout) {
  SessionTable table(1, 2000, 0);
  table.add(10, 4000, 1000);  // 5000 -> 6000
  table.add(11, 5000, 1000);  // 6000 is a tick already -> 8000
  ASSERT_NE(table.find(10), nullptr);
  EXPECT_EQ(table.find(10)->expire_at_ms, 6000);
  EXPECT_EQ(table.find(10)->timeout_ms, 4000);
  EXPECT_FALSE(table.find(10)->closing);
  EXPECT_EQ(table.find(11)->expire_at_ms, 8000);
  EXPECT_EQ(table.next_expiry_ms(), 6000);
}

TEST(SessionTable, ExpireReturnsDueSessionsOnceAndMarksThemClosing) {
  SessionTable table(1, 2000, 0);
  table.add(10, 4000, 1000);  // 6000
  table.add(11, 5000, 1000);  // 8000
  EXPECT_TRUE(table.expire(5999).empty());
  EXPECT_EQ(table.expire(6000), std::vector<SessionId>{10});
  EXPECT_TRUE(table.find(10)->closing);
  EXPECT_TRUE(table.expire(6000).empty());
  EXPECT_EQ(table.next_expiry_ms(), 8000);
  EXPECT_EQ(table.expire(100000), std::vector<SessionId>{11});
  EXPECT_EQ(table.next_expiry_ms(), INT64_MAX);
  // Expired sessions stay until their closeSession txn removes them.
  EXPECT_EQ(table.size(), 2u);
}

TEST(SessionTable, ExpireSkipsSessionsAlreadyClosing) {
  SessionTable table(1, 1000, 0);
  table.add(10, 3000, 0);
  table.add(11, 3000, 0);
  EXPECT_TRUE(table.set_closing(11));
  EXPECT_FALSE(table.set_closing(99));
  EXPECT_EQ(table.expire(4000), std::vector<SessionId>{10});
}

TEST(SessionTable, TouchMovesDeadline) {
  SessionTable table(1, 2000, 0);
  table.add(10, 4000, 1000);  // 6000
  EXPECT_TRUE(table.touch(10, 3000));  // 7000 -> 8000
  EXPECT_EQ(table.find(10)->expire_at_ms, 8000);
  EXPECT_EQ(table.next_expiry_ms(), 8000);  // the old bucket is gone
  EXPECT_TRUE(table.expire(6000).empty());
  EXPECT_TRUE(table.touch(10, 3500));  // same bucket
  EXPECT_EQ(table.expire(8000), std::vector<SessionId>{10});
}

TEST(SessionTable, TouchFailsForUnknownOrClosing) {
  SessionTable table(1, 2000, 0);
  EXPECT_FALSE(table.touch(10, 0));
  table.add(10, 4000, 0);
  table.set_closing(10);
  EXPECT_FALSE(table.touch(10, 1000));
  EXPECT_EQ(table.find(10)->expire_at_ms, 6000);
}

TEST(SessionTable, AddAndRemoveAreIdempotent) {
  SessionTable table(1, 2000, 0);
  table.add(10, 4000, 0);
  table.add(10, 4000, 0);
  EXPECT_EQ(table.size(), 1u);
  table.add(10, 10000, 1000);  // a replayed create refreshes timeout and deadline
  EXPECT_EQ(table.find(10)->timeout_ms, 10000);
  EXPECT_EQ(table.find(10)->expire_at_ms, 12000);
  EXPECT_EQ(table.next_expiry_ms(), 12000);
  table.remove(10);
  table.remove(10);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find(10), nullptr);
  EXPECT_EQ(table.next_expiry_ms(), INT64_MAX);
  EXPECT_TRUE(table.expire(INT64_MAX / 2).empty());
}

TEST(SessionTable, RemoveAfterExpireIsClean) {
  SessionTable table(1, 2000, 0);
  table.add(10, 4000, 0);
  ASSERT_EQ(table.expire(6000).size(), 1u);
  table.remove(10);
  EXPECT_EQ(table.size(), 0u);
}

TEST(SessionTable, AllIsSortedById) {
  SessionTable table(1, 2000, 0);
  table.add(30, 4000, 0);
  table.add(10, 4000, 0);
  table.add(20, 4000, 0);
  auto all = table.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, 10);
  EXPECT_EQ(all[1].id, 20);
  EXPECT_EQ(all[2].id, 30);
}

}  // namespace
}  // namespace rk
