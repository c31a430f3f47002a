// Purge: the retain count (at least 3), temp snapshot names ignored, and exactly the log
// segments needed to replay from the oldest kept snapshot left in place.
#include "wal/purge.h"

#include <gtest/gtest.h>

#include "wal/segment.h"
#include "wal_test_util.h"

namespace rk {
namespace {

using namespace rk::testing;

void touch(const std::string& path) { write_bytes(path, "x"); }

TEST(Purge, KeepsNewestSnapshotsAndTheSegmentsToReplayFromTheOldestKept) {
  TempDir snaps;
  TempDir logs;
  for (const char* name : {"snapshot.10", "snapshot.30", "snapshot.50", "snapshot.70",
                           "snapshot.90", "snapshot.a0.tmp", "snapshot.zz", "notes"}) {
    touch(snaps.file(name));
  }
  // Oldest kept is 0x50: replay needs 0x51 on, which lives in log.40.
  for (Zxid first : {0x1, 0x20, 0x40, 0x52, 0x80}) touch(logs.file(segment_name(first)));
  Result<PurgeReport> report = purge_files(snaps.path(), logs.path(), 3);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(dir_names(snaps.path()),
            (std::vector<std::string>{"notes", "snapshot.50", "snapshot.70", "snapshot.90",
                                      "snapshot.a0.tmp", "snapshot.zz"}));
  EXPECT_EQ(dir_names(logs.path()),
            (std::vector<std::string>{"log.40", "log.52", "log.80"}));
  EXPECT_EQ(report->removed_snapshots,
            (std::vector<std::string>{snaps.file("snapshot.10"), snaps.file("snapshot.30")}));
  EXPECT_EQ(report->removed_segments,
            (std::vector<std::string>{logs.file("log.1"), logs.file("log.20")}));
}

TEST(Purge, SegmentStartingRightAfterTheSnapshotIsTheFirstKept) {
  TempDir dir;  // snapshots and logs in one dir, as with dataLogDir unset
  for (const char* name : {"snapshot.5", "snapshot.6", "snapshot.7", "snapshot.8"}) touch(dir.file(name));
  for (Zxid first : {0x1, 0x4, 0x7, 0x9}) touch(dir.file(segment_name(first)));
  Result<PurgeReport> report = purge_files(dir.path(), dir.path(), 3);
  ASSERT_TRUE(report.is_ok());
  // Oldest kept 0x6: replay from 0x7, which is exactly log.7's first record.
  EXPECT_EQ(dir_names(dir.path()), (std::vector<std::string>{"log.7", "log.9", "snapshot.6",
                                                             "snapshot.7", "snapshot.8"}));
}

TEST(Purge, RetainCountBelowThreeIsRaisedAndFewSnapshotsDeleteNothing) {
  TempDir dir;
  for (const char* name : {"snapshot.1", "snapshot.2", "snapshot.3"}) touch(dir.file(name));
  touch(dir.file(segment_name(1)));
  Result<PurgeReport> report = purge_files(dir.path(), dir.path(), 1);
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->removed_snapshots.empty());
  EXPECT_TRUE(report->removed_segments.empty());
  report = purge_files(dir.path(), dir.path(), 5);  // fewer snapshots than asked to keep
  ASSERT_TRUE(report.is_ok());
  EXPECT_EQ(dir_names(dir.path()).size(), 4u);
}

TEST(Purge, NoSegmentOldEnoughKeepsThemAll) {
  TempDir dir;
  for (const char* name : {"snapshot.1", "snapshot.2", "snapshot.3"}) touch(dir.file(name));
  for (Zxid first : {0x10, 0x20}) touch(dir.file(segment_name(first)));
  Result<PurgeReport> report = purge_files(dir.path(), dir.path(), 3);
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->removed_segments.empty());
}

}  // namespace
}  // namespace rk
