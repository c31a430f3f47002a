// Reading snapshot files: frames, chunk order, nodes into a DataTree, footer checks; and
// picking the newest good snapshot at start-up.
#include "snapshot/reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/log.h"
#include "snapshot/acl_cache.h"
#include "snapshot/format.h"
#include "snapshot/snapshot_generated.h"
#include "engine/path.h"
#include "engine/tree_digest.h"

namespace rk {
namespace {

// Turns verified chunks into a LoadedSnapshot. One per file read.
class ChunkLoader {
 public:
  explicit ChunkLoader(LoadedSnapshot& out) : out_(out) {}

  // An empty string when the chunk is acceptable, else what is wrong with it.
  std::string load(const snapfb::Chunk& chunk);
  std::string finish() const;

 private:
  std::string load_header(const snapfb::Header* header);
  std::string load_sessions(const snapfb::Sessions* sessions);
  std::string load_nodes(const snapfb::Nodes* nodes);
  std::string load_node(const snapfb::Node* node, const std::vector<AclRef>& acls);

  LoadedSnapshot& out_;
  AclCache acl_cache_;
  uint32_t next_seq_ = 0;
  uint64_t node_count_ = 0;
  uint64_t digest_ = 0;
  bool footer_checked_ = false;
};

std::string ChunkLoader::load(const snapfb::Chunk& chunk) {
  if (footer_checked_) return "data after the footer";
  if (chunk.seq() != next_seq_) {
    return "chunk sequence " + std::to_string(chunk.seq()) + ", expected " + std::to_string(next_seq_);
  }
  bool first = next_seq_++ == 0;
  if (first != (chunk.body_type() == snapfb::Body::Header)) return "the header is not the first chunk";
  switch (chunk.body_type()) {
    case snapfb::Body::Header: return load_header(chunk.body_as_Header());
    case snapfb::Body::Sessions: return load_sessions(chunk.body_as_Sessions());
    case snapfb::Body::Nodes: return load_nodes(chunk.body_as_Nodes());
    case snapfb::Body::Footer: {
      const snapfb::Footer* f = chunk.body_as_Footer();
      footer_checked_ = true;
      if (f->start_zxid() != out_.start_zxid) return "footer start zxid differs from the header's";
      if (f->node_count() != node_count_) {
        return "footer says " + std::to_string(f->node_count()) + " nodes, read " + std::to_string(node_count_);
      }
      if (f->digest() != digest_) return "tree digest mismatch";
      if (out_.tree.node_count() != node_count_) return "snapshot lacks some of the built-in nodes";
      out_.end_zxid = f->end_zxid();
      out_.node_count = node_count_;
      out_.digest = digest_;
      return "";
    }
    default: return "unknown chunk type " + std::to_string(static_cast<int>(chunk.body_type()));
  }
}

std::string ChunkLoader::finish() const {
  if (next_seq_ == 0) return "empty file";
  if (!footer_checked_) return "no footer: the snapshot is incomplete";
  return "";
}

std::string ChunkLoader::load_header(const snapfb::Header* header) {
  if (header->magic() != kSnapshotMagic) return "bad magic";
  if (header->version() != kSnapshotVersion) return "unsupported version " + std::to_string(header->version());
  out_.start_zxid = header->start_zxid();
  out_.time_ms = header->time_ms();
  return "";
}

std::string ChunkLoader::load_sessions(const snapfb::Sessions* sessions) {
  if (sessions->sessions() == nullptr) return "";
  for (const snapfb::Session* s : *sessions->sessions()) {
    if (s->timeout_ms() <= 0) return "session with timeout " + std::to_string(s->timeout_ms());
    out_.sessions.emplace_back(s->id(), s->timeout_ms());
  }
  return "";
}

std::string ChunkLoader::load_nodes(const snapfb::Nodes* nodes) {
  std::vector<AclRef> acls;
  if (nodes->acls() != nullptr) {
    acls.reserve(nodes->acls()->size());
    for (const snapfb::Acl* acl : *nodes->acls()) acls.push_back(acl_cache_.intern(acl));
  }
  if (nodes->nodes() == nullptr) return "";
  for (const snapfb::Node* node : *nodes->nodes()) {
    std::string error = load_node(node, acls);
    if (!error.empty()) return error;
  }
  return "";
}

std::string ChunkLoader::load_node(const snapfb::Node* n, const std::vector<AclRef>& acls) {
  if (n->path() == nullptr || n->stat() == nullptr) return "node without path or stat";
  std::string path = n->path()->str();
  if (!is_valid_path(path)) return "malformed node path";
  if (n->acl() >= acls.size()) return "node " + path + ": ACL index out of range";
  Node node;
  if (n->data() != nullptr) node.data.assign(reinterpret_cast<const char*>(n->data()->data()), n->data()->size());
  node.data_is_null = n->data_is_null();
  node.acl = acls[n->acl()];
  const snapfb::NodeStat& s = *n->stat();
  node.stat = NodeStat{s.czxid(), s.mzxid(),   s.pzxid(),   s.ctime(),          s.mtime(),
                       s.version(), s.cversion(), s.aversion(), s.ephemeral_owner()};
  digest_ += node_digest(path, node);
  ++node_count_;
  switch (out_.tree.restore_node(std::move(path), std::move(node))) {
    case Err::kOk: return "";
    case Err::kNoNode: return "node " + n->path()->str() + " before its parent";
    case Err::kNodeExists: return "node " + n->path()->str() + " twice";
    default: return "node " + n->path()->str() + " not restorable";
  }
}

std::string frame_error(const std::string& path, uint64_t offset, const std::string& what) {
  return path + ": frame at offset " + std::to_string(offset) + ": " + what;
}

bool read_exact(int fd, void* buf, size_t n, uint64_t offset) {
  auto* at = static_cast<uint8_t*>(buf);
  while (n > 0) {
    ssize_t got = ::pread(fd, at, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    at += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

// Reads the frames of an open file through `loader`. An empty string on success.
std::string read_frames(int fd, uint64_t size, const std::string& path, ChunkLoader& loader) {
  std::unique_ptr<uint8_t[]> payload;
  size_t capacity = 0;
  uint64_t offset = 0;
  while (offset < size) {
    uint8_t header_bytes[kFrameHeaderBytes];
    if (size - offset < kFrameHeaderBytes) return frame_error(path, offset, "truncated frame header");
    if (!read_exact(fd, header_bytes, kFrameHeaderBytes, offset)) return frame_error(path, offset, "read failed");
    FrameHeader header = decode_frame_header(header_bytes);
    if (header.length == 0 || header.length > kFramePayloadBytesMax) {
      return frame_error(path, offset, "bad frame length " + std::to_string(header.length));
    }
    if (size - offset - kFrameHeaderBytes < header.length) {
      return frame_error(path, offset, "runs past the end of the file");
    }
    if (header.length > capacity) {
      capacity = std::max<size_t>(header.length, capacity * 2);
      payload.reset(new uint8_t[capacity]);  // new[] alignment suits flatbuffers
    }
    if (!read_exact(fd, payload.get(), header.length, offset + kFrameHeaderBytes)) {
      return frame_error(path, offset, "read failed");
    }
    if (frame_checksum(payload.get(), header.length) != header.checksum) {
      return frame_error(path, offset, "checksum mismatch");
    }
    flatbuffers::Verifier verifier(payload.get(), header.length, 64, header.length / 4 + 16);
    if (!snapfb::VerifyChunkBuffer(verifier)) return frame_error(path, offset, "malformed chunk");
    std::string error = loader.load(*snapfb::GetChunk(payload.get()));
    if (!error.empty()) return frame_error(path, offset, error);
    offset += kFrameHeaderBytes + header.length;
  }
  std::string error = loader.finish();
  return error.empty() ? "" : path + ": " + error;
}

}  // namespace

Result<LoadedSnapshot> read_snapshot(const std::string& path, bool extended_types_enabled) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::error(path + ": " + std::strerror(err));
  }
  LoadedSnapshot out;
  out.path = path;
  out.tree = DataTree(extended_types_enabled);
  // About 100 bytes of file per node: room enough that a large load does not rehash often.
  out.tree.reserve(static_cast<size_t>(st.st_size) / 100 + 16);
  ChunkLoader loader(out);
  std::string error = read_frames(fd, static_cast<uint64_t>(st.st_size), path, loader);
  ::close(fd);
  if (!error.empty()) return Status::error(std::move(error));
  return out;
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
