// Fault point specs: errno names, after:N, while-file, and bad specs.
#include "base/fault.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "wal_test_util.h"

namespace rk {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  void TearDown() override { disarm_all_faults(); }
};

TEST_F(FaultTest, DisarmedPointNeverFires) {
  FaultPoint& point = fault_point("test.idle");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(point.check(), 0);
}

TEST_F(FaultTest, AfterCountsHitsThenFails) {
  ASSERT_TRUE(arm_faults("test.after=eio@after:3").is_ok());
  FaultPoint& point = fault_point("test.after");
  EXPECT_EQ(point.check(), 0);
  EXPECT_EQ(point.check(), 0);
  EXPECT_EQ(point.check(), 0);
  EXPECT_EQ(point.check(), EIO);
  EXPECT_EQ(point.check(), EIO);
  disarm_fault("test.after");
  EXPECT_EQ(point.check(), 0);
}

TEST_F(FaultTest, AlwaysAndNumericErrno) {
  ASSERT_TRUE(arm_faults("test.a=enospc,test.b=28").is_ok());
  EXPECT_EQ(fault_point("test.a").check(), ENOSPC);
  EXPECT_EQ(fault_point("test.b").check(), 28);
}

TEST_F(FaultTest, WhileFileFollowsTheFile) {
  testing::TempDir dir;
  const std::string flag = dir.file("full");
  ASSERT_TRUE(arm_faults("test.file=enospc@while-file:" + flag).is_ok());
  FaultPoint& point = fault_point("test.file");
  EXPECT_EQ(point.check(), 0);
  testing::write_bytes(flag, "");
  EXPECT_EQ(point.check(), ENOSPC);
  std::remove(flag.c_str());
  EXPECT_EQ(point.check(), 0);
}

TEST_F(FaultTest, BadSpecsAreErrors) {
  EXPECT_FALSE(arm_faults("nothing").is_ok());
  EXPECT_FALSE(arm_faults("x=ebogus").is_ok());
  EXPECT_FALSE(arm_faults("x=eio@after:z").is_ok());
  EXPECT_FALSE(arm_faults("x=eio@sometimes").is_ok());
}

}  // namespace
}  // namespace rk
