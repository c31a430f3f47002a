// Record frames: round trip through seal and read, alignment, and rejection of a flipped
// byte, a stale segment identity, a bad length and a truncated frame.
#include "wal/record.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/txn_codec.h"
#include "wal_test_util.h"

namespace rk {
namespace {

using testing::make_set_data;

TEST(Record, RoundTripThroughSealAndRead) {
  const Zxid identity = make_zxid(2, 1);
  std::string frames;
  std::vector<Txn> txns;
  for (int i = 0; i < 10; ++i) {
    txns.push_back(make_set_data(identity + i, static_cast<size_t>(i * 13)));
    append_unsealed_frame(txns.back(), frames);
    EXPECT_EQ(frames.size() % kFrameAlignBytes, 0u);
  }
  seal_frames(frames, identity);
  size_t offset = 0;
  for (const Txn& expected : txns) {
    FrameRead read = read_frame(frames, offset, identity);
    ASSERT_EQ(read.kind, FrameRead::Kind::kRecord) << read.reason;
    Result<Txn> txn = decode_txn(read.payload);
    ASSERT_TRUE(txn.is_ok());
    EXPECT_EQ(*txn, expected);
    offset = read.next_offset;
  }
  EXPECT_EQ(read_frame(frames, offset, identity).kind, FrameRead::Kind::kEnd);
}

TEST(Record, LayoutIsChecksumLengthReservedPayloadPadding) {
  Txn txn = make_set_data(5, 1);
  std::string payload;
  encode_txn(txn, payload);
  std::string frame = make_frame(txn, 5);
  ASSERT_EQ(frame.size(), frame_bytes(payload.size()));
  uint32_t length = 0;
  std::memcpy(&length, frame.data() + 8, 4);
  EXPECT_EQ(length, payload.size());
  EXPECT_EQ(frame.substr(12, 4), std::string(4, '\0'));
  EXPECT_EQ(frame.substr(16, payload.size()), payload);
  EXPECT_EQ(frame.substr(16 + payload.size()), std::string(frame.size() - 16 - payload.size(), '\0'));
}

TEST(Record, EveryFlippedCoveredByteIsRejected) {
  const std::string frame = make_frame(make_set_data(9), 9);
  uint32_t length = 0;
  std::memcpy(&length, frame.data() + 8, 4);
  for (size_t i = 0; i < kFrameHeaderBytes + length; ++i) {
    std::string bad = frame;
    bad[i] ^= 0x20;
    EXPECT_EQ(read_frame(bad, 0, 9).kind, FrameRead::Kind::kBad) << "byte " << i;
  }
}

TEST(Record, StaleSegmentIdentityIsRejected) {
  const std::string frame = make_frame(make_set_data(0x100000005), 0x100000001);
  EXPECT_EQ(read_frame(frame, 0, 0x100000001).kind, FrameRead::Kind::kRecord);
  FrameRead stale = read_frame(frame, 0, 0x200000001);
  EXPECT_EQ(stale.kind, FrameRead::Kind::kBad);
  EXPECT_STREQ(stale.reason, "checksum mismatch");
}

TEST(Record, ZeroLengthIsEndAndTruncationIsBad) {
  EXPECT_EQ(read_frame(std::string(64, '\0'), 0, 1).kind, FrameRead::Kind::kEnd);
  const std::string frame = make_frame(make_set_data(1), 1);
  for (size_t cut = 1; cut < frame.size(); ++cut) {
    EXPECT_EQ(read_frame(frame.substr(0, cut), 0, 1).kind, FrameRead::Kind::kBad) << cut;
  }
  std::string huge = frame;
  const uint32_t too_long = kPayloadBytesMax + 1;
  std::memcpy(huge.data() + 8, &too_long, 4);
  EXPECT_STREQ(read_frame(huge, 0, 1).reason, "bad frame length");
}

}  // namespace
}  // namespace rk
