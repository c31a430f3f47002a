// UringTxnLog end to end on real files: group commit and recovery back, segment switches on
// full and on roll(), file names and sizes, forceSync=no, the wake eventfd, and the failure
// contract under an injected fdatasync EIO and an injected ENOSPC while preparing segments.
#include "wal/uring_txn_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <poll.h>
#include <sys/eventfd.h>

#include "base/fault.h"
#include "wal/segment.h"
#include "wal_test_util.h"

namespace rk {
namespace {

using namespace rk::testing;

constexpr uint64_t kSegmentBytes = 64 * 1024;

class UringTxnLogTest : public ::testing::Test {
 protected:
  void TearDown() override { disarm_all_faults(); }

  WalOptions options() const {
    WalOptions opts;
    opts.dir = dir_.path();
    opts.segment_bytes = kSegmentBytes;
    opts.prepare_retry_ms = 20;
    opts.batch_bytes_max = 64 * 1024;
    return opts;
  }

  std::unique_ptr<UringTxnLog> open_log(const WalOptions& opts, Zxid last_zxid = 0) {
    auto log = UringTxnLog::open(opts, last_zxid);
    EXPECT_TRUE(log.is_ok()) << (log ? "" : log.status().message());
    return log ? std::move(*log) : nullptr;
  }

  // Appends zxids [from, to] as one batch and waits until they are durable.
  void commit_batch(UringTxnLog& log, Zxid from, Zxid to) {
    for (Zxid z = from; z <= to; ++z) log.append(make_set_data(z));
    ASSERT_TRUE(drive_until(log, [&] { return log.durable_zxid() == to; }))
        << "durable " << log.durable_zxid() << " health " << log.health().message();
    EXPECT_FALSE(log.busy());
  }

  void expect_recovers(Zxid from, Zxid to) {
    Recovered got = recover_all(dir_.path());
    ASSERT_TRUE(got.report.is_ok()) << got.report.status().message();
    ASSERT_EQ(got.txns.size(), static_cast<size_t>(to - from + 1));
    for (Zxid z = from; z <= to; ++z) ASSERT_EQ(got.txns[z - from], make_set_data(z)) << z;
  }

  // Each log.<hex> segment starts with the record its name says.
  void expect_segments_named_by_first_zxid() {
    Result<std::vector<SegmentFile>> segments = list_segments(dir_.path());
    ASSERT_TRUE(segments.is_ok());
    for (const SegmentFile& segment : *segments) {
      TempDir one;
      write_bytes(one.file(segment_name(segment.first_zxid)), read_bytes(segment.path));
      Recovered got = recover_all(one.path());
      ASSERT_TRUE(got.report.is_ok());
      ASSERT_FALSE(got.txns.empty()) << segment.path;
      EXPECT_EQ(got.txns.front().zxid, segment.first_zxid) << segment.path;
    }
  }

  TempDir dir_;
};

TEST_F(UringTxnLogTest, GroupCommitThenRecoverEverythingBack) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->persistent());
  EXPECT_FALSE(log->busy());
  Zxid next = 1;
  for (int batch = 0; batch < 50; ++batch) {
    for (int i = 0; i < batch % 17 + 1; ++i) log->append(make_set_data(next++));
    log->flush();
    log->poll();
  }
  EXPECT_TRUE(log->busy());
  const Zxid last = next - 1;
  ASSERT_TRUE(drive_until(*log, [&] { return log->durable_zxid() == last; }));
  EXPECT_FALSE(log->busy());
  const TxnLogStats stats = log->stats();
  EXPECT_EQ(stats.batch_txns_total, static_cast<uint64_t>(last));
  EXPECT_GE(stats.batch_count, 1u);
  EXPECT_LE(stats.batch_count, 50u);
  EXPECT_EQ(stats.fsync_count, stats.batch_count);
  EXPECT_GT(stats.fsync_latency_us_max, 0u);
  EXPECT_LE(stats.fsync_latency_us_min, stats.fsync_latency_us_max);
  EXPECT_GE(stats.segments_opened, 1u);
  log.reset();
  expect_recovers(1, last);
}

