// The client protocol codec: round trips for every request and reply type in both
// directions, byte images checked by hand against zookeeper.jute, and malformed input.
#include "net/client_codec.h"
#include "net/jute.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rk {
namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// "0a ff" -> bytes; spaces are for the reader of the test.
std::string unhex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    if (c == ' ') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

// The payload of one encoded frame, after checking its length prefix.
std::string payload_of(const std::string& frame) {
  EXPECT_GE(frame.size(), 4u);
  if (frame.size() < 4) return "";
  uint32_t length = (uint8_t(frame[0]) << 24) | (uint8_t(frame[1]) << 16) |
                    (uint8_t(frame[2]) << 8) | uint8_t(frame[3]);
  EXPECT_EQ(length, frame.size() - 4);
  return frame.substr(4);
}

Stat sample_stat() {
  Stat s;
  s.czxid = 0x100000001LL;
  s.mzxid = 0x100000007LL;
  s.ctime = 1700000000123LL;
  s.mtime = 1700000000456LL;
  s.version = 3;
  s.cversion = -1;
  s.aversion = 2;
  s.ephemeral_owner = 0x7123456789abcdefLL;
  s.data_length = 11;
  s.num_children = 5;
  s.pzxid = 0x100000009LL;
  return s;
}

AclList sample_acl() {
  return {{perm::kAll, {"world", "anyone"}},
          {perm::kRead | perm::kAdmin, {"digest", "bob:c2VjcmV0"}}};
}

Request make(OpCode type, std::string path = "") {
  Request q;
  q.xid = 42;
  q.type = type;
  q.path = std::move(path);
  return q;
}

void expect_same(const Request& a, const Request& b);

void expect_same_watches(const WatchSet& a, const WatchSet& b) {
  EXPECT_EQ(a.relative_zxid, b.relative_zxid);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.exist, b.exist);
  EXPECT_EQ(a.child, b.child);
  EXPECT_EQ(a.persistent, b.persistent);
  EXPECT_EQ(a.persistent_recursive, b.persistent_recursive);
}

void expect_same(const Request& a, const Request& b) {
  SCOPED_TRACE("opcode " + std::to_string(static_cast<int>(a.type)));
  EXPECT_EQ(a.xid, b.xid);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.data_is_null, b.data_is_null);
  EXPECT_EQ(a.acl, b.acl);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.ttl, b.ttl);
  EXPECT_EQ(a.watch, b.watch);
  expect_same_watches(a.watches, b.watches);
  EXPECT_EQ(a.joining, b.joining);
  EXPECT_EQ(a.leaving, b.leaving);
  EXPECT_EQ(a.new_members, b.new_members);
  EXPECT_EQ(a.cur_config_id, b.cur_config_id);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) expect_same(a.ops[i], b.ops[i]);
}

void expect_same(const OpResult& a, const OpResult& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.err, b.err);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.stat, b.stat);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.data_is_null, b.data_is_null);
  EXPECT_EQ(a.children, b.children);
}

void expect_same(const Response& a, const Response& b) {
  SCOPED_TRACE("reply to opcode " + std::to_string(static_cast<int>(a.type)));
  EXPECT_EQ(a.xid, b.xid);
  EXPECT_EQ(a.zxid, b.zxid);
  EXPECT_EQ(a.err, b.err);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.stat, b.stat);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.data_is_null, b.data_is_null);
  EXPECT_EQ(a.children, b.children);
  EXPECT_EQ(a.acl, b.acl);
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.client_ids, b.client_ids);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) expect_same(a.results[i], b.results[i]);
}

