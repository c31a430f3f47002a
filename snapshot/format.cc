// Frame headers, checksums, snapshot file names and exact reads from a file or memory.
#include "snapshot/format.h"

#include <fcntl.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY  // XXH64_state_t on the stack
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/assert.h"

namespace rk {
namespace {

void put_le32(uint8_t* at, uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_le64(uint8_t* at, uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_le32(const uint8_t* at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | at[i];
  return v;
}
uint64_t get_le64(const uint8_t* at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | at[i];
  return v;
}

}  // namespace

uint64_t frame_checksum(const void* payload, uint32_t length) {
  uint8_t len[4];
  put_le32(len, length);
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  XXH64_update(&state, len, sizeof(len));
  XXH64_update(&state, payload, length);
  return XXH64_digest(&state);
}

void encode_frame_header(const void* payload, uint32_t length, uint8_t out[kFrameHeaderBytes]) {
  RK_ASSERT(length > 0 && length <= kFramePayloadBytesMax);
  put_le32(out, length);
  put_le64(out + 4, frame_checksum(payload, length));
}

FrameHeader decode_frame_header(const uint8_t in[kFrameHeaderBytes]) {
  return FrameHeader{get_le32(in), get_le64(in + 4)};
}

std::string snapshot_file_name(Zxid zxid) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(zxid));
  return std::string(kSnapshotPrefix) + hex;
}

std::optional<Zxid> parse_snapshot_file_name(std::string_view name) {
  if (!name.starts_with(kSnapshotPrefix)) return std::nullopt;
  std::string_view hex = name.substr(kSnapshotPrefix.size());
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(digit);
  }
  // Only the canonical spelling: "snapshot.05" would be a second name for snapshot.5.
  if (snapshot_file_name(static_cast<Zxid>(v)) != name) return std::nullopt;
  return static_cast<Zxid>(v);
}

bool SnapshotSource::read(void* buf, size_t n, uint64_t offset) const {
  if (offset > size_ || n > size_ - offset) return false;
  auto* at = static_cast<uint8_t*>(buf);
  if (fd_ < 0) {
    std::memcpy(at, bytes_.data() + offset, n);
    return true;
  }
  while (n > 0) {
    ssize_t got = ::pread(fd_, at, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    at += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

void SnapshotSource::advise_sequential() const {
  if (fd_ >= 0) ::posix_fadvise(fd_, 0, static_cast<off_t>(size_), POSIX_FADV_SEQUENTIAL);
}

}  // namespace rk
