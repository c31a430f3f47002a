// SHA-1 against the FIPS 180 test vectors, base64 against RFC 4648 vectors, and ZooKeeper
// digest ids computed independently with the JDK (MessageDigest SHA1 + java.util.Base64).
#include "base/sha1.h"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.h"

namespace rk {
namespace {

std::string hex(const Sha1Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string digest_bytes(std::string_view s) {
  Sha1Digest d = sha1(s);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

TEST(Sha1, FipsVectors) {
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, MillionAsInUnevenPieces) {
  Sha1 h;
  std::string piece(997, 'a');
  size_t fed = 0;
  while (fed + piece.size() <= 1000000) {
    h.update(piece);
    fed += piece.size();
  }
  h.update(std::string(1000000 - fed, 'a'));
  EXPECT_EQ(hex(h.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, BlockBoundaryLengths) {
  // 55, 56 and 64 bytes put the length field in the same block, the next one, or alone.
  EXPECT_EQ(hex(sha1(std::string(55, 'a'))), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(hex(sha1(std::string(56, 'a'))), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(hex(sha1(std::string(64, 'a'))), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodeRoundTripAndRejects) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\x00\x80"}) {
    auto r = base64_decode(base64_encode(s));
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(*r, s);
  }
  EXPECT_FALSE(base64_decode("Zm9").is_ok());
  EXPECT_FALSE(base64_decode("Zm=v").is_ok());
  EXPECT_FALSE(base64_decode("Z===").is_ok());
  EXPECT_FALSE(base64_decode("Zm9v!A==").is_ok());
  EXPECT_FALSE(base64_decode("Zg==Zg==").is_ok());
}

TEST(DigestId, MatchesJdkComputedValues) {
  EXPECT_EQ(base64_encode(digest_bytes("alice:secret")), "aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
  EXPECT_EQ(base64_encode(digest_bytes("super:admin")), "xQJmxLMiHGwaqBvst5y6rkB6HQs=");
  EXPECT_EQ(base64_encode(digest_bytes("bob:")), "tK1fpNO1hB0F++FhHpSq0Fa4tv0=");
}

}  // namespace
}  // namespace rk