// One request per opcode a client may send, every field its record carries set to a value
// other than the default.
std::vector<Request> sample_requests() {
  std::vector<Request> out;
  Request create = make(OpCode::kCreate, "/app/node");
  create.data = std::string("v\0\xff", 3);
  create.acl = sample_acl();
  create.flags = static_cast<int32_t>(CreateMode::kEphemeralSequential);
  out.push_back(create);
  Request create2 = create;
  create2.type = OpCode::kCreate2;
  create2.data.clear();
  create2.data_is_null = true;
  out.push_back(create2);
  Request container = create;
  container.type = OpCode::kCreateContainer;
  container.flags = static_cast<int32_t>(CreateMode::kContainer);
  out.push_back(container);
  Request ttl = create;
  ttl.type = OpCode::kCreateTtl;
  ttl.flags = static_cast<int32_t>(CreateMode::kPersistentWithTtl);
  ttl.ttl = 86400000;
  out.push_back(ttl);

  Request del = make(OpCode::kDelete, "/a");
  del.version = 17;
  out.push_back(del);
  for (OpCode type : {OpCode::kExists, OpCode::kGetData, OpCode::kGetChildren,
                      OpCode::kGetChildren2}) {
    Request read = make(type, "/r");
    read.watch = true;
    out.push_back(read);
  }
  Request set = make(OpCode::kSetData, "/s");
  set.data = "payload";
  set.version = -1;
  out.push_back(set);
  Request set_null = set;
  set_null.data.clear();
  set_null.data_is_null = true;
  set_null.version = 4;
  out.push_back(set_null);
  out.push_back(make(OpCode::kGetAcl, "/acl"));
  Request set_acl = make(OpCode::kSetAcl, "/acl");
  set_acl.acl = sample_acl();
  set_acl.version = 6;
  out.push_back(set_acl);
  out.push_back(make(OpCode::kSync, "/"));
  Request ping = make(OpCode::kPing);
  ping.xid = kPingXid;
  out.push_back(ping);
  Request check = make(OpCode::kCheck, "/c");
  check.version = 9;
  out.push_back(check);

  Request multi = make(OpCode::kMulti);
  multi.ops = {create, create2, container, ttl, del, set, set_null, check};
  for (Request& op : multi.ops) op.xid = 0;
  out.push_back(multi);
  out.push_back(make(OpCode::kMulti));  // empty transaction
  Request multi_read = make(OpCode::kMultiRead);
  Request get = make(OpCode::kGetData, "/g");
  get.xid = 0;
  Request children = make(OpCode::kGetChildren, "/k");
  children.xid = 0;
  children.watch = true;
  multi_read.ops = {get, children};
  out.push_back(multi_read);

  Request reconfig = make(OpCode::kReconfig);
  reconfig.joining = "server.4=h4:2888:3888;2181";
  reconfig.leaving = "2";
  reconfig.new_members = "";
  reconfig.cur_config_id = 0x100000000LL;
  out.push_back(reconfig);
  Request check_watches = make(OpCode::kCheckWatches, "/w");
  check_watches.flags = static_cast<int32_t>(WatcherType::kData);
  out.push_back(check_watches);
  Request remove_watches = make(OpCode::kRemoveWatches, "/w");
  remove_watches.flags = static_cast<int32_t>(WatcherType::kAny);
  out.push_back(remove_watches);

  Request auth = make(OpCode::kAuth, "digest");
  auth.xid = kAuthXid;
  auth.data = "bob:secret";
  out.push_back(auth);
  Request watches = make(OpCode::kSetWatches);
  watches.xid = kSetWatchesXid;
  watches.watches.relative_zxid = 0x200000003LL;
  watches.watches.data = {"/d1", "/d2"};
  watches.watches.exist = {"/e"};
  watches.watches.child = {"/c1", "/c2", "/c3"};
  out.push_back(watches);
  Request watches2 = watches;
  watches2.type = OpCode::kSetWatches2;
  watches2.watches.persistent = {"/p"};
  watches2.watches.persistent_recursive = {"/pr1", "/pr2"};
  out.push_back(watches2);
  Request sasl = make(OpCode::kSasl);
  sasl.data = std::string("\x60\x82\x01\x00", 4);
  out.push_back(sasl);
  out.push_back(make(OpCode::kGetEphemerals, "/prefix"));
  out.push_back(make(OpCode::kGetAllChildrenNumber, "/n"));
  Request add_watch = make(OpCode::kAddWatch, "/tree");
  add_watch.flags = static_cast<int32_t>(AddWatchMode::kPersistentRecursive);
  out.push_back(add_watch);
  out.push_back(make(OpCode::kWhoAmI));
  out.push_back(make(OpCode::kCloseSession));
  return out;
}

Result<Request> round_trip(const Request& request) {
  std::string frame;
  encode_request(request, frame);
  std::string payload = payload_of(frame);
  return decode_request(as_bytes(payload));
}

TEST(ClientCodecRequest, EveryClientOpcodeHasASample) {
  std::set<OpCode> covered;
  for (const Request& q : sample_requests()) covered.insert(q.type);
  for (OpCode type :
       {OpCode::kCreate, OpCode::kDelete, OpCode::kExists, OpCode::kGetData, OpCode::kSetData,
        OpCode::kGetAcl, OpCode::kSetAcl, OpCode::kGetChildren, OpCode::kSync, OpCode::kPing,
        OpCode::kGetChildren2, OpCode::kCheck, OpCode::kMulti, OpCode::kCreate2,
        OpCode::kReconfig, OpCode::kCheckWatches, OpCode::kRemoveWatches,
        OpCode::kCreateContainer, OpCode::kCreateTtl, OpCode::kMultiRead, OpCode::kAuth,
        OpCode::kSetWatches, OpCode::kSasl, OpCode::kGetEphemerals,
        OpCode::kGetAllChildrenNumber, OpCode::kSetWatches2, OpCode::kAddWatch,
        OpCode::kWhoAmI, OpCode::kCloseSession}) {
    EXPECT_TRUE(covered.count(type)) << "no sample for opcode " << static_cast<int>(type);
  }
}

TEST(ClientCodecRequest, EveryRequestRoundTrips) {
  for (const Request& request : sample_requests()) {
    Result<Request> decoded = round_trip(request);
    ASSERT_TRUE(decoded.is_ok()) << "opcode " << static_cast<int>(request.type) << ": "
                                 << decoded.status().message();
    expect_same(request, *decoded);
  }
}

