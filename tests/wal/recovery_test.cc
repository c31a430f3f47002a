// Recovery from hand-made segment images: torn tails cut at every byte of the last frame,
// zeroed tails, flipped bytes, stale records, corruption in the middle, zxid order, temp
// files, and truncate_log_after.
#include "wal/recovery.h"

#include <gtest/gtest.h>

#include "wal/segment.h"
#include "wal_test_util.h"

namespace rk {
namespace {

using namespace rk::testing;

constexpr Zxid kIdentity = 0x100000001;
const std::vector<Zxid> kThree = {kIdentity, kIdentity + 1, kIdentity + 2};

std::vector<Zxid> zxids_of(const std::vector<Txn>& txns) {
  std::vector<Zxid> zxids;
  for (const Txn& txn : txns) zxids.push_back(txn.zxid);
  return zxids;
}

TEST(Recovery, CleanSegmentsReplayInOrderAfterTheGivenZxid) {
  TempDir dir;
  write_bytes(dir.file(segment_name(1)), segment_image(1, {1, 2, 3}) + std::string(4096, '\0'));
  write_bytes(dir.file(segment_name(4)), segment_image(4, {4, 5}) + std::string(100, '\0'));
  write_bytes(dir.file(segment_name(0x200000000)), segment_image(0x200000000, {0x200000000}));
  Recovered all = recover_all(dir.path());
  ASSERT_TRUE(all.report.is_ok()) << all.report.status().message();
  EXPECT_EQ(zxids_of(all.txns), (std::vector<Zxid>{1, 2, 3, 4, 5, 0x200000000}));
  EXPECT_EQ(all.txns[0], make_set_data(1));
  EXPECT_EQ(all.report->segments, 3u);
  EXPECT_TRUE(all.report->cuts.empty());

  Recovered after = recover_all(dir.path(), 3);
  ASSERT_TRUE(after.report.is_ok());
  EXPECT_EQ(zxids_of(after.txns), (std::vector<Zxid>{4, 5, 0x200000000}));
  EXPECT_EQ(after.report->txns_replayed, 3u);
  EXPECT_EQ(after.report->first_zxid, 4);
  EXPECT_EQ(after.report->last_zxid, 0x200000000);
  EXPECT_EQ(after.report->last_logged_zxid, 0x200000000);
  EXPECT_EQ(after.report->segments, 2u);  // log.1 holds nothing above 3: not read
}

TEST(Recovery, SegmentsWhollyBeforeTheSnapshotAreNotRead) {
  TempDir dir;
  // An old segment that a snapshot at 5 made unnecessary is damaged: nothing to replay there,
  // so it is neither read nor an error (purge would delete it).
  write_bytes(dir.file(segment_name(1)), std::string(64, '\x5a'));
  write_bytes(dir.file(segment_name(4)), segment_image(4, {4, 5, 6}) + std::string(100, '\0'));
  write_bytes(dir.file(segment_name(7)), segment_image(7, {7, 8}) + std::string(100, '\0'));
  Recovered after = recover_all(dir.path(), 5);
  ASSERT_TRUE(after.report.is_ok()) << after.report.status().message();
  EXPECT_EQ(zxids_of(after.txns), (std::vector<Zxid>{6, 7, 8}));
  EXPECT_EQ(after.report->segments, 2u);
  EXPECT_EQ(read_bytes(dir.file(segment_name(1))), std::string(64, '\x5a'));  // untouched
  // From the start it is read, and its damage found.
  EXPECT_FALSE(recover_all(dir.path()).report.is_ok());
}

TEST(Recovery, TornTailCutAtEveryByteOfTheLastFrame) {
  const std::string full = segment_image(kIdentity, kThree);
  const size_t last_frame = segment_image(kIdentity, {kIdentity, kIdentity + 1}).size();
  for (size_t cut = last_frame; cut < full.size(); ++cut) {
    TempDir dir;
    const std::string path = dir.file(segment_name(kIdentity));
    write_bytes(path, full.substr(0, cut));
    Recovered got = recover_all(dir.path());
    ASSERT_TRUE(got.report.is_ok()) << got.report.status().message();
    EXPECT_EQ(zxids_of(got.txns), (std::vector<Zxid>{kIdentity, kIdentity + 1})) << cut;
    EXPECT_EQ(file_size(path), last_frame) << cut;
    if (cut == last_frame) {
      EXPECT_TRUE(got.report->cuts.empty());  // the file simply ends there
      continue;
    }
    ASSERT_EQ(got.report->cuts.size(), 1u) << cut;
    EXPECT_EQ(got.report->cuts[0].file, path);
    EXPECT_EQ(got.report->cuts[0].offset, last_frame);
    EXPECT_EQ(got.report->cuts[0].bytes, cut - last_frame);
    // Recovering again finds a clean log.
    Recovered again = recover_all(dir.path());
    ASSERT_TRUE(again.report.is_ok());
    EXPECT_EQ(again.txns.size(), 2u);
    EXPECT_TRUE(again.report->cuts.empty());
  }
}

TEST(Recovery, TornTailInsidePreallocatedZerosAtEveryByte) {
  // The write landed only up to `landed`; the rest of the frame and segment still zeros.
  const std::string full = segment_image(kIdentity, kThree);
  const size_t last_frame = segment_image(kIdentity, {kIdentity, kIdentity + 1}).size();
  const size_t segment_bytes = 8192;
  for (size_t landed = last_frame; landed < full.size(); ++landed) {
    TempDir dir;
    const std::string path = dir.file(segment_name(kIdentity));
    std::string image = full.substr(0, landed);
    image.resize(segment_bytes, '\0');
    write_bytes(path, image);
    Recovered got = recover_all(dir.path());
    ASSERT_TRUE(got.report.is_ok());
    const bool only_padding_missing = full.substr(landed).find_first_not_of('\0') == std::string::npos;
    const size_t expected = only_padding_missing ? 3 : 2;
    EXPECT_EQ(got.txns.size(), expected) << landed;
    const bool only_zeros_landed = image.find_first_not_of('\0', last_frame) == std::string::npos;
    if (only_padding_missing || only_zeros_landed) {
      EXPECT_TRUE(got.report->cuts.empty()) << landed;  // a clean, zero end
      EXPECT_EQ(file_size(path), segment_bytes);
    } else {
      ASSERT_EQ(got.report->cuts.size(), 1u) << landed;
      EXPECT_EQ(got.report->cuts[0].offset, last_frame);
      EXPECT_EQ(got.report->cuts[0].bytes, segment_bytes - last_frame);
      EXPECT_EQ(file_size(path), last_frame);
    }
  }
}

TEST(Recovery, ZeroedTailIsTheEndOfTheLog) {
  TempDir dir;
  const std::string path = dir.file(segment_name(kIdentity));
  std::string image = segment_image(kIdentity, kThree);
  const size_t last_frame = segment_image(kIdentity, {kIdentity, kIdentity + 1}).size();
  std::fill(image.begin() + static_cast<long>(last_frame), image.end(), '\0');
  image.resize(65536, '\0');
  write_bytes(path, image);
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(got.txns.size(), 2u);
  EXPECT_TRUE(got.report->cuts.empty());
  EXPECT_EQ(file_size(path), 65536u);
}

TEST(Recovery, FlippedByteInTheLastRecordIsCut) {
  TempDir dir;
  const std::string path = dir.file(segment_name(kIdentity));
  std::string image = segment_image(kIdentity, kThree);
  const size_t last_frame = segment_image(kIdentity, {kIdentity, kIdentity + 1}).size();
  image[last_frame + 30] ^= 0x01;
  write_bytes(path, image + std::string(1000, '\0'));
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(zxids_of(got.txns), (std::vector<Zxid>{kIdentity, kIdentity + 1}));
  ASSERT_EQ(got.report->cuts.size(), 1u);
  EXPECT_EQ(got.report->cuts[0].offset, last_frame);
  EXPECT_EQ(file_size(path), last_frame);
}

TEST(Recovery, StaleRecordFromAnotherSegmentIsNotAccepted) {
  TempDir dir;
  const std::string path = dir.file(segment_name(kIdentity));
  // Two good records, then a frame with the right next zxid sealed for another segment.
  std::string image = segment_image(kIdentity, {kIdentity, kIdentity + 1});
  const size_t stale_at = image.size();
  image += make_frame(make_set_data(kIdentity + 2), 0x200000001);
  write_bytes(path, image);
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(got.txns.size(), 2u);
  ASSERT_EQ(got.report->cuts.size(), 1u);
  EXPECT_EQ(got.report->cuts[0].offset, stale_at);
}

TEST(Recovery, CorruptionInTheMiddleIsAnErrorNamingFileAndOffset) {
  TempDir dir;
  std::string first = segment_image(1, {1, 2, 3});
  const size_t second_frame = segment_image(1, {1}).size();
  first[second_frame + 20] ^= 0x40;
  write_bytes(dir.file(segment_name(1)), first);
  write_bytes(dir.file(segment_name(4)), segment_image(4, {4, 5}));
  Recovered got = recover_all(dir.path());
  ASSERT_FALSE(got.report.is_ok());
  const std::string& message = got.report.status().message();
  EXPECT_NE(message.find(dir.file(segment_name(1))), std::string::npos) << message;
  EXPECT_NE(message.find("offset " + std::to_string(second_frame)), std::string::npos) << message;
  EXPECT_EQ(file_size(dir.file(segment_name(1))), first.size());  // nothing cut
}

TEST(Recovery, GarbageAfterAZeroLengthFollowedByRecordsIsCorruption) {
  TempDir dir;
  std::string first = segment_image(1, {1}) + std::string(64, '\0') + "junk";
  write_bytes(dir.file(segment_name(1)), first);
  write_bytes(dir.file(segment_name(2)), segment_image(2, {2}));
  EXPECT_FALSE(recover_all(dir.path()).report.is_ok());
}

TEST(Recovery, TornFirstRecordOfANewSegmentRemovesIt) {
  TempDir dir;
  write_bytes(dir.file(segment_name(1)), segment_image(1, {1, 2}) + std::string(512, '\0'));
  const std::string torn = segment_image(3, {3}).substr(0, 20);
  write_bytes(dir.file(segment_name(3)), torn + std::string(512, '\0'));
  write_bytes(dir.file(segment_name(9)), std::string(4096, '\0'));  // named, never written
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok()) << got.report.status().message();
  EXPECT_EQ(zxids_of(got.txns), (std::vector<Zxid>{1, 2}));
  ASSERT_EQ(got.report->cuts.size(), 2u);
  EXPECT_EQ(got.report->cuts[0].file, dir.file(segment_name(3)));
  EXPECT_EQ(got.report->cuts[0].offset, 0u);
  EXPECT_EQ(dir_names(dir.path()), (std::vector<std::string>{segment_name(1)}));
}

TEST(Recovery, ZxidsThatDoNotRiseAreAnError) {
  TempDir dir;
  write_bytes(dir.file(segment_name(1)), segment_image(1, {1, 3, 2}));
  Recovered got = recover_all(dir.path());
  ASSERT_FALSE(got.report.is_ok());
  EXPECT_NE(got.report.status().message().find("out of order"), std::string::npos);
}

TEST(Recovery, PreallocTempFileIsRemovedAndMissingDirIsEmpty) {
  TempDir dir;
  write_bytes(dir.file("log.prealloc"), std::string(4096, '\0'));
  write_bytes(dir.file("log.notes"), "x");
  write_bytes(dir.file(segment_name(1)), segment_image(1, {1}));
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(got.txns.size(), 1u);
  EXPECT_EQ(dir_names(dir.path()), (std::vector<std::string>{segment_name(1), "log.notes"}));
  Recovered none = recover_all(dir.file("absent"));
  ASSERT_TRUE(none.report.is_ok());
  EXPECT_EQ(none.report->segments, 0u);
}

TEST(Recovery, TruncateLogAfterCutsRecordsAndRemovesSegmentsAbove) {
  TempDir dir;
  write_bytes(dir.file(segment_name(1)), segment_image(1, {1, 2, 3}) + std::string(256, '\0'));
  write_bytes(dir.file(segment_name(4)), segment_image(4, {4, 5, 6}) + std::string(256, '\0'));
  write_bytes(dir.file(segment_name(7)), segment_image(7, {7, 8}));
  ASSERT_TRUE(truncate_log_after(dir.path(), 5).is_ok());
  EXPECT_EQ(dir_names(dir.path()), (std::vector<std::string>{segment_name(1), segment_name(4)}));
  EXPECT_EQ(file_size(dir.file(segment_name(4))), segment_image(4, {4, 5}).size());
  Recovered got = recover_all(dir.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(zxids_of(got.txns), (std::vector<Zxid>{1, 2, 3, 4, 5}));

  ASSERT_TRUE(truncate_log_after(dir.path(), 3).is_ok());  // exactly at a segment boundary
  EXPECT_EQ(zxids_of(recover_all(dir.path()).txns), (std::vector<Zxid>{1, 2, 3}));
  ASSERT_TRUE(truncate_log_after(dir.path(), 0).is_ok());
  EXPECT_TRUE(recover_all(dir.path()).txns.empty());
}

}  // namespace
}  // namespace rk
