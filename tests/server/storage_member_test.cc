// Storage for ensemble members, on real files: start-up hands the log after the snapshot back
// as history without applying it, TRUNC and SNAP change what the next start-up finds, epochs
// and the boot counter survive restarts; standalone start-up still replays everything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/tree_digest.h"
#include "quorum/peer.h"
#include "server/member_state.h"
#include "server/storage.h"
#include "snapshot/format.h"
#include "snapshot/image.h"
#include "tests/engine/engine_harness.h"
#include "wal/segment.h"

namespace rk {
namespace {

using testing::RecordingOutput;

constexpr int64_t kWallMs = 1'700'000'000'000;

Zxid zxid_of(quorum::Epoch epoch, uint32_t counter) { return epoch << 32 | counter; }

// A create of `path` at `zxid`, as a leader would log it.
Txn create_txn(Zxid zxid, const std::string& path) {
  Txn txn = make_txn(0, static_cast<int32_t>(zxid & 0xffff), zxid, kWallMs, OpCode::kCreate);
  txn.path = path;
  txn.data = "at " + std::to_string(zxid);
  txn.acl = *open_acl_unsafe();
  txn.parent_cversion = 1;
  return txn;
}

std::vector<Txn> creates(quorum::Epoch epoch, uint32_t from, uint32_t to, const std::string& prefix = "/n") {
  std::vector<Txn> txns;
  for (uint32_t i = from; i <= to; ++i) {
    txns.push_back(create_txn(zxid_of(epoch, i), prefix + std::to_string(epoch) + "-" + std::to_string(i)));
  }
  return txns;
}

std::vector<Zxid> zxids(const std::vector<Txn>& txns) {
  std::vector<Zxid> out;
  for (const Txn& txn : txns) out.push_back(txn.zxid);
  return out;
}

std::vector<Txn> concat(std::vector<Txn> a, const std::vector<Txn>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One boot of a member: a processor and the storage recovered into it.
struct Member {
  explicit Member(const ServerConfig& config, bool as_member = true) : processor(EngineConfig{}, 0, out) {
    auto opened = Storage::open(config);
    EXPECT_TRUE(opened.is_ok()) << opened.status().message();
    if (!opened) return;
    storage = std::move(*opened);
    status = as_member ? storage->recover_member(processor, -1, persisted, incarnation)
                       : storage->recover(processor, -1);
  }
  bool ok() const { return storage != nullptr && status.is_ok(); }

  // Appends and waits until the log made them durable.
  void append_durably(const std::vector<Txn>& txns) {
    for (const Txn& txn : txns) storage->append(txn);
    const Zxid last = txns.back().zxid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (storage->durable_zxid() < last && std::chrono::steady_clock::now() < deadline) {
      storage->flush();
      storage->poll();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_EQ(storage->durable_zxid(), last);
  }

  RecordingOutput out;
  Processor processor;
  std::unique_ptr<Storage> storage;
  Status status = Status::error("not recovered");
  quorum::PersistedState persisted;
  uint64_t incarnation = 0;
};

// The tree a processor reaches by applying `txns` to an empty one.
struct Applied {
  explicit Applied(const std::vector<Txn>& txns) : processor(EngineConfig{}, 0, out) {
    for (const Txn& txn : txns) processor.replay(txn);
  }
  RecordingOutput out;
  Processor processor;
};

class StorageMemberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "rk-storage-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    config_.data_dir = root_ + "/data";
    config_.data_log_dir = root_ + "/log";
    config_.pre_alloc_size_kib = 64;
    config_.snap_count = 1'000'000;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A complete, not fuzzy snapshot of `txns` applied, at their last zxid.
  void write_snapshot(const std::vector<Txn>& txns) {
    Applied applied(txns);
    const Zxid zxid = txns.back().zxid;
    ASSERT_TRUE(replace_file(config_.data_dir, snapshot_file_name(zxid),
                             encode_image(applied.processor.tree(), {}, zxid, kWallMs))
                    .is_ok());
  }

  // A fuzzy snapshot: started after `start_zxid`, holding the tree as `txns` left it.
  void write_fuzzy_snapshot(Zxid start_zxid, const std::vector<Txn>& txns) {
    Applied applied(txns);
    SnapshotOptions options;
    options.dir = config_.data_dir;
    auto writer = SnapshotWriter::start(options, start_zxid, kWallMs, applied.processor.sessions());
    ASSERT_TRUE(writer.is_ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!(*writer)->done() && std::chrono::steady_clock::now() < deadline) {
      (*writer)->step(applied.processor.tree(), 1000, txns.back().zxid);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_TRUE((*writer)->done());
    ASSERT_TRUE((*writer)->status().is_ok()) << (*writer)->status().message();
  }

  std::vector<std::string> names(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) out.push_back(entry.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> segments() {
    std::vector<std::string> out;
    for (const std::string& name : names(config_.data_log_dir)) {
      if (parse_segment_name(name)) out.push_back(name);
    }
    return out;
  }

  std::string root_;
  ServerConfig config_;
};

TEST_F(StorageMemberTest, EmptyMemberStartsEmpty) {
  Member first(config_);
  ASSERT_TRUE(first.ok()) << first.status.message();
  EXPECT_EQ(first.persisted.accepted_epoch, 0);
  EXPECT_EQ(first.persisted.current_epoch, 0);
  EXPECT_EQ(first.persisted.snapshot_zxid, 0);
  EXPECT_TRUE(first.persisted.log.empty());
  EXPECT_EQ(first.incarnation, 1u);
  EXPECT_EQ(first.processor.last_processed_zxid(), 0);
  EXPECT_EQ(first.storage->durable_zxid(), 0);
  EXPECT_FALSE(first.storage->recovery().from_snapshot);
  first.storage.reset();
  Member second(config_);
  ASSERT_TRUE(second.ok()) << second.status.message();
  EXPECT_EQ(second.incarnation, 2u);
  EXPECT_TRUE(second.persisted.log.empty());
}

TEST_F(StorageMemberTest, LogAfterTheSnapshotIsHistoryNotState) {
  const std::vector<Txn> committed = creates(1, 1, 3);
  const std::vector<Txn> uncommitted = concat(creates(1, 4, 5), creates(2, 1, 1));
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(concat(committed, uncommitted));
  }
  write_snapshot(committed);

  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  // Applied: the snapshot only.
  Applied snapshot_state(committed);
  EXPECT_EQ(tree_digest(member.processor.tree()), tree_digest(snapshot_state.processor.tree()));
  EXPECT_EQ(member.processor.tree().find("/n1-4"), nullptr);
  EXPECT_EQ(member.processor.last_processed_zxid(), zxid_of(1, 3));
  // History: every logged txn after it, whole.
  EXPECT_EQ(member.persisted.snapshot_zxid, zxid_of(1, 3));
  EXPECT_EQ(member.persisted.log, uncommitted);
  // The log goes on after its last txn.
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(2, 1));
  member.append_durably(creates(2, 2, 2));
}

TEST_F(StorageMemberTest, FuzzySnapshotIsMadeConsistentWithTheTxnsItHolds) {
  const std::vector<Txn> log = creates(1, 1, 7);
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(log);
  }
  // Started after txn 3; txns 4 and 5 were applied while it was written.
  write_fuzzy_snapshot(zxid_of(1, 3), {log.begin(), log.begin() + 5});
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  Applied through_five({log.begin(), log.begin() + 5});
  EXPECT_EQ(tree_digest(member.processor.tree()), tree_digest(through_five.processor.tree()));
  EXPECT_EQ(member.processor.last_processed_zxid(), zxid_of(1, 5));
  EXPECT_EQ(member.persisted.snapshot_zxid, zxid_of(1, 5));
  EXPECT_EQ(zxids(member.persisted.log), zxids(creates(1, 6, 7)));
}

TEST_F(StorageMemberTest, GapAfterTheSnapshotRefusesStartUp) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(creates(1, 5, 6));  // 4 is missing
  }
  write_snapshot(creates(1, 1, 3));
  Member member(config_);
  ASSERT_FALSE(member.status.is_ok());
  EXPECT_NE(member.status.message().find("0x100000005"), std::string::npos) << member.status.message();
  EXPECT_NE(member.status.message().find("0x100000003"), std::string::npos) << member.status.message();
}