// A request the server must not serve: a broken header, or a body that did not decode.
bool refused(const std::string& payload) {
  Result<Request> decoded = decode_request(as_bytes(payload));
  return !decoded.is_ok() || decoded->malformed;
}

bool request_has_body(OpCode type) {
  return type != OpCode::kPing && type != OpCode::kCloseSession;
}

// A cut inside the 8-byte header is a broken stream; a cut inside a body leaves a request
// the engine answers MarshallingError, keeping xid and opcode.
TEST(ClientCodecRequest, EveryTruncationOfEveryRequestIsMarkedMalformed) {
  for (const Request& request : sample_requests()) {
    std::string frame;
    encode_request(request, frame);
    std::string payload = payload_of(frame);
    for (size_t cut = 0; cut < payload.size(); ++cut) {
      std::string shorter = payload.substr(0, cut);
      Result<Request> decoded = decode_request(as_bytes(shorter));
      if (cut < 8) {
        EXPECT_FALSE(decoded.is_ok()) << "cut at " << cut;
        continue;
      }
      if (request_has_body(request.type)) {
        ASSERT_TRUE(decoded.is_ok()) << "opcode " << static_cast<int>(request.type) << " cut at " << cut;
        EXPECT_TRUE(decoded->malformed) << "opcode " << static_cast<int>(request.type) << " cut at " << cut;
        EXPECT_EQ(decoded->xid, request.xid);
        EXPECT_EQ(decoded->type, request.type);
      }
    }
  }
}

TEST(ClientCodecRequest, TrailingBytesAreIgnoredLikeZooKeeper) {
  for (const Request& request : sample_requests()) {
    std::string frame;
    encode_request(request, frame);
    std::string payload = payload_of(frame) + std::string("\0\1", 2);
    Result<Request> decoded = decode_request(as_bytes(payload));
    ASSERT_TRUE(decoded.is_ok()) << "opcode " << static_cast<int>(request.type);
    EXPECT_FALSE(decoded->malformed) << "opcode " << static_cast<int>(request.type);
    expect_same(request, *decoded);
  }
}

TEST(ClientCodecRequest, NullPathIsMalformedButNullReconfigStringsAreNot) {
  std::string payload;
  JuteWriter writer(payload);
  writer.write_int(7);
  writer.write_int(static_cast<int32_t>(OpCode::kExists));
  writer.write_null_buffer();
  writer.write_bool(false);
  Result<Request> decoded = decode_request(as_bytes(payload));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_TRUE(decoded->malformed);
  EXPECT_EQ(decoded->xid, 7);

  std::string reconfig;
  JuteWriter w2(reconfig);
  w2.write_int(8);
  w2.write_int(static_cast<int32_t>(OpCode::kReconfig));
  w2.write_null_buffer();
  w2.write_null_buffer();
  w2.write_string("server.1=127.0.0.1:2888:3888");
  w2.write_long(-1);
  decoded = decode_request(as_bytes(reconfig));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_FALSE(decoded->malformed);
}

TEST(ClientCodecRequest, CreateByteImage) {
  Request create = make(OpCode::kCreate, "/a");
  create.xid = 1;
  create.data = "hi";
  create.acl = {{perm::kAll, {"world", "anyone"}}};
  create.flags = 0;
  std::string frame;
  encode_request(create, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000033 00000001 00000001"
                                  " 00000002 2f61 00000002 6869"
                                  " 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65"
                                  " 00000000")));
}

TEST(ClientCodecRequest, CreateTtlAppendsTheTtl) {
  Request ttl = make(OpCode::kCreateTtl, "/t");
  ttl.xid = 5;
  ttl.flags = 5;
  ttl.ttl = 1000;
  std::string frame;
  encode_request(ttl, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000022 00000005 00000015 00000002 2f74 00000000"
                                  " 00000000 00000005 00000000000003e8")));
}

// The way ClientCnxn writes a multi: MultiHeader{type, false, -1} before each op and
// {-1, true, -1} after the last.
constexpr std::string_view kMultiImage =
    "00000037 00000002 0000000e"
    " 00000002 00 ffffffff 00000002 2f78 ffffffff"
    " 0000000d 00 ffffffff 00000002 2f79 00000003"
    " ffffffff 01 ffffffff";

TEST(ClientCodecRequest, MultiByteImage) {
  Request multi = make(OpCode::kMulti);
  multi.xid = 2;
  Request del = make(OpCode::kDelete, "/x");
  del.version = -1;
  Request check = make(OpCode::kCheck, "/y");
  check.version = 3;
  multi.ops = {del, check};
  multi.ops[0].xid = multi.ops[1].xid = 0;
  std::string frame;
  encode_request(multi, frame);
  EXPECT_EQ(hex(frame), hex(unhex(kMultiImage)));
}

