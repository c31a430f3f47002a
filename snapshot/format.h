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

// pread until `n` bytes at `offset` are in `buf`; false on an error or end of file.
bool read_exact(int fd, void* buf, size_t n, uint64_t offset);

}  // namespace rk
