// The segment preparer on a real file system: a prepared segment is the configured size, reads
// back as zeros and is allocated ahead in both zero-fill modes; with ZeroFill::kWrites it holds
// only written extents (no unwritten extent left for an fdatasync to convert).
#include "wal/preparer.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/wal/wal_test_util.h"

namespace rk {
namespace {

using testing::TempDir;

constexpr uint64_t kSegmentBytes = 4ull << 20;

// Waits (bounded) until the preparer has a segment ready.
bool wait_ready(SegmentPreparer& preparer) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (preparer.state() != SegmentPreparer::State::kReady) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

struct ExtentSummary {
  bool supported = false;
  uint64_t mapped_bytes = 0;
  unsigned unwritten = 0;
};

// FIEMAP over the whole file, syncing first so delayed allocation has settled.
ExtentSummary extents_of(int fd) {
  constexpr unsigned kExtentsMax = 256;
  std::vector<char> buf(sizeof(fiemap) + kExtentsMax * sizeof(fiemap_extent));
  auto* map = reinterpret_cast<fiemap*>(buf.data());
  map->fm_start = 0;
  map->fm_length = FIEMAP_MAX_OFFSET;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = kExtentsMax;
  ExtentSummary out;
  if (ioctl(fd, FS_IOC_FIEMAP, map) != 0) return out;
  out.supported = true;
  for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
    const fiemap_extent& e = map->fm_extents[i];
    out.mapped_bytes += e.fe_length;
    if (e.fe_flags & FIEMAP_EXTENT_UNWRITTEN) ++out.unwritten;
  }
  return out;
}

// Prepares and takes one segment; its path.
std::string prepare_one(const TempDir& dir, ZeroFill zero_fill) {
  SegmentPreparer preparer(PreparerOptions{dir.path(), kSegmentBytes, zero_fill});
  EXPECT_TRUE(preparer.wait_first_attempt());
  EXPECT_TRUE(wait_ready(preparer));
  const std::string path = dir.file("log.1");
  Result<int> taken = preparer.take(path);
  EXPECT_TRUE(taken) << taken.status().message();
  if (taken) close(*taken);
  return path;
}

ExtentSummary extents_of(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  ExtentSummary extents = extents_of(fd);
  close(fd);
  return extents;
}

TEST(SegmentPreparerTest, WritesModeLeavesAllZerosInWrittenExtents) {
  TempDir dir;
  const std::string path = prepare_one(dir, ZeroFill::kWrites);
  const std::string bytes = testing::read_bytes(path);
  ASSERT_EQ(bytes.size(), kSegmentBytes);
  EXPECT_EQ(bytes.find_first_not_of('\0'), std::string::npos);
  ExtentSummary extents = extents_of(path);
  if (!extents.supported) GTEST_SKIP() << "no FIEMAP on " << dir.path();
  EXPECT_EQ(extents.unwritten, 0u) << "a segment must not leave extent conversion to fdatasync";
  EXPECT_GE(extents.mapped_bytes, kSegmentBytes) << "every block allocated ahead";
}

TEST(SegmentPreparerTest, DeviceModeAllocatesEveryBlockAndReadsAsZeros) {
  TempDir dir;
  const std::string path = prepare_one(dir, ZeroFill::kDevice);
  const std::string bytes = testing::read_bytes(path);
  ASSERT_EQ(bytes.size(), kSegmentBytes);
  EXPECT_EQ(bytes.find_first_not_of('\0'), std::string::npos);
  ExtentSummary extents = extents_of(path);
  if (!extents.supported) GTEST_SKIP() << "no FIEMAP on " << dir.path();
  EXPECT_GE(extents.mapped_bytes, kSegmentBytes) << "every block allocated ahead, not sparse";
}

TEST(SegmentPreparerTest, TheNextSegmentIsPreparedAfterATake) {
  TempDir dir;
  SegmentPreparer preparer(PreparerOptions{dir.path(), kSegmentBytes});
  ASSERT_TRUE(wait_ready(preparer));
  Result<int> first = preparer.take(dir.file("log.1"));
  ASSERT_TRUE(first);
  close(*first);
  ASSERT_TRUE(wait_ready(preparer));
  Result<int> second = preparer.take(dir.file("log.2"));
  ASSERT_TRUE(second);
  close(*second);
  EXPECT_EQ(testing::read_bytes(dir.file("log.2")).size(), kSegmentBytes);
}

}  // namespace
}  // namespace rk
