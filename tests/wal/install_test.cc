// Installing a log after a snapshot from the leader: the new log replaces the old one whole,
// a crash at any step (fault points, torn install files) recovers to the old log or the new
// one and never a mix, and committed txns above the image survive every crash point.
#include "wal/install.h"

#include "base/fault.h"
#include "wal/segment.h"
#include "wal_test_util.h"

namespace rk {
namespace {

using namespace rk::testing;

std::vector<Zxid> zxids_of(const std::vector<Txn>& txns) {
  std::vector<Zxid> out;
  for (const Txn& txn : txns) out.push_back(txn.zxid);
  return out;
}

std::vector<Txn> txns_of(const std::vector<Zxid>& zxids) {
  std::vector<Txn> out;
  for (Zxid zxid : zxids) out.push_back(make_set_data(zxid));
  return out;
}

class InstallTest : public ::testing::Test {
 protected:
  // The snapshot is at kImage. The old log: epoch 1 in full, then epoch 2 up to 7, of which
  // 6 and 7 are committed. The leader sends 6 and 7 again (its history holds every committed
  // txn) and goes on in epoch 3.
  static constexpr Zxid kImage = 0x200000005;
  const std::vector<Zxid> old_epoch1_ = {0x100000001, 0x100000002, 0x100000003};
  const std::vector<Zxid> old_epoch2_ = {0x200000001, 0x200000002, 0x200000003, 0x200000004,
                                         0x200000005, 0x200000006, 0x200000007};
  const std::vector<Zxid> old_after_image_ = {0x200000006, 0x200000007};
  const std::vector<Zxid> new_txns_ = {0x200000006, 0x200000007, 0x300000001, 0x300000002};
  const std::vector<Zxid> committed_above_image_ = {0x200000006, 0x200000007};

  void SetUp() override {
    write_bytes(dir_.file(segment_name(0x100000001)), segment_image(0x100000001, old_epoch1_));
    write_bytes(dir_.file(segment_name(0x200000001)), segment_image(0x200000001, old_epoch2_));
  }
  void TearDown() override { disarm_all_faults(); }

  std::vector<Zxid> recovered_after(Zxid after_zxid) {
    Recovered r = recover_all(dir_.path(), after_zxid);
    EXPECT_TRUE(r.report.is_ok()) << r.report.status().message();
    return zxids_of(r.txns);
  }

  // Recovery after the image finds the old log or the new one, whole, and the committed txns.
  // Returns true for the new one.
  bool expect_old_or_new(const std::string& where) {
    std::vector<Zxid> got = recovered_after(kImage);
    EXPECT_TRUE(got == old_after_image_ || got == new_txns_) << where;
    for (Zxid committed : committed_above_image_) {
      EXPECT_NE(std::find(got.begin(), got.end(), committed), got.end()) << where;
    }
    // Recovered again, nothing changes: whatever recovery decided, it finished.
    EXPECT_EQ(recovered_after(kImage), got) << where;
    return got == new_txns_;
  }

  // The install file as install_log writes it for new_txns_.
  std::string install_file_bytes() {
    std::string frames;
    for (const Txn& txn : txns_of(new_txns_)) frames += make_frame(txn, new_txns_.front());
    return frames;
  }
  std::string install_path() {
    return dir_.file(install_file_name(new_txns_.front(), new_txns_.back()));
  }

