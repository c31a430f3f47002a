// Member state files: ZooKeeper's acceptedEpoch / currentEpoch as decimal text, the boot
// counter, missing files as 0, garbage refused by name, only changed files rewritten.
#include "server/member_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rk {
namespace {

class MemberStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "rk-member-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string read(const char* name) {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write(const char* name, const std::string& text) {
    std::ofstream out(dir_ + "/" + name, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ino_t inode(const char* name) {
    struct stat st {};
    return stat((dir_ + "/" + name).c_str(), &st) == 0 ? st.st_ino : 0;
  }

  std::string dir_;
};

TEST_F(MemberStateTest, MissingFilesReadAsZero) {
  Result<MemberState> state = load_member_state(dir_);
  ASSERT_TRUE(state.is_ok()) << state.status().message();
  EXPECT_EQ(state->accepted_epoch, 0);
  EXPECT_EQ(state->current_epoch, 0);
  EXPECT_EQ(state->incarnation, 0u);
}

TEST_F(MemberStateTest, EpochsAreDecimalTextAsZooKeeperWritesThem) {
  ASSERT_TRUE(store_epochs(dir_, 12, 11).is_ok());
  EXPECT_EQ(read(kAcceptedEpochFile), "12");
  EXPECT_EQ(read(kCurrentEpochFile), "11");
  Result<MemberState> state = load_member_state(dir_);
  ASSERT_TRUE(state.is_ok()) << state.status().message();
  EXPECT_EQ(state->accepted_epoch, 12);
  EXPECT_EQ(state->current_epoch, 11);
  // A file ZooKeeper wrote, or an operator with an editor (trailing newline), reads the same.
  write(kCurrentEpochFile, "4294967296\n");
  state = load_member_state(dir_);
  ASSERT_TRUE(state.is_ok()) << state.status().message();
  EXPECT_EQ(state->current_epoch, 4294967296);
  // No temp files are left behind.
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/acceptedEpoch.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/currentEpoch.tmp"));
}

TEST_F(MemberStateTest, OnlyChangedFilesAreRewritten) {
  ASSERT_TRUE(store_epochs(dir_, 3, 2).is_ok());
  const ino_t accepted = inode(kAcceptedEpochFile);
  const ino_t current = inode(kCurrentEpochFile);
  ASSERT_TRUE(store_epochs(dir_, 3, 3).is_ok());
  EXPECT_EQ(inode(kAcceptedEpochFile), accepted) << "unchanged: not replaced";
  EXPECT_NE(inode(kCurrentEpochFile), current) << "changed: replaced by a renamed temp file";
  EXPECT_EQ(read(kCurrentEpochFile), "3");
  const ino_t both = inode(kCurrentEpochFile);
  ASSERT_TRUE(store_epochs(dir_, 3, 3).is_ok());
  EXPECT_EQ(inode(kAcceptedEpochFile), accepted);
  EXPECT_EQ(inode(kCurrentEpochFile), both);
}

TEST_F(MemberStateTest, GarbageIsAnErrorNamingTheFile) {
  for (const char* bad : {"", "x", "12x", "-3", " 7", "99999999999999999999", "1\n2"}) {
    write(kAcceptedEpochFile, bad);
    Result<MemberState> state = load_member_state(dir_);
    ASSERT_FALSE(state.is_ok()) << "'" << bad << "'";
    EXPECT_NE(state.status().message().find(dir_ + "/acceptedEpoch"), std::string::npos)
        << state.status().message();
  }
  // Storing repairs it: the stored value is what counts from now on.
  ASSERT_TRUE(store_epochs(dir_, 5, 4).is_ok());
  Result<MemberState> state = load_member_state(dir_);
  ASSERT_TRUE(state.is_ok()) << state.status().message();
  EXPECT_EQ(state->accepted_epoch, 5);
  write(kIncarnationFile, "boot");
  EXPECT_FALSE(load_member_state(dir_).is_ok());
  EXPECT_FALSE(next_incarnation(dir_).is_ok());
}

TEST_F(MemberStateTest, NegativeEpochsAreRefused) {
  EXPECT_FALSE(store_epochs(dir_, -1, 0).is_ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/acceptedEpoch"));
}

TEST_F(MemberStateTest, IncarnationRisesDurablyOnEveryBoot) {
  for (uint64_t boot = 1; boot <= 3; ++boot) {
    Result<uint64_t> incarnation = next_incarnation(dir_);
    ASSERT_TRUE(incarnation.is_ok()) << incarnation.status().message();
    EXPECT_EQ(*incarnation, boot);
    EXPECT_EQ(read(kIncarnationFile), std::to_string(boot));
  }
  Result<MemberState> state = load_member_state(dir_);
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(state->incarnation, 3u);
}

TEST_F(MemberStateTest, MissingDirectoryIsAnErrorWhenWriting) {
  const std::string gone = dir_ + "/missing";
  EXPECT_TRUE(load_member_state(gone).is_ok());  // nothing stored yet
  EXPECT_FALSE(store_epochs(gone, 1, 1).is_ok());
  EXPECT_FALSE(next_incarnation(gone).is_ok());
}

}  // namespace
}  // namespace rk