TEST_F(StorageMemberTest, NextEpochMayFollowTheSnapshot) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(creates(3, 1, 2));
  }
  write_snapshot(creates(1, 1, 3));
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  EXPECT_EQ(zxids(member.persisted.log), zxids(creates(3, 1, 2)));
}

TEST_F(StorageMemberTest, TruncateCutsTheLogForTheNextStart) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(creates(1, 1, 4));
    // Batches still in flight when the TRUNC comes: it waits for them.
    for (const Txn& txn : creates(1, 5, 9)) member.storage->append(txn);
    member.storage->flush();
    ASSERT_TRUE(member.storage->truncate_log(zxid_of(1, 6)).is_ok());
    EXPECT_EQ(member.storage->durable_zxid(), zxid_of(1, 6));
    EXPECT_TRUE(member.storage->health().is_ok());
    // The leader's txns go on from the cut.
    member.append_durably(creates(2, 1, 2, "/leader"));
  }
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  EXPECT_EQ(zxids(member.persisted.log), zxids(concat(creates(1, 1, 6), creates(2, 1, 2))));
  EXPECT_EQ(member.persisted.log.back().path, "/leader2-2");
}

TEST_F(StorageMemberTest, TruncateAboveTheLogEndKeepsItAndBelowTheSnapshotIsRefused) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(creates(1, 1, 5));
  }
  write_snapshot(creates(1, 1, 3));
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  ASSERT_TRUE(member.storage->truncate_log(zxid_of(1, 9)).is_ok());
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(1, 5));
  EXPECT_FALSE(member.storage->truncate_log(zxid_of(1, 2)).is_ok());
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(1, 5));
  member.append_durably(creates(1, 6, 6));
}