  TempDir dir_;
};

TEST_F(InstallTest, NamesAreNotSegments) {
  EXPECT_EQ(install_file_name(0x300000001, 0x300000002), "log.300000001-300000002.install");
  auto parsed = parse_install_file_name("log.300000001-300000002.install");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first_zxid, 0x300000001);
  EXPECT_EQ(parsed->last_zxid, 0x300000002);
  EXPECT_FALSE(parse_segment_name("log.300000001-300000002.install").has_value());
  EXPECT_FALSE(parse_install_file_name("log.300000001.install").has_value());
  EXPECT_FALSE(parse_install_file_name("log.5-4.install").has_value());
  EXPECT_FALSE(parse_install_file_name("log.0-4.install").has_value());
  EXPECT_FALSE(parse_install_file_name("log.1-4.install.tmp").has_value());
  EXPECT_FALSE(parse_install_file_name("log.1-X.install").has_value());
}

TEST_F(InstallTest, NewLogReplacesTheOldOneWhole) {
  ASSERT_TRUE(install_log(dir_.path(), kImage, txns_of(new_txns_)).is_ok());
  EXPECT_EQ(dir_names(dir_.path()), std::vector<std::string>{segment_name(new_txns_.front())});
  EXPECT_EQ(recovered_after(kImage), new_txns_);
  // Not a record of the old log is left, whichever snapshot recovery would start from.
  EXPECT_EQ(recovered_after(0), new_txns_);
  // The txns come back whole, not just their zxids.
  Recovered r = recover_all(dir_.path(), kImage);
  EXPECT_EQ(r.txns, txns_of(new_txns_));
}

TEST_F(InstallTest, NoTxnsLeavesNoLog) {
  ASSERT_TRUE(install_log(dir_.path(), kImage, {}).is_ok());
  EXPECT_TRUE(dir_names(dir_.path()).empty());
  Recovered r = recover_all(dir_.path(), kImage);
  ASSERT_TRUE(r.report.is_ok()) << r.report.status().message();
  EXPECT_TRUE(r.txns.empty());
  EXPECT_EQ(r.report->last_logged_zxid, 0);
}

TEST_F(InstallTest, TxnsThatDoNotRiseAboveTheImageAreRefused) {
  const std::vector<std::string> before = dir_names(dir_.path());
  EXPECT_FALSE(install_log(dir_.path(), kImage, txns_of({0x200000005, 0x200000006})).is_ok());
  EXPECT_FALSE(install_log(dir_.path(), kImage, txns_of({0x200000007, 0x200000006})).is_ok());
  EXPECT_EQ(dir_names(dir_.path()), before);
  EXPECT_EQ(recovered_after(kImage), old_after_image_);
}

TEST_F(InstallTest, CrashAfterTheInstallFileIsWrittenRollsForward) {
  ASSERT_TRUE(arm_faults("wal.install_after_write=eio").is_ok());
  EXPECT_FALSE(install_log(dir_.path(), kImage, txns_of(new_txns_)).is_ok());
  disarm_all_faults();
  // Nothing of the old log is touched yet.
  EXPECT_EQ(dir_names(dir_.path()).size(), 3u);
  EXPECT_EQ(read_bytes(install_path()), install_file_bytes());
  EXPECT_TRUE(expect_old_or_new("after write"));
  EXPECT_EQ(dir_names(dir_.path()), std::vector<std::string>{segment_name(new_txns_.front())});
}

TEST_F(InstallTest, CrashAfterTheOldLogIsRemovedRollsForward) {
  ASSERT_TRUE(arm_faults("wal.install_after_cut=eio").is_ok());
  EXPECT_FALSE(install_log(dir_.path(), kImage, txns_of(new_txns_)).is_ok());
  disarm_all_faults();
  EXPECT_EQ(dir_names(dir_.path()),
            std::vector<std::string>{install_file_name(new_txns_.front(), new_txns_.back())});
  EXPECT_TRUE(expect_old_or_new("after cut"));
  EXPECT_EQ(dir_names(dir_.path()), std::vector<std::string>{segment_name(new_txns_.front())});
}

TEST_F(InstallTest, CrashMidwayThroughTheCutRollsForward) {
  // The removal went newest first and got as far as the epoch 2 segment.
  write_bytes(install_path(), install_file_bytes());
  std::remove(dir_.file(segment_name(0x200000001)).c_str());
  EXPECT_TRUE(expect_old_or_new("midway through the cut"));
}

TEST_F(InstallTest, TornInstallFileIsRemovedAndTheOldLogKept) {
  const std::string full = install_file_bytes();
  for (size_t size = 0; size < full.size(); size += 7) {
    write_bytes(install_path(), full.substr(0, size));
    EXPECT_FALSE(expect_old_or_new("torn at " + std::to_string(size))) << size;
    EXPECT_EQ(file_size(install_path()), 0u) << "the torn install file is gone";
    EXPECT_EQ(dir_names(dir_.path()).size(), 2u);
  }
}

TEST_F(InstallTest, DamagedOrOverlongInstallFileIsRemoved) {
  std::string flipped = install_file_bytes();
  flipped[flipped.size() / 2] ^= 0x10;
  write_bytes(install_path(), flipped);
  EXPECT_FALSE(expect_old_or_new("flipped byte"));
  // Records beyond what the name promises: not the file install_log wrote.
  std::string longer = install_file_bytes() + make_frame(make_set_data(0x300000003), new_txns_.front());
  write_bytes(install_path(), longer);
  EXPECT_FALSE(expect_old_or_new("one record too many"));
  // Zeros after the records: a preallocated file, not one install_log wrote.
  write_bytes(install_path(), install_file_bytes() + std::string(4096, '\0'));
  EXPECT_FALSE(expect_old_or_new("zero tail"));
}

TEST_F(InstallTest, CommittedTxnsSurviveEveryCrashPoint) {
  // Each crash point, from a fresh copy of the old log: the state recovered is old or new.
  for (const char* fault : {"", "wal.install_after_write=eio", "wal.install_after_cut=eio"}) {
    TearDown();
    for (const std::string& name : dir_names(dir_.path())) std::remove(dir_.file(name).c_str());
    SetUp();
    EXPECT_FALSE(expect_old_or_new(std::string("before install, ") + fault));
    if (*fault != '\0') {
      ASSERT_TRUE(arm_faults(fault).is_ok());
    }
    Status installed = install_log(dir_.path(), kImage, txns_of(new_txns_));
    EXPECT_EQ(installed.is_ok(), *fault == '\0') << fault;
    disarm_all_faults();
    EXPECT_TRUE(expect_old_or_new(fault));
  }
}

TEST_F(InstallTest, NextInstallFinishesAnInterruptedOneFirst) {
  ASSERT_TRUE(arm_faults("wal.install_after_write=eio").is_ok());
  EXPECT_FALSE(install_log(dir_.path(), kImage, txns_of(new_txns_)).is_ok());
  disarm_all_faults();
  // A later SNAP from the next leader, without a restart between.
  const Zxid image = 0x300000001;
  const std::vector<Zxid> later = {0x300000002, 0x400000001};
  ASSERT_TRUE(install_log(dir_.path(), image, txns_of(later)).is_ok());
  EXPECT_EQ(dir_names(dir_.path()), std::vector<std::string>{segment_name(later.front())});
  EXPECT_EQ(recovered_after(image), later);
}

TEST_F(InstallTest, TwoCompleteInstallFilesAreRefused) {
  write_bytes(install_path(), install_file_bytes());
  write_bytes(dir_.file(install_file_name(0x400000001, 0x400000001)),
              make_frame(make_set_data(0x400000001), 0x400000001));
  Recovered r = recover_all(dir_.path(), kImage);
  ASSERT_FALSE(r.report.is_ok());
  EXPECT_NE(r.report.status().message().find("install"), std::string::npos) << r.report.status().message();
}

TEST_F(InstallTest, TruncateRemovesNewestFirstAndCutsTheStraddler) {
  ASSERT_TRUE(truncate_log_after(dir_.path(), 0x100000002).is_ok());
  EXPECT_EQ(dir_names(dir_.path()), std::vector<std::string>{segment_name(0x100000001)});
  EXPECT_EQ(recovered_after(0), (std::vector<Zxid>{0x100000001, 0x100000002}));
  ASSERT_TRUE(truncate_log_after(dir_.path(), 0x100000002).is_ok());  // again: nothing to do
  EXPECT_EQ(recovered_after(0), (std::vector<Zxid>{0x100000001, 0x100000002}));
}

}  // namespace
}  // namespace rk
