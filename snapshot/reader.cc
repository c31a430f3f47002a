// Reading snapshots (files, or bytes in memory): a decoding thread verifies and builds the nodes (snapshot/
// chunk_decoder.h), this one inserts them into a DataTree; and picking the newest good
// snapshot at start-up.
#include "snapshot/reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "engine/path.h"
#include "snapshot/chunk_decoder.h"
#include "snapshot/format.h"
#include "snapshot/snapshot_generated.h"

namespace rk {
namespace {

// Decoded chunks waiting for the inserting thread: enough to keep both threads busy when
// one briefly falls behind, a few MiB of decoded nodes at most.
constexpr size_t kDecodedChunksMax = 4;
// No node takes fewer bytes of file than this (its stat alone is 72): bounds the node count
// a footer may claim before it is checked, for reserving the tree.
constexpr uint64_t kNodeFileBytesMin = 64;

// Inserts decoded nodes, keeping the last node's ancestors at hand: in depth-first order a
// node's parent is one of them, so it is found without a hash lookup. Owned by the reading
// thread.
class NodeInserter {
 public:
  explicit NodeInserter(DataTree& tree) : tree_(tree) {}
  // An empty string when the node went in, else why it could not.
  std::string insert(DecodedNode& decoded);

 private:
  Node* known_parent(std::string_view parent);