TEST(ClientCodecRequest, DecodesAHandWrittenMulti) {
  std::string payload = unhex(kMultiImage).substr(4);
  Result<Request> decoded = decode_request(as_bytes(payload));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ(decoded->xid, 2);
  EXPECT_EQ(decoded->type, OpCode::kMulti);
  ASSERT_EQ(decoded->ops.size(), 2u);
  EXPECT_EQ(decoded->ops[0].type, OpCode::kDelete);
  EXPECT_EQ(decoded->ops[0].path, "/x");
  EXPECT_EQ(decoded->ops[0].version, -1);
  EXPECT_EQ(decoded->ops[1].type, OpCode::kCheck);
  EXPECT_EQ(decoded->ops[1].path, "/y");
  EXPECT_EQ(decoded->ops[1].version, 3);
}

TEST(ClientCodecRequest, MultiEndsAtAnyDoneHeader) {
  // The terminator's type and err are not looked at, as in MultiOperationRecord.
  std::string payload = unhex("00000002 0000000e 00000000 01 00000000");
  Result<Request> decoded = decode_request(as_bytes(payload));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_TRUE(decoded->ops.empty());
}

TEST(ClientCodecRequest, RejectsMultiWithoutTerminator) {
  std::string payload = unhex("00000002 0000000e 00000002 00 ffffffff 00000002 2f78 ffffffff");
  EXPECT_TRUE(refused(payload));
}

TEST(ClientCodecRequest, RejectsNestedMulti) {
  for (const char* nested : {"0000000e", "00000016"}) {
    std::string payload = unhex(std::string("00000002 0000000e ") + nested +
                                " 00 ffffffff ffffffff 01 ffffffff ffffffff 01 ffffffff");
    EXPECT_TRUE(refused(payload)) << nested;
  }
}

TEST(ClientCodecRequest, RejectsMixedReadAndWriteOps) {
  // getData inside multi, delete inside multiRead, a non-multi opcode inside multi.
  std::string get_in_multi =
      unhex("00000002 0000000e 00000004 00 ffffffff 00000002 2f78 00 ffffffff 01 ffffffff");
  std::string delete_in_read =
      unhex("00000002 00000016 00000002 00 ffffffff 00000002 2f78 ffffffff ffffffff 01 ffffffff");
  std::string sync_in_multi =
      unhex("00000002 0000000e 00000009 00 ffffffff 00000002 2f78 ffffffff 01 ffffffff");
  EXPECT_TRUE(refused(get_in_multi));
  EXPECT_TRUE(refused(delete_in_read));
  EXPECT_TRUE(refused(sync_in_multi));
}

TEST(ClientCodecRequest, RejectsShortHeader) {
  for (size_t size = 0; size < 8; ++size) {
    std::string payload(size, '\0');
    EXPECT_FALSE(decode_request(as_bytes(payload)).is_ok()) << size;
  }
}

TEST(ClientCodecRequest, RejectsBadLengths) {
  // getData with a path length of -2, of one past the end, and of INT32_MAX.
  for (const char* length : {"fffffffe", "00000004", "7fffffff", "80000000"}) {
    std::string payload = unhex(std::string("00000001 00000004 ") + length + " 2f78 00");
    EXPECT_TRUE(refused(payload)) << length;
  }
}

TEST(ClientCodecRequest, NullPathIsMalformed) {
  std::string payload = unhex("00000001 00000004 ffffffff 01");
  Result<Request> decoded = decode_request(as_bytes(payload));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_TRUE(decoded->malformed);
  EXPECT_EQ(decoded->xid, 1);
}

TEST(ClientCodecRequest, RejectsAclCountBeyondInput) {
  // setACL whose vector claims a million ACLs.
  std::string payload = unhex("00000001 00000007 00000001 2f 000f4240 00000000");
  EXPECT_TRUE(refused(payload));
}

TEST(ClientCodecRequest, RejectsWatchCountBeyondInput) {
  std::string payload = unhex("fffffff8 00000065 0000000000000000 00010000 00000000"
                              " 00000000 00000000");
  EXPECT_TRUE(refused(payload));
}

TEST(ClientCodecRequest, UnknownOpcodeKeepsTypeAndIgnoresBody) {
  std::string payload = unhex("00000009 000003e7 deadbeef");
  Result<Request> decoded = decode_request(as_bytes(payload));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->xid, 9);
  EXPECT_EQ(static_cast<int32_t>(decoded->type), 999);
  EXPECT_TRUE(decoded->path.empty());

  Request unknown = make(static_cast<OpCode>(999), "/ignored");
  std::string frame;
  encode_request(unknown, frame);
  EXPECT_EQ(hex(frame), "00000008" "0000002a" "000003e7");
}

TEST(ClientCodecRequest, PingAndCloseAreBareHeaders) {
  std::string frame;
  Request ping = make(OpCode::kPing);
  ping.xid = kPingXid;
  encode_request(ping, frame);
  EXPECT_EQ(hex(frame), "00000008" "fffffffe" "0000000b");
}

TEST(ClientCodecRequest, AuthPacketLayout) {
  Request auth = make(OpCode::kAuth, "digest");
  auth.xid = kAuthXid;
  auth.data = "u:p";
  std::string frame;
  encode_request(auth, frame);
  EXPECT_EQ(hex(frame), hex(unhex("0000001d fffffffc 00000064 00000000"
                                  " 00000006 646967657374 00000003 753a70")));
}

