// Damaged snapshots: flipped bytes, truncation anywhere, a missing footer, hand-made frames
// with good checksums and bad content, leftover temp files. Reading reports the file and
// offset and never crashes; start-up falls back to the previous good snapshot.
#include <sys/stat.h>

#include "snapshot/chunk_builder.h"
#include "snapshot/format.h"
#include "snapshot_test_util.h"

namespace rk {
namespace {

using namespace rk::testing;

DataTree sample_tree(int nodes, const std::string& data) {
  DataTree t;
  Zxid zxid = 1;
  EXPECT_EQ(t.create_node("/app", "", false, open_acl_unsafe(), 0, -1, zxid++, 10, nullptr, nullptr), Err::kOk);
  for (int i = 0; i < nodes; ++i) {
    std::string path = "/app/n" + std::to_string(i);
    EXPECT_EQ(t.create_node(path, data, false, open_acl_unsafe(), 0, -1, zxid++, 10, nullptr, nullptr), Err::kOk);
  }
  return t;
}

class DamagedSnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionTable sessions(1, 2000, 0);
    sessions.add(0x1000, 6000, 0);
    old_path_ = write_snapshot(dir_.path(), old_tree_, sessions, 0x10, 512);
    new_path_ = write_snapshot(dir_.path(), new_tree_, sessions, 0x20, 512);
    good_ = read_file(new_path_);
    ASSERT_GT(good_.size(), 2000u);
  }

  // The newest snapshot replaced by `bytes`: reading it fails naming the file, and start-up
  // loads the older one.
  void expect_skipped(const std::string& bytes, const std::string& what) {
    write_file(new_path_, bytes);
    Result<LoadedSnapshot> direct = read_snapshot(new_path_);
    ASSERT_FALSE(direct.is_ok()) << what;
    EXPECT_NE(direct.status().message().find(new_path_), std::string::npos) << direct.status().message();
    Result<std::optional<LoadedSnapshot>> newest = load_newest_snapshot(dir_.path());
    ASSERT_TRUE(newest.is_ok()) << what;
    ASSERT_TRUE(newest->has_value()) << what;
    EXPECT_EQ((*newest)->start_zxid, 0x10) << what;
    EXPECT_EQ((*newest)->digest, tree_digest(old_tree_)) << what;
  }

  TempDir dir_;
  DataTree old_tree_ = sample_tree(20, "old");
  DataTree new_tree_ = sample_tree(60, "newer data");
  std::string old_path_, new_path_, good_;
};

TEST_F(DamagedSnapshot, NewestGoodSnapshotIsLoaded) {
  Result<std::optional<LoadedSnapshot>> newest = load_newest_snapshot(dir_.path());
  ASSERT_TRUE(newest.is_ok());
  ASSERT_TRUE(newest->has_value());
  EXPECT_EQ((*newest)->start_zxid, 0x20);
  EXPECT_EQ((*newest)->path, new_path_);
  EXPECT_EQ(shape((*newest)->tree), shape(new_tree_));
  auto listed = list_snapshots(dir_.path());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], std::make_pair(Zxid{0x10}, old_path_));
  EXPECT_EQ(listed[1], std::make_pair(Zxid{0x20}, new_path_));
}

TEST_F(DamagedSnapshot, AnyFlippedByteIsDetected) {
  for (size_t offset = 0; offset < good_.size(); offset += 1 + offset / 16) {
    std::string bytes = good_;
    bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << (offset % 8)));
    expect_skipped(bytes, "flip at " + std::to_string(offset));
    if (HasFatalFailure()) return;
  }
}

TEST_F(DamagedSnapshot, AnyTruncationIsDetected) {
  for (size_t size = 0; size < good_.size(); size += 1 + size / 16) {
    expect_skipped(good_.substr(0, size), "cut at " + std::to_string(size));
    if (HasFatalFailure()) return;
  }
  expect_skipped(good_ + std::string(1, '\0'), "one byte appended");
  expect_skipped(good_ + good_, "file twice");
}