TEST_F(UringTxnLogTest, TxnsAppendedDuringAChainFormTheNextBatch) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  for (Zxid z = 1; z <= 10; ++z) log->append(make_set_data(z));
  log->flush();  // chain in flight
  for (Zxid z = 11; z <= 30; ++z) log->append(make_set_data(z));
  log->flush();  // waits for the chain, goes out from poll() once it is durable
  ASSERT_TRUE(drive_until(*log, [&] { return log->durable_zxid() == 30; }));
  EXPECT_EQ(log->stats().batch_count, 2u);
  EXPECT_EQ(log->stats().batch_txns_max, 20u);
  log.reset();
  expect_recovers(1, 30);
}

TEST_F(UringTxnLogTest, SeveralChainsRunAtOnceAndBecomeDurableInOrder) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 1);  // the segment exists: later batches need no switch
  // Five batches flushed back to back without reaping: four chains go out at once, the
  // fifth waits for a free one.
  Zxid next = 2;
  for (int batch = 0; batch < 5; ++batch) {
    for (int i = 0; i < 3; ++i) log->append(make_set_data(next++));
    log->flush();
  }
  EXPECT_EQ(log->stats().batch_count, 5u);  // 1 + the four that fit
  ASSERT_TRUE(drive_until(*log, [&] { return log->durable_zxid() == next - 1; }));
  EXPECT_EQ(log->stats().batch_count, 6u);
  // Durability is reported at batch boundaries only, in order, whatever order the
  // fdatasyncs finish in.
  log.reset();
  expect_recovers(1, next - 1);
}

TEST_F(UringTxnLogTest, AFailedChainAmongSeveralLeavesOnlyTheBatchesBeforeItDurable) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 1);
  ASSERT_TRUE(arm_faults("wal.datasync=eio@after:2").is_ok());
  Zxid next = 2;
  std::vector<Zxid> boundaries = {1};
  for (int batch = 0; batch < 4; ++batch) {
    for (int i = 0; i < 5; ++i) log->append(make_set_data(next++));
    log->flush();
    boundaries.push_back(next - 1);
  }
  ASSERT_TRUE(drive_until(*log, [&] { return !log->health().is_ok(); }));
  EXPECT_FALSE(log->busy());
  // One fdatasync of the four passes; which one depends on the device, but the durable
  // point is a batch boundary below the failed chain, never past it.
  EXPECT_NE(std::find(boundaries.begin(), boundaries.end(), log->durable_zxid()), boundaries.end())
      << log->durable_zxid();
  EXPECT_LT(log->durable_zxid(), next - 1);
  const Zxid durable = log->durable_zxid();
  disarm_all_faults();
  log.reset();
  Recovered got = recover_all(dir_.path());
  ASSERT_TRUE(got.report.is_ok());
  ASSERT_GE(got.txns.size(), static_cast<size_t>(durable));  // written data may be there too
  for (Zxid z = 1; z <= durable; ++z) EXPECT_EQ(got.txns[z - 1], make_set_data(z));
}

TEST_F(UringTxnLogTest, FsyncsOverTheWarningThresholdAreCountedAsSlow) {
  WalOptions quiet = options();
  quiet.fsync_warning_threshold_ms = 60000;  // none of these fsyncs takes a minute
  auto log = open_log(quiet);
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 3);
  commit_batch(*log, 4, 6);
  EXPECT_EQ(log->stats().fsync_count, 2u);
  EXPECT_EQ(log->stats().slow_fsync_count, 0u);
  log.reset();
  TempDir other;
  WalOptions strict = options();
  strict.dir = other.path();
  strict.fsync_warning_threshold_ms = -1;  // every fsync takes longer than that
  log = open_log(strict);
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 3);
  commit_batch(*log, 4, 6);
  EXPECT_EQ(log->stats().slow_fsync_count, log->stats().fsync_count);
  EXPECT_EQ(log->stats().fsync_count, 2u);
}

