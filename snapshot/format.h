// The snapshot file's framing and names (snapshot/FORMAT.md): constants, the frame header
// and its checksum, and snapshot.<zxid hex> file names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace rk {

inline constexpr uint32_t kSnapshotMagic = 0x4e534b52;  // "RKSN" as little-endian bytes
inline constexpr uint32_t kSnapshotVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 12;  // u32 length + u64 checksum
inline constexpr uint32_t kFramePayloadBytesMax = 256u << 20;
inline constexpr size_t kSessionsPerChunkMax = 65536;
inline constexpr std::string_view kSnapshotPrefix = "snapshot.";
inline constexpr std::string_view kTempSuffix = ".tmp";

// XXH64 over the 4 little-endian length bytes, then the payload.
uint64_t frame_checksum(const void* payload, uint32_t length);

// Writes the 12-byte header of a frame carrying `payload`.
void encode_frame_header(const void* payload, uint32_t length, uint8_t out[kFrameHeaderBytes]);

struct FrameHeader {
  uint32_t length = 0;
  uint64_t checksum = 0;
};
FrameHeader decode_frame_header(const uint8_t in[kFrameHeaderBytes]);

// "snapshot.<zxid in lowercase hex>".
std::string snapshot_file_name(Zxid zxid);
// The zxid of a final snapshot name; nullopt for anything else (temp files included, and
// names that are not exactly what snapshot_file_name writes).
std::optional<Zxid> parse_snapshot_file_name(std::string_view name);

// Where a snapshot's bytes are read from: an open file, or bytes already in memory (an image
// a leader sent). Holds neither: the fd or the bytes outlive it.
class SnapshotSource {
 public:
  static SnapshotSource file(int fd, uint64_t size) { return SnapshotSource(fd, {}, size); }
  static SnapshotSource memory(std::string_view bytes) { return SnapshotSource(-1, bytes, bytes.size()); }

  uint64_t size() const { return size_; }
  // Exactly `n` bytes at `offset` into `buf`; false on a read error or past the end.
  bool read(void* buf, size_t n, uint64_t offset) const;
  // The bytes will be read front to back once (a hint to the kernel for a file).
  void advise_sequential() const;

 private:
  SnapshotSource(int fd, std::string_view bytes, uint64_t size) : fd_(fd), bytes_(bytes), size_(size) {}

  int fd_;                  // -1: the bytes are in memory
  std::string_view bytes_;
  uint64_t size_;
};

}  // namespace rk
