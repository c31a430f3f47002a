// Building the flatbuffer payloads of snapshot chunks (snapshot/FORMAT.md).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/data_tree.h"
#include "engine/tree_digest.h"
#include "snapshot/snapshot_generated.h"

namespace rk {

flatbuffers::DetachedBuffer build_header_chunk(uint32_t seq, Zxid start_zxid, int64_t time_ms);
flatbuffers::DetachedBuffer build_sessions_chunk(uint32_t seq,
                                                 const std::vector<std::pair<SessionId, int32_t>>& sessions);
// Every session, in as many chunks as kSessionsPerChunkMax calls for (none when there is no
// session), numbered from `next_seq` on; `next_seq` advances past them.
std::vector<flatbuffers::DetachedBuffer> build_sessions_chunks(
    uint32_t& next_seq, const std::vector<std::pair<SessionId, int32_t>>& sessions);
flatbuffers::DetachedBuffer build_footer_chunk(uint32_t seq, uint64_t node_count, Zxid start_zxid, Zxid end_zxid,
                                               uint64_t digest);

// Accumulates nodes into one Nodes chunk until it reaches its target size, and counts and
// digests every node added across chunks, for the footer. Owned by whoever serializes a tree
// (SnapshotWriter on the engine thread, encode_image).
class NodeChunkBuilder {
 public:
  explicit NodeChunkBuilder(size_t chunk_bytes);

  void add(const Node& node);
  // A node given as a record: what a test crafting snapshots adds.
  void add(std::string_view path, const NodeRecord& record);
  bool full() const { return builder_.GetSize() >= chunk_bytes_; }
  bool empty() const { return nodes_.empty(); }
  // The finished chunk; the builder starts the next one.
  flatbuffers::DetachedBuffer seal(uint32_t seq);

  // Over every node added so far, in whichever chunk: the footer's node count and digest.
  uint64_t node_count() const { return node_count_; }
  uint64_t digest() const { return digest_; }

 private:
  uint32_t acl_index(const AclRef& acl);
  void add_fields(std::string_view path, std::string_view data, bool data_is_null, const AclRef& acl,
                  const NodeStat& s, uint64_t digest);

  size_t chunk_bytes_;
  uint64_t node_count_ = 0;
  uint64_t digest_ = 0;  // tree_digest of the nodes added
  flatbuffers::FlatBufferBuilder builder_;
  std::vector<flatbuffers::Offset<snapfb::Node>> nodes_;
  std::vector<flatbuffers::Offset<snapfb::Acl>> acls_;
  // ACLs already in this chunk, by address. The refs keep each list alive until the chunk
  // is sealed, so a freed list's address cannot be reused by a different ACL meanwhile.
  std::unordered_map<const AclList*, uint32_t> acl_indexes_;
  const AclList* last_acl_ = nullptr;  // the last ACL indexed in this chunk, and its index
  uint32_t last_acl_index_ = 0;
  NodeDigester digester_;
  std::vector<AclRef> acl_refs_;
};

}  // namespace rk
