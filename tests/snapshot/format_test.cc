// Snapshot file names and frame headers.
#include <gtest/gtest.h>

#include "snapshot/format.h"

namespace rk {
namespace {

TEST(SnapshotFormat, FileNamesAreLowercaseHexWithoutPrefix) {
  EXPECT_EQ(snapshot_file_name(0), "snapshot.0");
  EXPECT_EQ(snapshot_file_name(0x100000003), "snapshot.100000003");
  EXPECT_EQ(snapshot_file_name(0xabcdef), "snapshot.abcdef");
  EXPECT_EQ(parse_snapshot_file_name("snapshot.abcdef"), 0xabcdef);
  EXPECT_EQ(parse_snapshot_file_name("snapshot.0"), 0);
  for (const char* bad : {"snapshot.", "snapshot.5.tmp", "snapshot.05", "snapshot.ABC", "snapshot.0x5",
                          "log.5", "snapshot.12345678901234567", "snapshot.g"}) {
    EXPECT_FALSE(parse_snapshot_file_name(bad).has_value()) << bad;
  }
}

TEST(SnapshotFormat, FrameHeaderRoundTripsAndCoversTheLength) {
  const char payload[] = "some flatbuffer bytes";
  uint8_t header[kFrameHeaderBytes];
  encode_frame_header(payload, sizeof(payload), header);
  FrameHeader h = decode_frame_header(header);
  EXPECT_EQ(h.length, sizeof(payload));
  EXPECT_EQ(h.checksum, frame_checksum(payload, sizeof(payload)));
  EXPECT_EQ(header[0], sizeof(payload));  // little-endian length first
  // The same bytes with a shorter length field checksum differently.
  EXPECT_NE(frame_checksum(payload, sizeof(payload) - 1), frame_checksum(payload, sizeof(payload)));
}

}  // namespace
}  // namespace rk