TEST_F(StorageMemberTest, InstalledImageAndTxnsReplaceStateAndLog) {
  // The member: an old snapshot and a log that went its own way in epoch 1.
  const std::vector<Txn> own = creates(1, 1, 7, "/own");
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(own);
  }
  write_snapshot({own.begin(), own.begin() + 3});
  // The leader's applied state at 0x200000002 and its history after it.
  const std::vector<Txn> leader_applied = concat(creates(1, 1, 3, "/own"), creates(2, 1, 2, "/leader"));
  const std::vector<Txn> leader_txns = concat(creates(2, 3, 3, "/leader"), creates(3, 1, 1, "/leader"));
  Applied leader(leader_applied);

  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  const quorum::StateImage image = member.storage->capture_image(leader.processor, kWallMs);
  EXPECT_EQ(image.zxid, zxid_of(2, 2));
  ASSERT_TRUE(member.storage->install_image(image, leader_txns, member.processor).is_ok());
  EXPECT_EQ(tree_digest(member.processor.tree()), tree_digest(leader.processor.tree()));
  EXPECT_EQ(member.processor.last_processed_zxid(), zxid_of(2, 2));
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(3, 1));
  EXPECT_EQ(segments(), std::vector<std::string>{segment_name(zxid_of(2, 3))});
  member.append_durably(creates(3, 2, 2, "/leader"));
  member.storage.reset();

  Member again(config_);
  ASSERT_TRUE(again.ok()) << again.status.message();
  EXPECT_EQ(again.storage->recovery().snapshot_path, config_.data_dir + "/" + snapshot_file_name(zxid_of(2, 2)));
  EXPECT_EQ(tree_digest(again.processor.tree()), tree_digest(leader.processor.tree()));
  EXPECT_EQ(again.persisted.snapshot_zxid, zxid_of(2, 2));
  // The image's txns and what came after, and nothing of the old log.
  EXPECT_EQ(again.persisted.log, concat(leader_txns, creates(3, 2, 2, "/leader")));
}