TEST_F(DamagedSnapshot, MissingFooterIsIncomplete) {
  // The footer is the last frame: find where it starts by walking the frames.
  size_t offset = 0, last = 0;
  while (offset < good_.size()) {
    last = offset;
    offset += kFrameHeaderBytes + decode_frame_header(reinterpret_cast<const uint8_t*>(good_.data() + offset)).length;
  }
  write_file(new_path_, good_.substr(0, last));
  Result<LoadedSnapshot> r = read_snapshot(new_path_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("no footer"), std::string::npos) << r.status().message();
  expect_skipped(good_.substr(0, last), "no footer");
}

TEST_F(DamagedSnapshot, TempFilesAreNeverLoaded) {
  write_file(dir_.path() + "/snapshot.30.tmp", good_);
  write_file(dir_.path() + "/snapshot.040", good_);  // not a canonical name
  Result<std::optional<LoadedSnapshot>> newest = load_newest_snapshot(dir_.path());
  ASSERT_TRUE(newest.is_ok() && newest->has_value());
  EXPECT_EQ((*newest)->start_zxid, 0x20);
  EXPECT_EQ(list_snapshots(dir_.path()).size(), 2u);
}

TEST_F(DamagedSnapshot, NoGoodSnapshotIsAnErrorNoSnapshotIsNone) {
  write_file(old_path_, "garbage");
  write_file(new_path_, "");
  Result<std::optional<LoadedSnapshot>> r = load_newest_snapshot(dir_.path());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find(new_path_), std::string::npos) << r.status().message();
  TempDir empty;
  Result<std::optional<LoadedSnapshot>> none = load_newest_snapshot(empty.path());
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  Result<std::optional<LoadedSnapshot>> missing = load_newest_snapshot(empty.path() + "/nope");
  ASSERT_TRUE(missing.is_ok());
  EXPECT_FALSE(missing->has_value());
}

