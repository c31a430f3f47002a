// Txn encoding: round trips for every txn type, the worked example from txn_codec.h byte for
// byte, and rejection of truncated, trailing, unknown and malformed records.
#include "engine/txn_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace rk {
namespace {

std::vector<Txn> one_of_each() {
  std::vector<Txn> all;
  auto add = [&](OpCode type) -> Txn& {
    all.push_back(make_txn(0x1234567890abcdefLL, 42, make_zxid(3, 77), 1'700'000'000'123LL, type));
    return all.back();
  };
  Txn& c = add(OpCode::kCreate);
  c.path = "/a/b";
  c.data = std::string("\0\xff", 2);
  c.acl = {{31, {"world", "anyone"}}, {1, {"digest", "u:h="}}};
  c.ephemeral = true;
  c.parent_cversion = -7;
  Txn& c2 = add(OpCode::kCreate2);
  c2.path = "/n";
  c2.data_is_null = true;
  c2.acl = {{31, {"ip", "10.0.0.0/8"}}};
  c2.parent_cversion = 1;
  Txn& cc = add(OpCode::kCreateContainer);
  cc.path = "/box";
  cc.acl = {{31, {"world", "anyone"}}};
  cc.parent_cversion = 2;
  Txn& ct = add(OpCode::kCreateTtl);
  ct.path = "/ttl";
  ct.data = "x";
  ct.acl = {{1, {"world", "anyone"}}};
  ct.parent_cversion = 3;
  ct.ttl_ms = (int64_t{1} << 40) - 1;
  add(OpCode::kDelete).path = "/a/b";
  add(OpCode::kDeleteContainer).path = "/box";
  Txn& sd = add(OpCode::kSetData);
  sd.path = "/a";
  sd.data = std::string(3000, 'q');
  sd.version = 9;
  Txn& sa = add(OpCode::kSetAcl);
  sa.path = "/a";
  sa.acl = {{16, {"digest", "admin:xyz"}}};
  sa.version = 2;
  Txn& ck = add(OpCode::kCheck);
  ck.path = "/a";
  ck.version = 4;
  add(OpCode::kError).err = Err::kNodeExists;
  add(OpCode::kCreateSession).timeout_ms = 30000;
  add(OpCode::kCloseSession).paths = {"/e1", "/x/e2"};
  add(OpCode::kCloseSession);
  Txn& m = add(OpCode::kMulti);
  for (size_t i = 0; i < all.size() - 1; ++i) {
    OpCode t = all[i].type;
    if (t == OpCode::kCreateSession || t == OpCode::kCloseSession || t == OpCode::kSetAcl ||
        t == OpCode::kDeleteContainer) {
      continue;
    }
    m.ops.push_back(all[i]);
  }
  add(OpCode::kMulti);  // empty
  return all;
}

TEST(TxnCodec, RoundTripsEveryType) {
  for (const Txn& t : one_of_each()) {
    std::string bytes;
    encode_txn(t, bytes);
    auto back = decode_txn(bytes);
    ASSERT_TRUE(back.is_ok()) << static_cast<int>(t.type) << ": " << back.status().message();
    EXPECT_EQ(*back, t) << static_cast<int>(t.type);
  }
}

TEST(TxnCodec, WorkedExampleFromTheHeader) {
  Txn t = make_txn(0x10, 7, 0x100000002LL, 1000, OpCode::kSetData);
  t.path = "/a";
  t.data = "hi";
  t.version = 3;
  std::string bytes;
  encode_txn(t, bytes);
  const unsigned char expected[] = {
      0x10, 0, 0, 0, 0, 0, 0, 0,  7, 0, 0, 0,  2, 0, 0, 0, 1, 0, 0, 0,  0xe8, 3, 0, 0, 0, 0, 0, 0,
      5, 0, 0, 0,  2, 0, 0, 0, '/', 'a',  2, 0, 0, 0, 'h', 'i',  3, 0, 0, 0};
  ASSERT_EQ(bytes.size(), sizeof(expected));
  EXPECT_EQ(0, std::memcmp(bytes.data(), expected, sizeof(expected)));
}

TEST(TxnCodec, EveryTruncationIsRejected) {
  for (const Txn& t : one_of_each()) {
    std::string bytes;
    encode_txn(t, bytes);
    for (size_t len = 0; len < bytes.size(); ++len) {
      EXPECT_FALSE(decode_txn(std::string_view(bytes).substr(0, len)).is_ok())
          << static_cast<int>(t.type) << " at " << len;
    }
  }
}

TEST(TxnCodec, RejectsMalformedRecords) {
  Txn t = make_txn(1, 2, 3, 4, OpCode::kCreate);
  t.path = "/a";
  t.acl = {{31, {"world", "anyone"}}};
  std::string good;
  encode_txn(t, good);
  EXPECT_FALSE(decode_txn(good + "x").is_ok());  // trailing byte

  std::string unknown = good;
  unknown[28] = 99;  // type
  EXPECT_FALSE(decode_txn(unknown).is_ok());

  std::string bad_flag = good;
  bad_flag[bad_flag.size() - 5] = 2;  // ephemeral must be 0 or 1
  EXPECT_FALSE(decode_txn(bad_flag).is_ok());

  std::string huge_acl = good;
  // path "/a" ends at 32 + 6; data length at 38..41 (0), ACL count at 42..45.
  huge_acl[42] = huge_acl[43] = huge_acl[44] = huge_acl[45] = '\xff';
  EXPECT_FALSE(decode_txn(huge_acl).is_ok());

  std::string bad_data = good;
  bad_data[38] = '\xfe';  // data length -2
  bad_data[39] = bad_data[40] = bad_data[41] = '\xff';
  EXPECT_FALSE(decode_txn(bad_data).is_ok());

  Txn nested = make_txn(1, 2, 3, 4, OpCode::kMulti);
  nested.ops.push_back(make_txn(1, 2, 3, 4, OpCode::kCreateSession));
  std::string bytes;
  encode_txn(nested, bytes);
  EXPECT_FALSE(decode_txn(bytes).is_ok());  // sessions never appear inside multi
}

}  // namespace
}  // namespace rk
