// The decoding half of a snapshot load: frames read and verified, chunks checked for order,
// nodes built and digested, handed over in file order through a bounded queue.
#include "snapshot/chunk_decoder.h"

#include <algorithm>
#include <cerrno>
#include <memory>

#include "engine/path.h"
#include "engine/tree_digest.h"
#include "snapshot/acl_cache.h"
#include "snapshot/format.h"
#include "snapshot/snapshot_generated.h"

namespace rk {

bool DecodedChunkQueue::push(DecodedChunk chunk) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return closed_ || chunks_.size() < chunks_max_; });
  if (closed_) return false;
  chunks_.push_back(std::move(chunk));
  lock.unlock();
  changed_.notify_all();
  return true;
}

DecodedChunk DecodedChunkQueue::pop() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !chunks_.empty(); });
  DecodedChunk chunk = std::move(chunks_.front());
  chunks_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return chunk;
}

void DecodedChunkQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    chunks_.clear();
  }
  changed_.notify_all();
}

namespace {

// Checks chunk order and content and builds the nodes of each. Owned by the decoding thread.
class ChunkChecker {
 public:
  explicit ChunkChecker(SnapshotSummary& summary) : summary_(summary) {}

  // An empty string when the chunk is acceptable, else what is wrong with it. Nodes go to
  // `out`.
  std::string check(const snapfb::Chunk& chunk, std::vector<DecodedNode>& out);
  std::string finish() const;
  bool footer_checked() const { return footer_checked_; }

 private:
  std::string check_header(const snapfb::Header* header);
  std::string check_sessions(const snapfb::Sessions* sessions);
  std::string check_nodes(const snapfb::Nodes* nodes, std::vector<DecodedNode>& out);
  std::string check_node(const snapfb::Node* node, const std::vector<AclRef>& acls, DecodedNode& out);
  std::string check_footer(const snapfb::Footer* footer);

