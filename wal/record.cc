// Frame encode, seal and check. The checksum is xxHash3 (64-bit) seeded with the segment's
// identity, over length, reserved and payload (wal/FORMAT.md).
#include "wal/record.h"

#include <endian.h>
#include <xxhash.h>
#if defined(__x86_64__)
// XXH3 through libxxhash's run-time dispatch: the AVX2 (or AVX-512) kernel where the CPU has
// it, SSE2 otherwise. Every kernel computes the same XXH3 value, so the format is unchanged.
#include <xxh_x86dispatch.h>
#endif

#include <cstring>

#include "base/assert.h"
#include "engine/txn_codec.h"

namespace rk {
namespace {

constexpr size_t kChecksumBytes = 8;

uint64_t load_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return le64toh(v);
}

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return le32toh(v);
}

void store_u64(char* p, uint64_t v) {
  v = htole64(v);
  std::memcpy(p, &v, sizeof v);
}

void store_u32(char* p, uint32_t v) {
  v = htole32(v);
  std::memcpy(p, &v, sizeof v);
}

uint64_t frame_checksum(const char* frame, uint32_t payload_bytes, Zxid segment_zxid) {
  return XXH3_64bits_withSeed(frame + kChecksumBytes,
                              kFrameHeaderBytes - kChecksumBytes + payload_bytes,
                              static_cast<uint64_t>(segment_zxid));
}

}  // namespace

void append_unsealed_frame(const Txn& txn, std::string& out) {
  const size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');
  encode_txn(txn, out);
  const size_t payload_bytes = out.size() - start - kFrameHeaderBytes;
  RK_ASSERT(payload_bytes >= kPayloadBytesMin && payload_bytes <= kPayloadBytesMax);
  out.append(frame_bytes(payload_bytes) - kFrameHeaderBytes - payload_bytes, '\0');
  store_u32(out.data() + start + kChecksumBytes, static_cast<uint32_t>(payload_bytes));
}

void seal_frames(std::span<char> frames, Zxid segment_zxid) {
  size_t offset = 0;
  while (offset < frames.size()) {
    char* frame = frames.data() + offset;
    const uint32_t payload_bytes = load_u32(frame + kChecksumBytes);
    RK_ASSERT(payload_bytes >= kPayloadBytesMin);
    store_u64(frame, frame_checksum(frame, payload_bytes, segment_zxid));
    offset += frame_bytes(payload_bytes);
  }
  RK_ASSERT(offset == frames.size());
}

std::string make_frame(const Txn& txn, Zxid segment_zxid) {
  std::string frame;
  append_unsealed_frame(txn, frame);
  seal_frames(frame, segment_zxid);
  return frame;
}

FrameRead read_frame(std::string_view image, size_t offset, Zxid segment_zxid) {
  FrameRead read;
  if (offset == image.size()) return read;  // kEnd
  if (image.size() - offset < kFrameHeaderBytes) {
    read.kind = FrameRead::Kind::kBad;
    read.reason = "truncated frame header";
    return read;
  }
  const char* frame = image.data() + offset;
  const uint32_t payload_bytes = load_u32(frame + kChecksumBytes);
  if (payload_bytes == 0) {
    // Zero length is "no record"; whether the rest is clean is the caller's question.
    return read;
  }
  read.kind = FrameRead::Kind::kBad;
  if (payload_bytes < kPayloadBytesMin || payload_bytes > kPayloadBytesMax ||
      load_u32(frame + kChecksumBytes + 4) != 0) {
    read.reason = "bad frame length";
    return read;
  }
  if (image.size() - offset < frame_bytes(payload_bytes)) {
    read.reason = "truncated frame";
    return read;
  }
  if (load_u64(frame) != frame_checksum(frame, payload_bytes, segment_zxid)) {
    read.reason = "checksum mismatch";
    return read;
  }
  read.kind = FrameRead::Kind::kRecord;
  read.payload = image.substr(offset + kFrameHeaderBytes, payload_bytes);
  read.next_offset = offset + frame_bytes(payload_bytes);
  return read;
}

}  // namespace rk
