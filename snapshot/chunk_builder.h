// Building the flatbuffer payloads of snapshot chunks (snapshot/FORMAT.md).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/data_tree.h"
#include "snapshot/snapshot_generated.h"

namespace rk {

flatbuffers::DetachedBuffer build_header_chunk(uint32_t seq, Zxid start_zxid, int64_t time_ms);
flatbuffers::DetachedBuffer build_sessions_chunk(uint32_t seq,
                                                 const std::vector<std::pair<SessionId, int32_t>>& sessions);
flatbuffers::DetachedBuffer build_footer_chunk(uint32_t seq, uint64_t node_count, Zxid start_zxid, Zxid end_zxid,
                                               uint64_t digest);

// Accumulates nodes into one Nodes chunk until it reaches its target size. Owned by
// SnapshotWriter on the engine thread.
class NodeChunkBuilder {
 public:
  explicit NodeChunkBuilder(size_t chunk_bytes);

  void add(std::string_view path, const Node& node);
  bool full() const { return builder_.GetSize() >= chunk_bytes_; }
  bool empty() const { return nodes_.empty(); }
  // The finished chunk; the builder starts the next one.
  flatbuffers::DetachedBuffer seal(uint32_t seq);

 private:
  uint32_t acl_index(const AclRef& acl);

  size_t chunk_bytes_;
  flatbuffers::FlatBufferBuilder builder_;
  std::vector<flatbuffers::Offset<snapfb::Node>> nodes_;
  std::vector<flatbuffers::Offset<snapfb::Acl>> acls_;
  // ACLs already in this chunk, by address. The refs keep each list alive until the chunk
  // is sealed, so a freed list's address cannot be reused by a different ACL meanwhile.
  std::unordered_map<const AclList*, uint32_t> acl_indexes_;
  std::vector<AclRef> acl_refs_;
};

}  // namespace rk