TEST_F(UringTxnLogTest, SwitchesSegmentsWhenFullWithExactSizesAndNames) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  Zxid last = 0;
  for (int batch = 0; batch < 80; ++batch) {
    commit_batch(*log, last + 1, last + 37);
    last += 37;
  }
  EXPECT_GE(log->stats().segments_opened, 4u);
  log.reset();
  // Segments left behind are cut to their last record (the room allocated after it goes
  // back); the one being written when the log closed, and the prepared one, keep their size.
  std::vector<std::string> segments;
  for (const std::string& name : dir_names(dir_.path())) {
    EXPECT_TRUE(parse_segment_name(name) || name == "log.prealloc") << name;
    if (name == "log.prealloc") {
      EXPECT_EQ(file_size(dir_.file(name)), kSegmentBytes) << name;
    } else {
      segments.push_back(name);
    }
  }
  std::sort(segments.begin(), segments.end(), [](const std::string& a, const std::string& b) {
    return *parse_segment_name(a) < *parse_segment_name(b);
  });
  ASSERT_GE(segments.size(), 4u);
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const uint64_t size = file_size(dir_.file(segments[i]));
    EXPECT_LT(size, kSegmentBytes) << segments[i];
    EXPECT_GT(size, kSegmentBytes / 2) << segments[i] << ": switched only when full";
    EXPECT_EQ(size % 8, 0u) << segments[i] << ": frames are 8-byte aligned";
  }
  EXPECT_EQ(file_size(dir_.file(segments.back())), kSegmentBytes) << segments.back();
  expect_segments_named_by_first_zxid();
  expect_recovers(1, last);
}

TEST_F(UringTxnLogTest, RollStartsTheNextBatchInANewSegment) {
  auto log = open_log(options(), 0x500000000);
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 0x500000001, 0x500000005);
  EXPECT_EQ(log->segment_path(), dir_.file("log.500000001"));
  // A roll while the next segment is still being prepared is put off, never waited for: the
  // batch stays in the current segment.
  ASSERT_TRUE(drive_until(*log, [&] { return log->next_segment_ready(); }));
  log->roll();
  commit_batch(*log, 0x500000006, 0x500000008);
  EXPECT_EQ(log->segment_path(), dir_.file("log.500000006"));
  EXPECT_EQ(log->stats().segments_opened, 2u);
  // Right after that switch the preparer is at work on the next one: a roll now is put off
  // to the first batch that finds a segment ready.
  log->roll();
  commit_batch(*log, 0x500000009, 0x500000009);
  if (log->stats().segments_opened == 2u) {
    ASSERT_TRUE(drive_until(*log, [&] { return log->next_segment_ready(); }));
    commit_batch(*log, 0x50000000a, 0x50000000a);
    EXPECT_EQ(log->segment_path(), dir_.file("log.50000000a"));
  } else {
    EXPECT_EQ(log->segment_path(), dir_.file("log.500000009"));
  }
  EXPECT_EQ(log->stats().segments_opened, 3u);
  const Zxid last = log->durable_zxid();
  log.reset();
  expect_segments_named_by_first_zxid();
  Recovered got = recover_all(dir_.path(), 0x500000000);
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(got.report->segments, 3u);
  EXPECT_EQ(got.txns.size(), static_cast<size_t>(last - 0x500000000));
}

TEST_F(UringTxnLogTest, ABatchBiggerThanASegmentExtendsIt) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 2);
  for (Zxid z = 3; z <= 1000; ++z) log->append(make_set_data(z, 100));
  ASSERT_TRUE(drive_until(*log, [&] { return log->durable_zxid() == 1000; }));
  EXPECT_GT(file_size(log->segment_path()), kSegmentBytes);
  EXPECT_EQ(log->segment_path(), dir_.file("log.3"));
  log.reset();
  Recovered got = recover_all(dir_.path());
  ASSERT_TRUE(got.report.is_ok());
  EXPECT_EQ(got.txns.size(), 1000u);
}

TEST_F(UringTxnLogTest, ForceSyncOffCountsWrittenAsDurableWithoutFsync) {
  WalOptions opts = options();
  opts.force_sync = false;
  auto log = open_log(opts);
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 100);
  commit_batch(*log, 101, 200);
  EXPECT_EQ(log->stats().fsync_count, 0u);
  EXPECT_EQ(log->stats().batch_count, 2u);
  log.reset();
  expect_recovers(1, 200);
}

