// Images: a tree serialized in memory comes back whole through decode_image, the bytes are a
// snapshot file read_snapshot accepts, and damaged bytes are refused.
#include "snapshot/image.h"

#include "snapshot/format.h"
#include "snapshot_test_util.h"
#include "tests/engine/engine_harness.h"

namespace rk {
namespace {

using namespace rk::testing;

constexpr int64_t kWallMs = 1'700'000'000'123;

std::vector<std::pair<SessionId, int32_t>> session_list(const SessionTable& table) {
  std::vector<std::pair<SessionId, int32_t>> out;
  for (const Session& s : table.all()) out.emplace_back(s.id, s.timeout_ms);
  return out;
}

// Every node kind, and enough data to need several nodes chunks.
void populate(EngineHarness& h, Client& a, Client& b) {
  populate_every_kind(h, a, b);
  ASSERT_EQ(h.call(a, op_create("/big")).err, Err::kOk);
  for (int i = 0; i < 1500; ++i) {  // about 3 MiB of data: several 1 MiB chunks
    ASSERT_EQ(h.call(a, op_create("/big/n" + std::to_string(i), std::string(2000, 'a' + i % 26))).err, Err::kOk);
  }
}

TEST(SnapshotImage, RoundTripsTreeSessionsAndZxid) {
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect(8000);
  populate(h, a, b);
  const Zxid zxid = h.proc().last_processed_zxid();
  const std::string bytes = encode_image(h.tree(), session_list(h.proc().sessions()), zxid, kWallMs);
  ASSERT_GT(bytes.size(), 3u << 20);

  Result<LoadedSnapshot> image = decode_image(bytes, true);
  ASSERT_TRUE(image.is_ok()) << image.status().message();
  EXPECT_EQ(shape(image->tree), shape(h.tree()));
  EXPECT_EQ(image->digest, tree_digest(h.tree()));
  EXPECT_EQ(image->node_count, h.tree().node_count());
  EXPECT_EQ(image->start_zxid, zxid);
  EXPECT_EQ(image->end_zxid, zxid);  // not fuzzy
  EXPECT_EQ(image->time_ms, kWallMs);
  EXPECT_EQ(image->sessions, session_list(h.proc().sessions()));
  EXPECT_EQ(image->tree.find("/acl")->acl()->size(), 2u);
}

TEST(SnapshotImage, BytesWrittenAsASnapshotFileAreASnapshot) {
  EngineHarness h(extended_types());
  Client a = h.connect();
  Client b = h.connect(8000);
  populate(h, a, b);
  const Zxid zxid = h.proc().last_processed_zxid();
  TempDir dir;
  const std::string path = dir.path() + "/" + snapshot_file_name(zxid);
  write_file(path, encode_image(h.tree(), session_list(h.proc().sessions()), zxid, kWallMs));

  Result<LoadedSnapshot> file = read_snapshot(path, true);
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_EQ(shape(file->tree), shape(h.tree()));
  EXPECT_EQ(file->start_zxid, zxid);
  Result<std::optional<LoadedSnapshot>> newest = load_newest_snapshot(dir.path(), true);
  ASSERT_TRUE(newest.is_ok()) << newest.status().message();
  ASSERT_TRUE(newest->has_value());
  EXPECT_EQ((*newest)->path, path);
  EXPECT_EQ((*newest)->digest, tree_digest(h.tree()));
}

TEST(SnapshotImage, FreshTreeAndSessionsBeyondOneChunk) {
  DataTree tree;
  std::vector<std::pair<SessionId, int32_t>> sessions;
  for (SessionId id = 1; id <= static_cast<SessionId>(kSessionsPerChunkMax) + 10; ++id) {
    sessions.emplace_back(id, 4000);
  }
  Result<LoadedSnapshot> image = decode_image(encode_image(tree, sessions, 0, kWallMs), false);
  ASSERT_TRUE(image.is_ok()) << image.status().message();
  EXPECT_EQ(shape(image->tree), shape(tree));
  EXPECT_EQ(image->sessions, sessions);
  EXPECT_EQ(image->start_zxid, 0);

  Result<LoadedSnapshot> none = decode_image(encode_image(tree, {}, 0x500000003, kWallMs), false);
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_TRUE(none->sessions.empty());
  EXPECT_EQ(none->end_zxid, 0x500000003);
}

TEST(SnapshotImage, DamagedBytesAreRefused) {
  EngineHarness h;
  Client a = h.connect();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(h.call(a, op_create("/n" + std::to_string(i), "v")).err, Err::kOk);
  const std::string good = encode_image(h.tree(), session_list(h.proc().sessions()), 0x7, kWallMs);
  ASSERT_TRUE(decode_image(good, false).is_ok());

  for (size_t offset = 0; offset < good.size(); offset += 1 + offset / 8) {
    std::string flipped = good;
    flipped[offset] = static_cast<char>(flipped[offset] ^ (1 << (offset % 8)));
    Result<LoadedSnapshot> image = decode_image(flipped, false);
    ASSERT_FALSE(image.is_ok()) << "flip at " << offset;
    EXPECT_NE(image.status().message().find("snapshot image"), std::string::npos) << image.status().message();
  }
  for (size_t size = 0; size < good.size(); size += 1 + size / 8) {
    EXPECT_FALSE(decode_image(std::string_view(good).substr(0, size), false).is_ok()) << "cut at " << size;
  }
  EXPECT_FALSE(decode_image(good + "x", false).is_ok());
  EXPECT_FALSE(decode_image(good + good, false).is_ok());
}

}  // namespace
}  // namespace rk