  SnapshotSummary& summary_;
  AclCache acl_cache_;
  uint32_t next_seq_ = 0;
  uint64_t node_count_ = 0;
  uint64_t digest_ = 0;
  NodeDigester digester_;
  bool footer_checked_ = false;
};

std::string ChunkChecker::check(const snapfb::Chunk& chunk, std::vector<DecodedNode>& out) {
  if (footer_checked_) return "data after the footer";
  if (chunk.seq() != next_seq_) {
    return "chunk sequence " + std::to_string(chunk.seq()) + ", expected " + std::to_string(next_seq_);
  }
  bool first = next_seq_++ == 0;
  if (first != (chunk.body_type() == snapfb::Body::Header)) return "the header is not the first chunk";
  switch (chunk.body_type()) {
    case snapfb::Body::Header: return check_header(chunk.body_as_Header());
    case snapfb::Body::Sessions: return check_sessions(chunk.body_as_Sessions());
    case snapfb::Body::Nodes: return check_nodes(chunk.body_as_Nodes(), out);
    case snapfb::Body::Footer: return check_footer(chunk.body_as_Footer());
    default: return "unknown chunk type " + std::to_string(static_cast<int>(chunk.body_type()));
  }
}

std::string ChunkChecker::finish() const {
  if (next_seq_ == 0) return "empty file";
  if (!footer_checked_) return "no footer: the snapshot is incomplete";
  return "";
}

std::string ChunkChecker::check_header(const snapfb::Header* header) {
  if (header->magic() != kSnapshotMagic) return "bad magic";
  if (header->version() != kSnapshotVersion) return "unsupported version " + std::to_string(header->version());
  summary_.start_zxid = header->start_zxid();
  summary_.time_ms = header->time_ms();
  return "";
}

std::string ChunkChecker::check_sessions(const snapfb::Sessions* sessions) {
  if (sessions->sessions() == nullptr) return "";
  for (const snapfb::Session* s : *sessions->sessions()) {
    if (s->timeout_ms() <= 0) return "session with timeout " + std::to_string(s->timeout_ms());
    summary_.sessions.emplace_back(s->id(), s->timeout_ms());
  }
  return "";
}

std::string ChunkChecker::check_nodes(const snapfb::Nodes* nodes, std::vector<DecodedNode>& out) {
  std::vector<AclRef> acls;
  if (nodes->acls() != nullptr) {
    acls.reserve(nodes->acls()->size());
    for (const snapfb::Acl* acl : *nodes->acls()) acls.push_back(acl_cache_.intern(acl));
  }
  if (nodes->nodes() == nullptr) return "";
  out.resize(nodes->nodes()->size());
  for (size_t i = 0; i < out.size(); ++i) {
    std::string error = check_node(nodes->nodes()->Get(static_cast<flatbuffers::uoffset_t>(i)), acls, out[i]);
    if (!error.empty()) {
      out.resize(i);  // the nodes before the bad one still go in, as checked so far
      return error;
    }
  }
  return "";
}

std::string ChunkChecker::check_node(const snapfb::Node* n, const std::vector<AclRef>& acls, DecodedNode& out) {
  if (n->path() == nullptr || n->stat() == nullptr) return "node without path or stat";
  std::string_view path = n->path()->string_view();
  if (!is_valid_path(path)) return "malformed node path";
  if (n->acl() >= acls.size()) return "node " + std::string(path) + ": ACL index out of range";
  out.path.assign(path);
  out.path_hash = path_hash(path);
  NodeRecord& record = out.record;
  if (n->data() != nullptr) record.data.assign(reinterpret_cast<const char*>(n->data()->data()), n->data()->size());
  record.data_is_null = n->data_is_null();
  record.acl = acls[n->acl()];
  const snapfb::NodeStat& s = *n->stat();
  record.stat = NodeStat{.czxid = s.czxid(),
                         .mzxid = s.mzxid(),
                         .pzxid = s.pzxid(),
                         .ctime = s.ctime(),
                         .mtime = s.mtime(),
                         .ephemeral_owner = s.ephemeral_owner(),
                         .version = s.version(),
                         .cversion = s.cversion(),
                         .aversion = s.aversion()};
  digest_ += digester_.digest(out.path, record);
  ++node_count_;
  return "";
}

std::string ChunkChecker::check_footer(const snapfb::Footer* f) {
  footer_checked_ = true;
  if (f->start_zxid() != summary_.start_zxid) return "footer start zxid differs from the header's";
  if (f->node_count() != node_count_) {
    return "footer says " + std::to_string(f->node_count()) + " nodes, read " + std::to_string(node_count_);
  }
  if (f->digest() != digest_) return "tree digest mismatch";
  summary_.end_zxid = f->end_zxid();
  summary_.node_count = node_count_;
  summary_.digest = digest_;
  return "";
}

// Reads and verifies the frame at `offset` into `payload` (grown as needed); its length in
// `length`. An empty string on success.
std::string read_frame(const SnapshotSource& source, uint64_t offset, std::unique_ptr<uint8_t[]>& payload,
                       size_t& capacity, uint32_t& length) {
  uint8_t header_bytes[kFrameHeaderBytes];
  const uint64_t size = source.size();
  if (size - offset < kFrameHeaderBytes) return "truncated frame header";
  if (!source.read(header_bytes, kFrameHeaderBytes, offset)) return "read failed";
  FrameHeader header = decode_frame_header(header_bytes);
  if (header.length == 0 || header.length > kFramePayloadBytesMax) {
    return "bad frame length " + std::to_string(header.length);
  }
  if (size - offset - kFrameHeaderBytes < header.length) return "runs past the end of the file";
  if (header.length > capacity) {
    capacity = std::max<size_t>(header.length, capacity * 2);
    payload.reset(new uint8_t[capacity]);  // new[] alignment suits flatbuffers
  }
  if (!source.read(payload.get(), header.length, offset + kFrameHeaderBytes)) return "read failed";
  if (frame_checksum(payload.get(), header.length) != header.checksum) return "checksum mismatch";
  flatbuffers::Verifier verifier(payload.get(), header.length, 64, header.length / 4 + 16);
  if (!snapfb::VerifyChunkBuffer(verifier)) return "malformed chunk";
  length = header.length;
  return "";
}

}  // namespace

void decode_snapshot(const SnapshotSource& source, DecodedChunkQueue& queue, SnapshotSummary& summary) {
  source.advise_sequential();
  ChunkChecker checker(summary);
  std::unique_ptr<uint8_t[]> payload;
  size_t capacity = 0;
  uint64_t offset = 0;
  while (offset < source.size()) {
    DecodedChunk chunk;
    chunk.offset = offset;
    uint32_t length = 0;
    chunk.error = read_frame(source, offset, payload, capacity, length);
    if (chunk.error.empty()) chunk.error = checker.check(*snapfb::GetChunk(payload.get()), chunk.nodes);
    chunk.last = !chunk.error.empty();
    const bool last = chunk.last;
    if (!queue.push(std::move(chunk)) || last) return;
    offset += kFrameHeaderBytes + length;
  }
  DecodedChunk end;
  end.offset = DecodedChunk::kWholeFile;
  end.error = checker.finish();
  end.last = true;
  queue.push(std::move(end));
}

}  // namespace rk