// Frames with valid checksums around chunks that are wrong in content.
class HandMade : public ::testing::Test {
 protected:
  void add(const flatbuffers::DetachedBuffer& payload) {
    uint8_t header[kFrameHeaderBytes];
    encode_frame_header(payload.data(), static_cast<uint32_t>(payload.size()), header);
    bytes_.append(reinterpret_cast<const char*>(header), sizeof(header));
    bytes_.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
  void add_raw(const std::string& payload) {
    uint8_t header[kFrameHeaderBytes];
    encode_frame_header(payload.data(), static_cast<uint32_t>(payload.size()), header);
    bytes_.append(reinterpret_cast<const char*>(header), sizeof(header));
    bytes_ += payload;
  }
  flatbuffers::DetachedBuffer nodes_chunk(uint32_t seq, const std::vector<std::pair<std::string, NodeRecord>>& nodes) {
    NodeChunkBuilder b(1 << 20);
    for (const auto& [path, node] : nodes) b.add(path, node);
    return b.seal(seq);
  }
  static NodeRecord plain() {
    NodeRecord n;
    n.acl = open_acl_unsafe();
    return n;
  }
  // Built-in nodes of a fresh tree, as a writer would emit them.
  std::vector<std::pair<std::string, NodeRecord>> builtins() {
    std::vector<std::pair<std::string, NodeRecord>> out;
    DataTree fresh;
    for (const char* p : {"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}) out.emplace_back(p, fresh.find(p)->record());
    return out;
  }
  uint64_t digest_of(const std::vector<std::pair<std::string, NodeRecord>>& nodes) {
    uint64_t d = 0;
    for (const auto& [path, node] : nodes) d += node_digest(path, node);
    return d;
  }
  std::string read_error() {
    std::string path = dir_.path() + "/snapshot.5";
    write_file(path, bytes_);
    Result<LoadedSnapshot> r = read_snapshot(path);
    return r.is_ok() ? "" : r.status().message();
  }

  TempDir dir_;
  std::string bytes_;
};

TEST_F(HandMade, WellFormedFileLoads) {
  auto nodes = builtins();
  nodes.emplace_back("/a", plain());
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  add(build_footer_chunk(2, nodes.size(), 5, 6, digest_of(nodes)));
  EXPECT_EQ(read_error(), "");
}

TEST_F(HandMade, ChildBeforeParent) {
  auto nodes = builtins();
  nodes.emplace_back("/a/b", plain());
  nodes.emplace_back("/a", plain());
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  add(build_footer_chunk(2, nodes.size(), 5, 6, digest_of(nodes)));
  EXPECT_NE(read_error().find("before its parent"), std::string::npos);
}

TEST_F(HandMade, DuplicateNode) {
  auto nodes = builtins();
  nodes.emplace_back("/a", plain());
  nodes.emplace_back("/a", plain());
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  EXPECT_NE(read_error().find("twice"), std::string::npos);
}

TEST_F(HandMade, MalformedPath) {
  auto nodes = builtins();
  nodes.emplace_back("/a/", plain());
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  EXPECT_NE(read_error().find("malformed node path"), std::string::npos);
}

TEST_F(HandMade, DigestAndCountMismatch) {
  auto nodes = builtins();
  nodes.emplace_back("/a", plain());
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  std::string prefix = bytes_;
  add(build_footer_chunk(2, nodes.size(), 5, 6, digest_of(nodes) + 1));
  EXPECT_NE(read_error().find("digest mismatch"), std::string::npos);
  bytes_ = prefix;
  add(build_footer_chunk(2, nodes.size() + 1, 5, 6, digest_of(nodes)));
  EXPECT_NE(read_error().find("footer says"), std::string::npos);
}

TEST_F(HandMade, MissingBuiltInNode) {
  auto nodes = builtins();
  nodes.pop_back();  // no /zookeeper/quota
  add(build_header_chunk(0, 5, 1));
  add(nodes_chunk(1, nodes));
  add(build_footer_chunk(2, nodes.size(), 5, 6, digest_of(nodes)));
  EXPECT_NE(read_error().find("built-in"), std::string::npos);
}

TEST_F(HandMade, SequenceOrderAndGarbage) {
  add(build_footer_chunk(0, 0, 5, 5, 0));
  EXPECT_NE(read_error().find("header is not the first"), std::string::npos);
  bytes_.clear();
  add(build_header_chunk(0, 5, 1));
  add(build_header_chunk(2, 5, 1));
  EXPECT_NE(read_error().find("chunk sequence 2, expected 1"), std::string::npos);
  bytes_.clear();
  add(build_header_chunk(0, 5, 1));
  add_raw("definitely not a flatbuffer, but checksummed");
  std::string error = read_error();
  EXPECT_NE(error.find("malformed chunk"), std::string::npos) << error;
  EXPECT_NE(error.find("offset "), std::string::npos) << error;
  bytes_.clear();
  add(build_header_chunk(0, 5, 1));
  add(build_footer_chunk(1, 4, 6, 6, 0));
  EXPECT_NE(read_error().find("start zxid"), std::string::npos);
}

TEST_F(HandMade, AclIndexOutOfRange) {
  flatbuffers::FlatBufferBuilder b;
  snapfb::NodeStat stat{};
  auto node = snapfb::CreateNode(b, b.CreateString("/"), 0, false, 3, &stat);
  auto nodes = snapfb::CreateNodes(b, 0, b.CreateVector(std::vector<flatbuffers::Offset<snapfb::Node>>{node}));
  snapfb::FinishChunkBuffer(b, snapfb::CreateChunk(b, 1, snapfb::Body::Nodes, nodes.Union()));
  add(build_header_chunk(0, 5, 1));
  add(b.Release());
  EXPECT_NE(read_error().find("ACL index out of range"), std::string::npos);
}

}  // namespace
}  // namespace rk
