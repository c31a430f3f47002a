// Chunk payloads: header, sessions, nodes, footer.
#include "snapshot/chunk_builder.h"

#include <algorithm>

#include "base/assert.h"
#include "engine/tree_digest.h"
#include "snapshot/format.h"

namespace rk {
namespace {

template <typename T>
flatbuffers::DetachedBuffer finish(flatbuffers::FlatBufferBuilder& b, uint32_t seq, snapfb::Body type,
                                   flatbuffers::Offset<T> body) {
  snapfb::FinishChunkBuffer(b, snapfb::CreateChunk(b, seq, type, body.Union()));
  RK_ASSERT(b.GetSize() <= kFramePayloadBytesMax);
  return b.Release();
}

}  // namespace

flatbuffers::DetachedBuffer build_header_chunk(uint32_t seq, Zxid start_zxid, int64_t time_ms) {
  flatbuffers::FlatBufferBuilder b(256);
  auto header = snapfb::CreateHeader(b, kSnapshotMagic, kSnapshotVersion, start_zxid, time_ms);
  return finish(b, seq, snapfb::Body::Header, header);
}

flatbuffers::DetachedBuffer build_sessions_chunk(uint32_t seq,
                                                 const std::vector<std::pair<SessionId, int32_t>>& sessions) {
  RK_ASSERT(sessions.size() <= kSessionsPerChunkMax);
  flatbuffers::FlatBufferBuilder b(64 + sessions.size() * sizeof(snapfb::Session));
  std::vector<snapfb::Session> items;
  items.reserve(sessions.size());
  for (const auto& [id, timeout_ms] : sessions) items.emplace_back(id, timeout_ms);
  auto body = snapfb::CreateSessions(b, b.CreateVectorOfStructs(items));
  return finish(b, seq, snapfb::Body::Sessions, body);
}

std::vector<flatbuffers::DetachedBuffer> build_sessions_chunks(
    uint32_t& next_seq, const std::vector<std::pair<SessionId, int32_t>>& sessions) {
  std::vector<flatbuffers::DetachedBuffer> chunks;
  for (size_t begin = 0; begin < sessions.size(); begin += kSessionsPerChunkMax) {
    const size_t end = std::min(sessions.size(), begin + kSessionsPerChunkMax);
    const std::vector<std::pair<SessionId, int32_t>> slice(sessions.begin() + begin, sessions.begin() + end);
    chunks.push_back(build_sessions_chunk(next_seq++, slice));
  }
  return chunks;
}

flatbuffers::DetachedBuffer build_footer_chunk(uint32_t seq, uint64_t node_count, Zxid start_zxid, Zxid end_zxid,
                                               uint64_t digest) {
  flatbuffers::FlatBufferBuilder b(256);
  auto footer = snapfb::CreateFooter(b, node_count, start_zxid, end_zxid, digest);
  return finish(b, seq, snapfb::Body::Footer, footer);
}

NodeChunkBuilder::NodeChunkBuilder(size_t chunk_bytes) : chunk_bytes_(chunk_bytes), builder_(chunk_bytes + 4096) {}

uint32_t NodeChunkBuilder::acl_index(const AclRef& acl) {
  if (acl.get() == last_acl_) return last_acl_index_;  // held by acl_refs_ until the seal
  auto [it, inserted] = acl_indexes_.try_emplace(acl.get(), static_cast<uint32_t>(acls_.size()));
  last_acl_ = acl.get();
  last_acl_index_ = it->second;
  if (!inserted) return it->second;
  std::vector<flatbuffers::Offset<snapfb::AclEntry>> entries;
  entries.reserve(acl->size());
  for (const Acl& a : *acl) {
    entries.push_back(snapfb::CreateAclEntry(builder_, a.perms, builder_.CreateString(a.id.scheme),
                                             builder_.CreateString(a.id.id)));
  }
  acls_.push_back(snapfb::CreateAcl(builder_, builder_.CreateVector(entries)));
  acl_refs_.push_back(acl);
  return it->second;
}

void NodeChunkBuilder::add(const Node& node) {
  add_fields(node.path(), node.data(), node.data_is_null(), node.acl(), node.stat, digester_.digest(node));
}

void NodeChunkBuilder::add(std::string_view path, const NodeRecord& record) {
  add_fields(path, record.data, record.data_is_null, record.acl, record.stat, digester_.digest(path, record));
}

void NodeChunkBuilder::add_fields(std::string_view path, std::string_view data, bool data_is_null, const AclRef& acl,
                                  const NodeStat& s, uint64_t digest) {
  RK_ASSERT(acl != nullptr);
  uint32_t acl_at = acl_index(acl);
  auto path_offset = builder_.CreateString(path.data(), path.size());
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> data_offset;
  if (!data.empty()) data_offset = builder_.CreateVector(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  snapfb::NodeStat stat(s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime, s.ephemeral_owner, s.version, s.cversion,
                        s.aversion);
  nodes_.push_back(snapfb::CreateNode(builder_, path_offset, data_offset, data_is_null, acl_at, &stat));
  digest_ += digest;
  ++node_count_;
}

flatbuffers::DetachedBuffer NodeChunkBuilder::seal(uint32_t seq) {
  auto body = snapfb::CreateNodes(builder_, builder_.CreateVector(acls_), builder_.CreateVector(nodes_));
  flatbuffers::DetachedBuffer out = finish(builder_, seq, snapfb::Body::Nodes, body);
  nodes_.clear();
  acls_.clear();
  acl_indexes_.clear();
  acl_refs_.clear();
  last_acl_ = nullptr;
  return out;
}

}  // namespace rk
