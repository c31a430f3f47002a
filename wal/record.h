// Record framing of the txn log (wal/FORMAT.md): a checksummed, length-prefixed, 8-byte
// aligned frame around the encode_txn bytes of one txn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/txn.h"

namespace rk {

inline constexpr size_t kFrameHeaderBytes = 16;  // checksum u64 | length u32 | reserved u32
inline constexpr size_t kFrameAlignBytes = 8;
inline constexpr uint32_t kPayloadBytesMin = 32;           // a txn header
inline constexpr uint32_t kPayloadBytesMax = 256u << 20;  // far above any real txn

constexpr size_t frame_bytes(size_t payload_bytes) {
  return (kFrameHeaderBytes + payload_bytes + kFrameAlignBytes - 1) & ~(kFrameAlignBytes - 1);
}

// Appends txn as one frame whose checksum is not set yet: which segment the frame lands in
// (its seed) is known only when the batch is written.
void append_unsealed_frame(const Txn& txn, std::string& out);

// Sets the checksum of every frame in `frames` (whole frames as append_unsealed_frame made
// them, back to back) for the segment with this identity.
void seal_frames(std::span<char> frames, Zxid segment_zxid);

// One frame, sealed: what a writer would put at some offset of segment `segment_zxid`.
std::string make_frame(const Txn& txn, Zxid segment_zxid);

// What is at one offset of a segment image.
struct FrameRead {
  enum class Kind {
    kRecord,  // a valid record: payload and next_offset are set
    kEnd,     // length 0 (or the end of the image): no record here
    kBad,     // torn, corrupt or stale; reason says which
  };
  Kind kind = Kind::kEnd;
  std::string_view payload;
  size_t next_offset = 0;
  const char* reason = "";
};

// Checks the frame at `offset` of `image` (the segment's bytes) against its checksum.
FrameRead read_frame(std::string_view image, size_t offset, Zxid segment_zxid);

}  // namespace rk