// --- connect ---------------------------------------------------------------------------

ConnectRequest sample_connect(bool with_read_only) {
  ConnectRequest c;
  c.protocol_version = 0;
  c.last_zxid_seen = 0x0102030405060708LL;
  c.timeout_ms = 30000;
  c.session_id = 0x11223344556677LL;
  c.passwd = std::string(16, '\x5a');
  c.read_only = with_read_only;
  c.has_read_only = with_read_only;
  return c;
}

constexpr std::string_view kConnectImage =
    "00000000 0102030405060708 00007530 0011223344556677"
    " 00000010 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

TEST(ClientCodecConnect, RequestByteImages) {
  std::string old_client;
  encode_connect_request(sample_connect(false), old_client);
  EXPECT_EQ(hex(old_client), hex(unhex("0000002c") + unhex(kConnectImage)));
  std::string new_client;
  encode_connect_request(sample_connect(true), new_client);
  EXPECT_EQ(hex(new_client), hex(unhex("0000002d") + unhex(kConnectImage) + unhex("01")));
}

TEST(ClientCodecConnect, DecodesBothRequestForms) {
  std::string old_client = unhex(kConnectImage);
  Result<ConnectRequest> a = decode_connect_request(as_bytes(old_client));
  ASSERT_TRUE(a.is_ok());
  EXPECT_FALSE(a->has_read_only);
  EXPECT_FALSE(a->read_only);
  EXPECT_EQ(a->last_zxid_seen, 0x0102030405060708LL);
  EXPECT_EQ(a->timeout_ms, 30000);
  EXPECT_EQ(a->session_id, 0x11223344556677LL);
  EXPECT_EQ(a->passwd, std::string(16, '\x5a'));

  std::string read_only = old_client + '\x01';
  Result<ConnectRequest> b = decode_connect_request(as_bytes(read_only));
  ASSERT_TRUE(b.is_ok());
  EXPECT_TRUE(b->has_read_only);
  EXPECT_TRUE(b->read_only);

  std::string read_write = old_client + '\x00';
  Result<ConnectRequest> c = decode_connect_request(as_bytes(read_write));
  ASSERT_TRUE(c.is_ok());
  EXPECT_TRUE(c->has_read_only);
  EXPECT_FALSE(c->read_only);
}

TEST(ClientCodecConnect, RejectsMalformedRequests) {
  std::string image = unhex(kConnectImage);
  for (size_t cut = 0; cut < image.size(); ++cut) {
    std::string shorter = image.substr(0, cut);
    EXPECT_FALSE(decode_connect_request(as_bytes(shorter)).is_ok()) << cut;
  }
  std::string two_extra = image + std::string(2, '\0');
  EXPECT_FALSE(decode_connect_request(as_bytes(two_extra)).is_ok());
  std::string bad_passwd = image;
  bad_passwd[27] = '\x11';  // passwd length 17: one byte past the end
  EXPECT_FALSE(decode_connect_request(as_bytes(bad_passwd)).is_ok());
}

TEST(ClientCodecConnect, ResponseRoundTripsAndMirrorsReadOnly) {
  for (bool with_read_only : {false, true}) {
    ConnectResponse response;
    response.protocol_version = 0;
    response.timeout_ms = 4000;
    response.session_id = 0x1000000abcdLL;
    response.passwd = std::string(16, '\x07');
    response.read_only = false;
    response.has_read_only = with_read_only;
    std::string frame;
    encode_connect_response(response, frame);
    std::string payload = payload_of(frame);
    EXPECT_EQ(payload.size(), with_read_only ? 37u : 36u);
    Result<ConnectResponse> decoded = decode_connect_response(as_bytes(payload));
    ASSERT_TRUE(decoded.is_ok());
    EXPECT_EQ(decoded->timeout_ms, 4000);
    EXPECT_EQ(decoded->session_id, 0x1000000abcdLL);
    EXPECT_EQ(decoded->passwd, response.passwd);
    EXPECT_EQ(decoded->has_read_only, with_read_only);
    EXPECT_FALSE(decoded->read_only);
  }
}

TEST(ClientCodecConnect, RefusalByteImage) {
  // An expired session is answered with timeout 0, session 0 and a zero password.
  ConnectResponse refusal;
  refusal.passwd = std::string(16, '\0');
  refusal.has_read_only = true;
  std::string frame;
  encode_connect_response(refusal, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000025 00000000 00000000 0000000000000000 00000010"
                                  " 00000000000000000000000000000000 00")));
  std::string payload = payload_of(frame) + '\0';
  EXPECT_FALSE(decode_connect_response(as_bytes(payload)).is_ok());
}

// --- replies ---------------------------------------------------------------------------

Response reply(OpCode type) {
  Response r;
  r.xid = 42;
  r.zxid = 0x300000001LL;
  r.type = type;
  return r;
}