TEST_F(UringTxnLogTest, CompletionsAndThePreparerSignalTheWakeEventfd) {
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(wake, 0);
  WalOptions opts = options();
  opts.wake_fd = wake;
  auto log = open_log(opts);
  ASSERT_NE(log, nullptr);
  uint64_t count = 0;
  EXPECT_EQ(read(wake, &count, sizeof count), 8);  // the first segment is ready
  for (Zxid z = 1; z <= 5; ++z) log->append(make_set_data(z));
  log->flush();
  // Sleep on the eventfd only (as the engine does): each completion must ring it.
  while (log->durable_zxid() < 5) {
    pollfd pfd{wake, POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 10'000), 1) << "no wake-up from the txn log";
    ASSERT_EQ(read(wake, &count, sizeof count), 8);
    log->poll();
  }
  log.reset();
  close(wake);
}

TEST_F(UringTxnLogTest, FailedFdatasyncIsStickyAndFollowsTheContract) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(arm_faults("wal.datasync=eio@after:2").is_ok());
  commit_batch(*log, 1, 10);
  commit_batch(*log, 11, 20);
  for (Zxid z = 21; z <= 30; ++z) log->append(make_set_data(z));
  log->flush();
  for (Zxid z = 31; z <= 35; ++z) log->append(make_set_data(z));  // forming while in flight
  ASSERT_TRUE(drive_until(*log, [&] { return !log->health().is_ok(); }));
  EXPECT_EQ(log->durable_zxid(), 20);
  EXPECT_FALSE(log->busy());
  const std::string& message = log->health().message();
  EXPECT_NE(message.find("fdatasync"), std::string::npos) << message;
  EXPECT_NE(message.find("Input/output error"), std::string::npos) << message;
  disarm_all_faults();
  // Sticky: nothing brings it back.
  EXPECT_FALSE(drive_until(*log, [&] { return log->health().is_ok(); },
                           std::chrono::milliseconds(200)));
  EXPECT_EQ(log->durable_zxid(), 20);
}

TEST_F(UringTxnLogTest, FailedWriteIsStickyToo) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  commit_batch(*log, 1, 3);
  ASSERT_TRUE(arm_faults("wal.write=eio").is_ok());
  for (Zxid z = 4; z <= 6; ++z) log->append(make_set_data(z));
  ASSERT_TRUE(drive_until(*log, [&] { return !log->health().is_ok(); }));
  EXPECT_EQ(log->durable_zxid(), 3);
  EXPECT_FALSE(log->busy());
  EXPECT_NE(log->health().message().find("write to the txn log failed"), std::string::npos);
}

TEST_F(UringTxnLogTest, DiskFullWhilePreparingFailsWhenFullThenResumes) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(arm_faults("wal.prepare_segment=enospc").is_ok());
  // The first batch takes the segment prepared at open; the next preparation fails.
  Zxid last = 0;
  while (log->health().is_ok()) {
    for (Zxid z = last + 1; z <= last + 40; ++z) log->append(make_set_data(z));
    ASSERT_TRUE(drive_until(*log, [&] { return !log->busy() || !log->health().is_ok(); }));
    if (log->health().is_ok()) last += 40;
    ASSERT_LT(last, 10'000) << "the segment never filled";
  }
  EXPECT_EQ(log->durable_zxid(), last);
  EXPECT_FALSE(log->busy());
  EXPECT_EQ(log->health().message(),
            "disk full: cannot preallocate the next txn log segment in " + dir_.path() +
                " (No space left on device)");
  // Not sticky: once a segment can be made, writes go on at durable + 1.
  disarm_all_faults();
  ASSERT_TRUE(drive_until(*log, [&] { return log->health().is_ok(); }));
  commit_batch(*log, last + 1, last + 40);
  log.reset();
  expect_recovers(1, last + 40);
}

TEST_F(UringTxnLogTest, DiskFullOnlyPostponesARoll) {
  auto log = open_log(options());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(arm_faults("wal.prepare_segment=enospc").is_ok());
  commit_batch(*log, 1, 5);  // takes the segment prepared at open; the next one fails
  log->roll();
  commit_batch(*log, 6, 10);  // written on in the current segment, which has room
  EXPECT_TRUE(log->health().is_ok());
  EXPECT_EQ(log->segment_path(), dir_.file("log.1"));
  disarm_all_faults();
  ASSERT_TRUE(drive_until(*log, [&] { return log->next_segment_ready(); }));
  commit_batch(*log, 11, 12);  // the roll happens once a segment is ready
  EXPECT_EQ(log->segment_path(), dir_.file("log.b"));
}

}  // namespace
}  // namespace rk
