// Images: the snapshot writer's chunks, framed back to back in memory; read back by the
// snapshot reader from a memory source.
#include "snapshot/image.h"

#include "snapshot/chunk_builder.h"
#include "snapshot/format.h"
#include "snapshot/tree_cursor.h"

namespace rk {
namespace {

// The payload size a nodes chunk is sealed at: as for snapshot files.
constexpr size_t kImageChunkBytes = 1 << 20;

void append_frame(std::string& out, const flatbuffers::DetachedBuffer& payload) {
  const auto length = static_cast<uint32_t>(payload.size());
  uint8_t header[kFrameHeaderBytes];
  encode_frame_header(payload.data(), length, header);
  out.append(reinterpret_cast<const char*>(header), sizeof header);
  out.append(reinterpret_cast<const char*>(payload.data()), length);
}

}  // namespace

std::string encode_image(const DataTree& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions,
                         Zxid zxid, int64_t now_wall_ms) {
  std::string out;
  uint32_t seq = 0;
  append_frame(out, build_header_chunk(seq++, zxid, now_wall_ms));
  for (const flatbuffers::DetachedBuffer& chunk : build_sessions_chunks(seq, sessions)) append_frame(out, chunk);
  NodeChunkBuilder chunk(kImageChunkBytes);
  TreeCursor cursor;
  const Node* node = nullptr;
  while (cursor.next(tree, node)) {
    chunk.add(*node);
    if (chunk.full()) append_frame(out, chunk.seal(seq++));
  }
  if (!chunk.empty()) append_frame(out, chunk.seal(seq++));
  append_frame(out, build_footer_chunk(seq++, chunk.node_count(), zxid, zxid, chunk.digest()));
  return out;
}

Result<LoadedSnapshot> decode_image(std::string_view bytes, bool extended_types_enabled) {
  return read_snapshot(SnapshotSource::memory(bytes), "snapshot image", extended_types_enabled);
}

}  // namespace rk