std::vector<Response> sample_responses() {
  std::vector<Response> out;
  Response create = reply(OpCode::kCreate);
  create.path = "/app/node0000000007";
  out.push_back(create);
  for (OpCode type : {OpCode::kCreate2, OpCode::kCreateTtl, OpCode::kCreateContainer}) {
    Response r = reply(type);
    r.path = "/p";
    r.stat = sample_stat();
    out.push_back(r);
  }
  out.push_back(reply(OpCode::kDelete));
  for (OpCode type : {OpCode::kExists, OpCode::kSetData, OpCode::kSetAcl, OpCode::kCheck}) {
    Response r = reply(type);
    r.stat = sample_stat();
    out.push_back(r);
  }
  Response get = reply(OpCode::kGetData);
  get.data = std::string("\0bytes\xff", 7);
  get.stat = sample_stat();
  out.push_back(get);
  Response get_null = reply(OpCode::kGetData);
  get_null.data_is_null = true;
  get_null.stat = sample_stat();
  out.push_back(get_null);
  Response acl = reply(OpCode::kGetAcl);
  acl.acl = sample_acl();
  acl.stat = sample_stat();
  out.push_back(acl);
  Response children = reply(OpCode::kGetChildren);
  children.children = {"a", "b", "zz"};
  out.push_back(children);
  Response children2 = reply(OpCode::kGetChildren2);
  children2.children = {"only"};
  children2.stat = sample_stat();
  out.push_back(children2);
  Response no_children = reply(OpCode::kGetChildren);
  out.push_back(no_children);
  Response sync = reply(OpCode::kSync);
  sync.path = "/synced";
  out.push_back(sync);
  Response ping = reply(OpCode::kPing);
  ping.xid = kPingXid;
  out.push_back(ping);
  Response reconfig = reply(OpCode::kReconfig);
  reconfig.data = "server.1=h1:2888:3888:participant;0.0.0.0:2181\nversion=100000000";
  reconfig.stat = sample_stat();
  out.push_back(reconfig);
  Response ephemerals = reply(OpCode::kGetEphemerals);
  ephemerals.children = {"/e1", "/x/e2"};
  out.push_back(ephemerals);
  Response number = reply(OpCode::kGetAllChildrenNumber);
  number.number = 123456;
  out.push_back(number);
  Response whoami = reply(OpCode::kWhoAmI);
  whoami.client_ids = {{"ip", "127.0.0.1"}, {"digest", "bob"}};
  out.push_back(whoami);
  Response sasl = reply(OpCode::kSasl);
  sasl.data = "token";
  out.push_back(sasl);
  for (OpCode type : {OpCode::kSetWatches, OpCode::kSetWatches2, OpCode::kAuth,
                      OpCode::kCloseSession, OpCode::kCheckWatches, OpCode::kRemoveWatches,
                      OpCode::kAddWatch}) {
    out.push_back(reply(type));
  }

  Response multi = reply(OpCode::kMulti);
  OpResult created;
  created.type = OpCode::kCreate;
  created.path = "/m1";
  OpResult created2;
  created2.type = OpCode::kCreate2;
  created2.path = "/m2";
  created2.stat = sample_stat();
  OpResult deleted;
  deleted.type = OpCode::kDelete;
  OpResult set;
  set.type = OpCode::kSetData;
  set.stat = sample_stat();
  OpResult checked;
  checked.type = OpCode::kCheck;
  multi.results = {created, created2, deleted, set, checked};
  out.push_back(multi);
  Response failed_multi = reply(OpCode::kMulti);
  OpResult rolled_back;
  rolled_back.type = OpCode::kError;
  rolled_back.err = Err::kRuntimeInconsistency;
  OpResult cause;
  cause.type = OpCode::kError;
  cause.err = Err::kNodeExists;
  failed_multi.results = {rolled_back, cause};
  out.push_back(failed_multi);
  out.push_back(reply(OpCode::kMulti));  // empty transaction

  Response multi_read = reply(OpCode::kMultiRead);
  OpResult read;
  read.type = OpCode::kGetData;
  read.data = "d";
  read.stat = sample_stat();
  OpResult read_null;
  read_null.type = OpCode::kGetData;
  read_null.data_is_null = true;
  OpResult listed;
  listed.type = OpCode::kGetChildren;
  listed.children = {"c1", "c2"};
  OpResult missing;
  missing.type = OpCode::kError;
  missing.err = Err::kNoNode;
  multi_read.results = {read, read_null, listed, missing};
  out.push_back(multi_read);

  for (Err err : {Err::kNoNode, Err::kNoAuth, Err::kBadVersion, Err::kUnimplemented}) {
    Response failed = reply(OpCode::kGetData);
    failed.err = err;
    out.push_back(failed);
  }
  return out;
}

TEST(ClientCodecResponse, EveryResponseRoundTrips) {
  for (const Response& response : sample_responses()) {
    std::string frame;
    encode_response(response, frame);
    std::string payload = payload_of(frame);
    Result<Response> decoded = decode_response(as_bytes(payload), response.type);
    ASSERT_TRUE(decoded.is_ok()) << "opcode " << static_cast<int>(response.type) << ": "
                                 << decoded.status().message();
    expect_same(response, *decoded);
  }
}

