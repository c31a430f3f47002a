// JuteReader / JuteWriter: byte order, null buffers, bounds checks and the sticky failure flag.
#include "net/jute.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rk {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

TEST(JuteWriter, WritesBigEndian) {
  std::string out;
  JuteWriter w(out);
  w.write_int(0x01020304);
  w.write_int(-2);
  w.write_long(0x0102030405060708LL);
  w.write_long(INT64_MIN);
  w.write_bool(true);
  w.write_bool(false);
  EXPECT_EQ(hex(out), "01020304fffffffe" "0102030405060708" "8000000000000000" "0100");
}

TEST(JuteWriter, WritesBuffersAndVectors) {
  std::string out;
  JuteWriter w(out);
  w.write_string("ab");
  w.write_buffer(std::string("\0\xff", 2));
  w.write_null_buffer();
  w.write_string("");
  w.write_string_vector({"x", ""});
  EXPECT_EQ(hex(out), "000000026162" "0000000200ff" "ffffffff" "00000000"
                      "00000002" "0000000178" "00000000");
}

TEST(JuteWriter, FrameLengthCoversPayloadOnly) {
  std::string out = "prefix";
  JuteWriter w(out);
  size_t frame = w.begin_frame();
  w.write_int(7);
  w.write_string("abc");
  w.end_frame(frame);
  EXPECT_EQ(hex(out.substr(6)), "0000000b" "00000007" "00000003616263");
}

TEST(JuteReader, ReadsWhatTheWriterWrote) {
  std::string bytes;
  JuteWriter w(bytes);
  w.write_int(INT32_MIN);
  w.write_long(-1234567890123LL);
  w.write_bool(true);
  w.write_string("path");
  w.write_null_buffer();
  w.write_string_vector({"a", "bc"});
  JuteReader r(as_bytes(bytes));
  EXPECT_EQ(r.read_int(), INT32_MIN);
  EXPECT_EQ(r.read_long(), -1234567890123LL);
  EXPECT_TRUE(r.read_bool());
  std::string s = "junk";
  EXPECT_FALSE(r.read_buffer(s));
  EXPECT_EQ(s, "path");
  s = "junk";
  EXPECT_TRUE(r.read_buffer(s));
  EXPECT_EQ(s, "");
  std::vector<std::string> v;
  r.read_string_vector(v);
  EXPECT_EQ(v, (std::vector<std::string>{"a", "bc"}));
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(JuteReader, AnyNonZeroByteIsTrue) {
  std::string bytes("\x00\x01\x7f\xff", 4);
  JuteReader r(as_bytes(bytes));
  EXPECT_FALSE(r.read_bool());
  EXPECT_TRUE(r.read_bool());
  EXPECT_TRUE(r.read_bool());
  EXPECT_TRUE(r.read_bool());
  EXPECT_FALSE(r.failed());
}

TEST(JuteReader, ShortInputFailsAndStaysFailed) {
  std::string bytes("\x00\x00\x00\x05\x00\x00", 6);
  JuteReader r(as_bytes(bytes));
  EXPECT_EQ(r.read_int(), 5);
  EXPECT_EQ(r.read_int(), 0);  // only two bytes left
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.read_bool());
  EXPECT_EQ(r.read_long(), 0);
  EXPECT_TRUE(r.failed());
}

TEST(JuteReader, RejectsBufferLengthBelowMinusOne) {
  std::string bytes("\xff\xff\xff\xfe" "abcd", 8);
  JuteReader r(as_bytes(bytes));
  std::string s;
  r.read_buffer(s);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(s, "");
}

TEST(JuteReader, RejectsBufferLengthPastTheEnd) {
  std::string bytes("\x00\x00\x00\x05" "abcd", 8);  // one byte short
  JuteReader r(as_bytes(bytes));
  std::string s;
  r.read_buffer(s);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(s, "");
}

TEST(JuteReader, AcceptsBufferEndingExactlyAtTheEnd) {
  std::string bytes("\x00\x00\x00\x04" "abcd", 8);
  JuteReader r(as_bytes(bytes));
  std::string s;
  r.read_buffer(s);
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(s, "abcd");
}

TEST(JuteReader, NullVectorReadsAsEmpty) {
  std::string bytes("\xff\xff\xff\xff", 4);
  JuteReader r(as_bytes(bytes));
  EXPECT_EQ(r.read_count(4), 0);
  EXPECT_FALSE(r.failed());
}

TEST(JuteReader, RejectsNegativeCount) {
  std::string bytes("\xff\xff\xff\xfe", 4);
  JuteReader r(as_bytes(bytes));
  EXPECT_EQ(r.read_count(4), 0);
  EXPECT_TRUE(r.failed());
}

TEST(JuteReader, RejectsCountThatCannotFitInTheRest) {
  // Three elements of at least 4 bytes need 12; only 11 follow.
  std::string bytes("\x00\x00\x00\x03", 4);
  bytes.append(11, '\0');
  JuteReader r(as_bytes(bytes));
  EXPECT_EQ(r.read_count(4), 0);
  EXPECT_TRUE(r.failed());

  bytes.push_back('\0');
  JuteReader fits(as_bytes(bytes));
  EXPECT_EQ(fits.read_count(4), 3);
  EXPECT_FALSE(fits.failed());
}

TEST(JuteReader, HugeCountFailsBeforeAllocating) {
  std::string bytes("\x7f\xff\xff\xff" "\x00\x00\x00\x00", 8);
  JuteReader r(as_bytes(bytes));
  std::vector<std::string> v;
  r.read_string_vector(v);
  EXPECT_TRUE(r.failed());
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.capacity(), 0u);
}

TEST(JuteReader, TruncatedVectorElementFails) {
  std::string bytes("\x00\x00\x00\x01" "\x00\x00\x00\x02" "a", 9);
  JuteReader r(as_bytes(bytes));
  std::vector<std::string> v;
  r.read_string_vector(v);
  EXPECT_TRUE(r.failed());
}

TEST(JuteReader, ReportsOffsetAndRemaining) {
  std::string bytes(10, '\0');
  JuteReader r(as_bytes(bytes));
  r.read_int();
  EXPECT_EQ(r.offset(), 4u);
  EXPECT_EQ(r.remaining(), 6u);
  r.fail();
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace rk