TEST_F(StorageMemberTest, InstalledImageWithoutTxnsLeavesNoLog) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(creates(1, 1, 4));
  }
  Applied leader(creates(2, 1, 3, "/leader"));
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    const quorum::StateImage image = member.storage->capture_image(leader.processor, kWallMs);
    ASSERT_TRUE(member.storage->install_image(image, {}, member.processor).is_ok());
    EXPECT_EQ(member.storage->durable_zxid(), zxid_of(2, 3));
  }
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  EXPECT_TRUE(member.persisted.log.empty());
  EXPECT_EQ(member.persisted.snapshot_zxid, zxid_of(2, 3));
  EXPECT_EQ(tree_digest(member.processor.tree()), tree_digest(leader.processor.tree()));
}

TEST_F(StorageMemberTest, OwnSnapshotAboveTheImageIsRemoved) {
  // This member applied up to 6 and snapshotted there; the leader restarted from its snapshot
  // at 4 and sends that, with the rest of its history.
  const std::vector<Txn> history = concat(creates(1, 1, 7), creates(2, 1, 1));
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably({history.begin(), history.begin() + 7});
  }
  write_snapshot({history.begin(), history.begin() + 6});
  Applied leader({history.begin(), history.begin() + 4});
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    const quorum::StateImage image = member.storage->capture_image(leader.processor, kWallMs);
    ASSERT_TRUE(member.storage->install_image(image, {history.begin() + 4, history.end()}, member.processor).is_ok());
  }
  EXPECT_FALSE(std::filesystem::exists(config_.data_dir + "/" + snapshot_file_name(zxid_of(1, 6))));
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  EXPECT_EQ(member.persisted.snapshot_zxid, zxid_of(1, 4));
  EXPECT_EQ(zxids(member.persisted.log), zxids({history.begin() + 4, history.end()}));
}

TEST_F(StorageMemberTest, DamagedImageChangesNothing) {
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  member.append_durably(creates(1, 1, 3));
  Applied leader(creates(2, 1, 2, "/leader"));
  quorum::StateImage image = member.storage->capture_image(leader.processor, kWallMs);
  std::string damaged = *image.bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  const std::vector<std::string> data_before = names(config_.data_dir);
  const std::vector<std::string> log_before = segments();

  EXPECT_FALSE(member.storage->install_image({image.zxid, std::make_shared<const std::string>(damaged)},
                                             creates(2, 3, 3), member.processor)
                   .is_ok());
  EXPECT_FALSE(member.storage->install_image({zxid_of(2, 1), image.bytes}, creates(2, 3, 3), member.processor)
                   .is_ok())
      << "an image whose bytes are at another zxid";
  EXPECT_FALSE(member.storage->install_image({image.zxid, nullptr}, {}, member.processor).is_ok());
  EXPECT_EQ(names(config_.data_dir), data_before);
  EXPECT_EQ(segments(), log_before);
  EXPECT_EQ(member.processor.tree().find("/leader2-1"), nullptr);
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(1, 3));
  member.append_durably(creates(1, 4, 4));
}