TEST(ClientCodecResponse, EveryTruncationOfABodyIsRejected) {
  for (const Response& response : sample_responses()) {
    std::string frame;
    encode_response(response, frame);
    std::string payload = payload_of(frame);
    for (size_t cut = 0; cut < payload.size(); ++cut) {
      std::string shorter = payload.substr(0, cut);
      EXPECT_FALSE(decode_response(as_bytes(shorter), response.type).is_ok())
          << "opcode " << static_cast<int>(response.type) << " cut at " << cut;
    }
  }
}

TEST(ClientCodecResponse, TrailingBytesAreRejected) {
  for (const Response& response : sample_responses()) {
    std::string frame;
    encode_response(response, frame);
    std::string payload = payload_of(frame) + '\0';
    EXPECT_FALSE(decode_response(as_bytes(payload), response.type).is_ok())
        << "opcode " << static_cast<int>(response.type);
  }
}

TEST(ClientCodecResponse, ErrorRepliesCarryNoBody) {
  Response failed = reply(OpCode::kGetData);
  failed.err = Err::kNoNode;
  failed.data = "must not be sent";
  failed.stat = sample_stat();
  std::string frame;
  encode_response(failed, frame);
  EXPECT_EQ(hex(frame), "00000010" "0000002a" "0000000300000001" "ffffff9b");
}

TEST(ClientCodecResponse, GetDataByteImageWithNullData) {
  Response get = reply(OpCode::kGetData);
  get.xid = 1;
  get.zxid = 2;
  get.data_is_null = true;
  std::string frame;
  encode_response(get, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000058 00000001 0000000000000002 00000000 ffffffff") +
                            std::string(68, '\0')));
}

TEST(ClientCodecResponse, StatByteImage) {
  Response exists = reply(OpCode::kExists);
  exists.xid = 1;
  exists.zxid = 2;
  exists.stat = sample_stat();
  std::string frame;
  encode_response(exists, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000054 00000001 0000000000000002 00000000"
                                  " 0000000100000001 0000000100000007"
                                  " 0000018bcfe5687b 0000018bcfe569c8"
                                  " 00000003 ffffffff 00000002 7123456789abcdef"
                                  " 0000000b 00000005 0000000100000009")));
}

TEST(ClientCodecResponse, AddWatchIsAnsweredWithErrorResponseZero) {
  std::string frame;
  encode_response(reply(OpCode::kAddWatch), frame);
  EXPECT_EQ(hex(frame), "00000014" "0000002a" "0000000300000001" "00000000" "00000000");
}

TEST(ClientCodecResponse, MultiByteImage) {
  // A failed multi as ZooKeeper sends it: one ErrorResult per op, header err 0.
  Response failed = reply(OpCode::kMulti);
  failed.xid = 3;
  failed.zxid = 0x10;
  OpResult rolled_back;
  rolled_back.type = OpCode::kError;
  rolled_back.err = Err::kRuntimeInconsistency;
  OpResult cause;
  cause.type = OpCode::kError;
  cause.err = Err::kNoNode;
  failed.results = {rolled_back, cause};
  std::string frame;
  encode_response(failed, frame);
  EXPECT_EQ(hex(frame), hex(unhex("00000033 00000003 0000000000000010 00000000"
                                  " ffffffff 00 fffffffe fffffffe"
                                  " ffffffff 00 ffffff9b ffffff9b"
                                  " ffffffff 01 ffffffff")));
}

TEST(ClientCodecResponse, CreateTtlAndContainerResultsGoOutAsCreate2) {
  Response multi = reply(OpCode::kMulti);
  OpResult ttl;
  ttl.type = OpCode::kCreateTtl;
  ttl.path = "/t";
  ttl.stat = sample_stat();
  OpResult container;
  container.type = OpCode::kCreateContainer;
  container.path = "/c";
  multi.results = {ttl, container};
  std::string frame;
  encode_response(multi, frame);
  std::string payload = payload_of(frame);
  EXPECT_EQ(hex(payload.substr(16, 4)), "0000000f");
  Result<Response> decoded = decode_response(as_bytes(payload), OpCode::kMulti);
  ASSERT_TRUE(decoded.is_ok());
  ASSERT_EQ(decoded->results.size(), 2u);
  EXPECT_EQ(decoded->results[0].type, OpCode::kCreate2);
  EXPECT_EQ(decoded->results[0].path, "/t");
  EXPECT_EQ(decoded->results[0].stat, sample_stat());
  EXPECT_EQ(decoded->results[1].type, OpCode::kCreate2);
  EXPECT_EQ(decoded->results[1].path, "/c");
}