  DataTree& tree_;
  // [0, depth_) in use; each an ancestor of the next. Restoring a node moves no other node,
  // so these stay valid through the load.
  std::vector<Node*> ancestors_;
  size_t depth_ = 0;
};

bool is_ancestor_or_self(std::string_view ancestor, std::string_view path) {
  if (!path.starts_with(ancestor)) return false;
  return path.size() == ancestor.size() || ancestor.size() == 1 || path[ancestor.size()] == '/';
}

Node* NodeInserter::known_parent(std::string_view parent) {
  while (depth_ > 0 && !is_ancestor_or_self(ancestors_[depth_ - 1]->path(), parent)) --depth_;
  if (depth_ == 0 || ancestors_[depth_ - 1]->path().size() != parent.size()) return nullptr;
  return ancestors_[depth_ - 1];
}

std::string NodeInserter::insert(DecodedNode& decoded) {
  Node* parent = decoded.path.size() > 1 ? known_parent(parent_path(decoded.path)) : nullptr;
  Err err = Err::kOk;
  Node* node = tree_.restore_node_under(parent, HashedPath{decoded.path, decoded.path_hash},
                                        std::move(decoded.record), err);
  switch (err) {
    case Err::kOk:
      if (depth_ == ancestors_.size()) ancestors_.emplace_back();
      ancestors_[depth_++] = node;
      return "";
    case Err::kNoNode: return "node " + decoded.path + " before its parent";
    case Err::kNodeExists: return "node " + decoded.path + " twice";
    default: return "node " + decoded.path + " not restorable";
  }
}

std::string frame_error(const std::string& path, uint64_t offset, const std::string& what) {
  if (offset == DecodedChunk::kWholeFile) return path + ": " + what;
  return path + ": frame at offset " + std::to_string(offset) + ": " + what;
}

// Takes decoded chunks in file order and inserts their nodes; once the end of the file is
// reached, `summary` is complete. An empty string on success.
std::string insert_chunks(DecodedChunkQueue& queue, const SnapshotSummary& summary, DataTree& tree,
                          const std::string& path) {
  NodeInserter inserter(tree);
  uint64_t footer_offset = 0;
  for (;;) {
    DecodedChunk chunk = queue.pop();
    // The table slots a load writes are random: ask for each some nodes ahead of its insert.
    constexpr size_t kPrefetchAhead = 8;
    for (size_t i = 0; i < chunk.nodes.size(); ++i) {
      if (i + kPrefetchAhead < chunk.nodes.size()) tree.prefetch(chunk.nodes[i + kPrefetchAhead].path_hash);
      std::string error = inserter.insert(chunk.nodes[i]);
      if (!error.empty()) return frame_error(path, chunk.offset, error);
    }
    if (!chunk.error.empty()) return frame_error(path, chunk.offset, chunk.error);
    if (chunk.last) break;
    footer_offset = chunk.offset;  // the frame before the end is the footer
  }
  if (tree.node_count() != summary.node_count) {
    return frame_error(path, footer_offset, "snapshot lacks some of the built-in nodes");
  }
  return "";
}

// The footer's node count, found by hopping over the frame headers to the last frame: room
// to reserve before the nodes arrive. Only a hint: when the frames or the footer do not read
// back, a guess from the file size; the full read that follows reports any defect.
uint64_t expected_node_count(const SnapshotSource& source) {
  const uint64_t size = source.size();
  const uint64_t guess = size / 100;  // about 100 bytes of file per node
  uint64_t offset = 0, last = 0;
  FrameHeader header;
  while (size - offset >= kFrameHeaderBytes) {
    uint8_t bytes[kFrameHeaderBytes];
    if (!source.read(bytes, kFrameHeaderBytes, offset)) return guess;
    header = decode_frame_header(bytes);
    if (header.length == 0 || header.length > size - offset - kFrameHeaderBytes) return guess;
    last = offset;
    offset += kFrameHeaderBytes + header.length;
  }
  if (offset != size || header.length > 4096) return guess;  // a footer is a few dozen bytes
  alignas(8) uint8_t payload[4096];
  if (!source.read(payload, header.length, last + kFrameHeaderBytes)) return guess;
  if (frame_checksum(payload, header.length) != header.checksum) return guess;
  flatbuffers::Verifier verifier(payload, header.length);
  if (!snapfb::VerifyChunkBuffer(verifier)) return guess;
  const snapfb::Footer* footer = snapfb::GetChunk(payload)->body_as_Footer();
  if (footer == nullptr) return guess;
  return std::min(footer->node_count(), size / kNodeFileBytesMin);
}

}  // namespace

Result<LoadedSnapshot> read_snapshot(const SnapshotSource& source, const std::string& name,
                                     bool extended_types_enabled) {
  DecodedChunkQueue queue(kDecodedChunksMax);
  SnapshotSummary summary;
  // The decoding thread verifies and builds nodes while this one only inserts them.
  std::thread decoder([&source, &queue, &summary] {
    pthread_setname_np(pthread_self(), "rk-snap-decode");
    decode_snapshot(source, queue, summary);
  });
  LoadedSnapshot out;
  out.path = name;
  out.tree = DataTree(extended_types_enabled);
  out.tree.reserve(static_cast<size_t>(expected_node_count(source)) + 16);
  std::string error = insert_chunks(queue, summary, out.tree, name);
  queue.close();
  decoder.join();
  if (!error.empty()) return Status::error(std::move(error));
  out.start_zxid = summary.start_zxid;
  out.end_zxid = summary.end_zxid;
  out.time_ms = summary.time_ms;
  out.node_count = summary.node_count;
  out.digest = summary.digest;
  out.sessions = std::move(summary.sessions);
  return out;
}

Result<LoadedSnapshot> read_snapshot(const std::string& path, bool extended_types_enabled) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::error(path + ": " + std::strerror(err));
  }
  Result<LoadedSnapshot> loaded =
      read_snapshot(SnapshotSource::file(fd, static_cast<uint64_t>(st.st_size)), path, extended_types_enabled);
  ::close(fd);
  return loaded;
}

std::vector<std::pair<Zxid, std::string>> list_snapshots(const std::string& dir) {
  std::vector<std::pair<Zxid, std::string>> found;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno != ENOENT) RK_WARN("cannot list snapshots in %s: %s", dir.c_str(), std::strerror(errno));
    return found;
  }
  while (const dirent* entry = ::readdir(d)) {
    if (auto zxid = parse_snapshot_file_name(entry->d_name)) found.emplace_back(*zxid, dir + "/" + entry->d_name);
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::optional<LoadedSnapshot>> load_newest_snapshot(const std::string& dir, bool extended_types_enabled) {
  std::vector<std::pair<Zxid, std::string>> snapshots = list_snapshots(dir);
  if (snapshots.empty()) return std::optional<LoadedSnapshot>();
  std::string newest_error;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    Result<LoadedSnapshot> loaded = read_snapshot(it->second, extended_types_enabled);
    if (loaded) return std::optional<LoadedSnapshot>(std::move(*loaded));
    RK_WARN("skipping snapshot: %s", loaded.status().message().c_str());
    if (newest_error.empty()) newest_error = loaded.status().message();
  }
  return Status::error("no readable snapshot among " + std::to_string(snapshots.size()) + " in " + dir +
                       "; the newest: " + newest_error);
}

}  // namespace rk