TEST_F(StorageMemberTest, InstallAbandonsARunningSnapshot) {
  config_.snap_count = 2;  // a snapshot starts after every 2 txns
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  member.append_durably(creates(1, 1, 4));
  for (const Txn& txn : creates(1, 1, 4)) member.processor.replay(txn);
  EXPECT_EQ(member.storage->run(member.processor, *member.storage, kWallMs), 0) << "a snapshot started";
  const std::string temp = config_.data_dir + "/" + snapshot_file_name(zxid_of(1, 4)) + ".tmp";
  const auto started = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(temp) && std::chrono::steady_clock::now() < started) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(std::filesystem::exists(temp)) << "the snapshot's file thread is writing";
  Applied leader(creates(2, 1, 2, "/leader"));
  const quorum::StateImage image = member.storage->capture_image(leader.processor, kWallMs);
  ASSERT_TRUE(member.storage->install_image(image, {}, member.processor).is_ok());
  for (const std::string& name : names(config_.data_dir)) {
    EXPECT_FALSE(name.ends_with(".tmp")) << name;
  }
  EXPECT_TRUE(std::filesystem::exists(config_.data_dir + "/" + snapshot_file_name(zxid_of(2, 2))));
  // The chore goes on with the new state: the next snapshot is of it.
  member.append_durably(creates(2, 3, 5, "/leader"));
  for (const Txn& txn : creates(2, 3, 5, "/leader")) member.processor.replay(txn);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::string next = config_.data_dir + "/" + snapshot_file_name(zxid_of(2, 5));
  while (!std::filesystem::exists(next) && std::chrono::steady_clock::now() < deadline) {
    (void)member.storage->run(member.processor, *member.storage, kWallMs);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_TRUE(std::filesystem::exists(next));
}

TEST_F(StorageMemberTest, EpochsAndIncarnationSurviveRestarts) {
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    ASSERT_TRUE(member.storage->persist_epochs(4, 3).is_ok());
  }
  {
    Member member(config_);
    ASSERT_TRUE(member.ok()) << member.status.message();
    EXPECT_EQ(member.persisted.accepted_epoch, 4);
    EXPECT_EQ(member.persisted.current_epoch, 3);
    EXPECT_EQ(member.incarnation, 2u);
    ASSERT_TRUE(member.storage->persist_epochs(5, 5).is_ok());
  }
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  EXPECT_EQ(member.persisted.accepted_epoch, 5);
  EXPECT_EQ(member.persisted.current_epoch, 5);
  EXPECT_EQ(member.incarnation, 3u);
}

TEST_F(StorageMemberTest, GarbledEpochFileRefusesStartUp) {
  std::filesystem::create_directories(config_.data_dir);
  ASSERT_TRUE(replace_file(config_.data_dir, kCurrentEpochFile, "seven").is_ok());
  Member member(config_);
  ASSERT_FALSE(member.status.is_ok());
  EXPECT_NE(member.status.message().find("currentEpoch"), std::string::npos) << member.status.message();
}

TEST_F(StorageMemberTest, CapturedImageIsTheAppliedState) {
  Applied applied(creates(1, 1, 20));
  Member member(config_);
  ASSERT_TRUE(member.ok()) << member.status.message();
  const quorum::StateImage image = member.storage->capture_image(applied.processor, kWallMs);
  EXPECT_EQ(image.zxid, zxid_of(1, 20));
  Result<LoadedSnapshot> decoded = decode_image(*image.bytes, false);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ(decoded->digest, tree_digest(applied.processor.tree()));
  EXPECT_EQ(decoded->start_zxid, image.zxid);
  EXPECT_EQ(decoded->end_zxid, image.zxid);
}

TEST_F(StorageMemberTest, StandaloneStartStillReplaysTheWholeLog) {
  const std::vector<Txn> log = creates(1, 1, 6);
  {
    Member member(config_, /*as_member=*/false);
    ASSERT_TRUE(member.ok()) << member.status.message();
    member.append_durably(log);
  }
  write_snapshot({log.begin(), log.begin() + 3});
  Member member(config_, /*as_member=*/false);
  ASSERT_TRUE(member.ok()) << member.status.message();
  Applied all(log);
  EXPECT_EQ(tree_digest(member.processor.tree()), tree_digest(all.processor.tree()));
  EXPECT_EQ(member.storage->recovery().log_txns, 3u);
  EXPECT_EQ(member.storage->recovery().last_zxid, zxid_of(1, 6));
  EXPECT_EQ(member.storage->durable_zxid(), zxid_of(1, 6));
}

}  // namespace
}  // namespace rk