TEST(ClientCodecResponse, FailedMultiWithoutBodyDecodes) {
  // What ZooKeeper sends when a multi fails as a whole (e.g. a marshalling error).
  std::string payload = unhex("00000003 0000000000000010 fffffffb");
  Result<Response> decoded = decode_response(as_bytes(payload), OpCode::kMulti);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->err, Err::kMarshallingError);
  EXPECT_TRUE(decoded->results.empty());
}

TEST(ClientCodecResponse, MultiWithErrorStillCarriesItsResults) {
  Response failed = reply(OpCode::kMulti);
  failed.err = Err::kNoNode;
  OpResult cause;
  cause.type = OpCode::kError;
  cause.err = Err::kNoNode;
  failed.results = {cause};
  std::string frame;
  encode_response(failed, frame);
  std::string payload = payload_of(frame);
  EXPECT_EQ(payload.size(), 16u + 13u + 9u);
  Result<Response> decoded = decode_response(as_bytes(payload), OpCode::kMulti);
  ASSERT_TRUE(decoded.is_ok());
  expect_same(failed, *decoded);
}

TEST(ClientCodecResponse, RejectsUnknownResultType) {
  std::string payload = unhex("00000003 0000000000000010 00000000"
                              " 00000009 00 00000000 ffffffff 01 ffffffff");
  EXPECT_FALSE(decode_response(as_bytes(payload), OpCode::kMulti).is_ok());
}

TEST(ClientCodecResponse, RejectsShortHeader) {
  for (size_t size = 0; size < 16; ++size) {
    std::string payload(size, '\0');
    EXPECT_FALSE(decode_response(as_bytes(payload), OpCode::kPing).is_ok()) << size;
  }
}

TEST(ClientCodecResponse, RejectsChildCountBeyondInput) {
  std::string payload = unhex("00000003 0000000000000010 00000000 7fffffff 00000000");
  EXPECT_FALSE(decode_response(as_bytes(payload), OpCode::kGetChildren).is_ok());
}

TEST(ClientCodecWatch, EventByteImageAndRoundTrip) {
  WatchEvent event;
  event.type = EventType::kNodeDataChanged;
  event.state = KeeperState::kSyncConnected;
  event.path = "/w";
  event.zxid = 0x500000002LL;
  std::string frame;
  encode_watch_event(event, frame);
  EXPECT_EQ(hex(frame), hex(unhex("0000001e ffffffff 0000000500000002 00000000"
                                  " 00000003 00000003 00000002 2f77")));
  WatchEvent decoded;
  std::string payload = payload_of(frame);
  Result<Response> r = decode_response(as_bytes(payload), OpCode::kGetData, &decoded);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->xid, kNotificationXid);
  EXPECT_EQ(r->zxid, 0x500000002LL);
  EXPECT_EQ(r->err, Err::kOk);
  EXPECT_TRUE(r->path.empty());
  EXPECT_EQ(decoded.type, EventType::kNodeDataChanged);
  EXPECT_EQ(decoded.state, KeeperState::kSyncConnected);
  EXPECT_EQ(decoded.path, "/w");
  EXPECT_EQ(decoded.zxid, 0x500000002LL);

  // Without somewhere to put it the event is still checked, then dropped.
  EXPECT_TRUE(decode_response(as_bytes(payload), OpCode::kGetData).is_ok());
  std::string cut = payload.substr(0, payload.size() - 1);
  EXPECT_FALSE(decode_response(as_bytes(cut), OpCode::kGetData, &decoded).is_ok());
}

TEST(ClientCodecWatch, SessionEventsHaveNoType) {
  WatchEvent expired;
  expired.type = EventType::kNone;
  expired.state = KeeperState::kExpired;
  std::string frame;
  encode_watch_event(expired, frame);
  WatchEvent decoded;
  std::string payload = payload_of(frame);
  ASSERT_TRUE(decode_response(as_bytes(payload), OpCode::kPing, &decoded).is_ok());
  EXPECT_EQ(decoded.type, EventType::kNone);
  EXPECT_EQ(decoded.state, KeeperState::kExpired);
  EXPECT_EQ(decoded.zxid, -1);
}

TEST(ClientCodecFourLetterWords, KnowsZooKeepersList) {
  for (std::string_view word : {"ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst",
                                "wchs", "wchc", "wchp", "dump", "envi", "dirs", "isro", "gtmk",
                                "stmk", "hash"}) {
    std::string bytes(word);
    std::optional<std::string_view> found = four_letter_word(as_bytes(bytes));
    ASSERT_TRUE(found.has_value()) << word;
    EXPECT_EQ(*found, word);
  }
}

TEST(ClientCodecFourLetterWords, IgnoresEverythingElse) {
  for (std::string bytes : {std::string("RUOK"), std::string("ruo"), std::string(""),
                            std::string("abcd"), std::string("\0\0\0\x2c", 4),
                            std::string("kill")}) {
    EXPECT_FALSE(four_letter_word(as_bytes(bytes)).has_value()) << bytes;
  }
  std::string longer = "ruokXYZ";  // only the first four bytes count
  EXPECT_EQ(four_letter_word(as_bytes(longer)).value_or(""), "ruok");
}

}  // namespace
}  // namespace rk
