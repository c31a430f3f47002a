// The wire codec: every message round-trips field for field; truncated, random, mutated and
// hand-made bad frames are refused (or, for mutations, decode to a well-formed message) and
// never crash; encoding a large batch allocates a fixed handful of times.
//
// This file replaces the global operator new (with malloc plus a counter) to count the
// allocations of one encode; that is the whole of its effect on the rest of quorum_tests.
#include "quorum/codec.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <type_traits>

#include "engine/txn_codec.h"
#include "quorum/wire_generated.h"

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// Out of line, so the compiler does not pair an inlined free() with a builtin new and warn.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace rk::quorum {
namespace {

// --- sample values -------------------------------------------------------------------------

constexpr uint64_t kToken = 0xfedcba9876543210ULL;  // high bit set: ulong survives
constexpr Epoch kEpoch = 0x7654321;

Zxid zx(int64_t counter) { return make_zxid(kEpoch, counter); }

// Txns of every shape the log holds, with every header field set, zxids rising from `first`.
std::vector<Txn> sample_txns(Zxid first) {
  std::vector<Txn> txns;
  Zxid z = first;
  auto next = [&](OpCode type) {
    Txn t = make_txn(0x1234567890abcdefLL, 17 + static_cast<int32_t>(txns.size()), z++, 1700000000123LL, type);
    return t;
  };
  Txn create = next(OpCode::kCreate);
  create.path = "/app/lock-0000000007";
  create.data = std::string("\x00\x01\xff payload", 11);
  create.acl = {Acl{perm::kAll, Id{"world", "anyone"}}, Acl{perm::kRead | perm::kAdmin, Id{"digest", "u:h4sh="}}};
  create.ephemeral = true;
  create.parent_cversion = 42;
  txns.push_back(create);

  Txn ttl = next(OpCode::kCreateTtl);
  ttl.path = "/ttl";
  ttl.data_is_null = true;
  ttl.acl = {Acl{perm::kAll, Id{"ip", "10.0.0.1"}}};
  ttl.parent_cversion = 3;
  ttl.ttl_ms = 86400000;
  txns.push_back(ttl);

  Txn set = next(OpCode::kSetData);
  set.path = "/app";
  set.data = "new";
  set.version = 9;
  txns.push_back(set);

  Txn multi = next(OpCode::kMulti);
  Txn sub_create = make_txn(multi.session_id, multi.cxid, multi.zxid, multi.time_ms, OpCode::kCreate2);
  sub_create.path = "/m/a";
  sub_create.data = "x";
  sub_create.acl = {Acl{perm::kCreate, Id{"auth", ""}}};
  sub_create.parent_cversion = 1;
  Txn sub_check = make_txn(multi.session_id, multi.cxid, multi.zxid, multi.time_ms, OpCode::kCheck);
  sub_check.path = "/m";
  sub_check.version = 5;
  Txn sub_delete = make_txn(multi.session_id, multi.cxid, multi.zxid, multi.time_ms, OpCode::kDelete);
  sub_delete.path = "/m/old";
  multi.ops = {sub_create, sub_check, sub_delete};
  txns.push_back(multi);

  Txn close = next(OpCode::kCloseSession);
  close.paths = {"/eph/1", "/eph/2", "/deep/er/3"};
  txns.push_back(close);

  Txn session = next(OpCode::kCreateSession);
  session.timeout_ms = 30000;
  txns.push_back(session);

  Txn error = next(OpCode::kError);
  error.err = Err::kNodeExists;
  txns.push_back(error);
  return txns;
}

std::shared_ptr<const std::string> sample_image(size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return std::make_shared<const std::string>(std::move(bytes));
}

msg::NewLeader snap_new_leader(size_t image_bytes) {
  msg::NewLeader m;
  m.token = kToken;
  m.epoch = kEpoch;
  m.mode = msg::SyncMode::kSnap;
  m.prev_zxid = zx(3);
  m.image = StateImage{zx(100), sample_image(image_bytes)};
  m.txns = sample_txns(zx(101));
  m.commit_zxid = zx(104);
  return m;
}

msg::Proposal sample_proposal(size_t count) {
  auto txns = std::make_shared<std::vector<Txn>>();
  for (size_t i = 0; i < count; ++i) {
    Txn t = make_txn(0x10 + i, static_cast<int32_t>(i), zx(1001 + i), 1700000000000LL + i, OpCode::kSetData);
    t.path = "/bench/node" + std::to_string(i % 10);
    t.data = "value";
    t.version = static_cast<int32_t>(i);
    txns->push_back(std::move(t));
  }
  return msg::Proposal{kToken, kEpoch, zx(1000), std::move(txns), zx(999)};
}

svc::ForwardWrite sample_forward_write() {
  return svc::ForwardWrite{kEpoch, 0x1234567890abcdefLL, {Id{"digest", "alice:x0y1"}, Id{"ip", "192.168.1.9"}},
                           std::string("\x00\x00\x00\x07\x00\x00\x00\x05\x00\x00\x00\x02/a", 14)};
}

// --- equality for messages.h structs (they have no operator==) ------------------------------

void expect_equal(const msg::Notification& a, const msg::Notification& b) {
  EXPECT_EQ(a.vote, b.vote);
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.sender_role, b.sender_role);
}
void expect_equal(const msg::FollowerInfo& a, const msg::FollowerInfo& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.accepted_epoch, b.accepted_epoch);
  EXPECT_EQ(a.current_epoch, b.current_epoch);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
}
void expect_equal(const msg::NewEpoch& a, const msg::NewEpoch& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
}
void expect_equal(const msg::AckEpoch& a, const msg::AckEpoch& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.current_epoch, b.current_epoch);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
}
void expect_equal(const msg::NewLeader& a, const msg::NewLeader& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.prev_zxid, b.prev_zxid);
  EXPECT_EQ(a.image.zxid, b.image.zxid);
  ASSERT_EQ(a.image.bytes == nullptr, b.image.bytes == nullptr);
  if (a.image.bytes) {
    EXPECT_TRUE(*a.image.bytes == *b.image.bytes);  // not printed: it can be big
  }
  EXPECT_EQ(a.txns, b.txns);
  EXPECT_EQ(a.commit_zxid, b.commit_zxid);
}
void expect_equal(const msg::AckNewLeader& a, const msg::AckNewLeader& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.durable_zxid, b.durable_zxid);
}
void expect_equal(const msg::Proposal& a, const msg::Proposal& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.prev_zxid, b.prev_zxid);
  ASSERT_TRUE(a.txns != nullptr && b.txns != nullptr);
  EXPECT_EQ(*a.txns, *b.txns);
  EXPECT_EQ(a.commit_zxid, b.commit_zxid);
}
void expect_equal(const msg::Ack& a, const msg::Ack& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.durable_zxid, b.durable_zxid);
}
void expect_equal(const msg::Commit& a, const msg::Commit& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.commit_zxid, b.commit_zxid);
}
void expect_equal(const msg::Ping& a, const msg::Ping& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
  EXPECT_EQ(a.commit_zxid, b.commit_zxid);
}

// --- helpers -------------------------------------------------------------------------------

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Result<Frame> decode(const std::string& s) { return decode_frame(span_of(s)); }

template <typename M>
constexpr bool kIsZab = std::is_constructible_v<Message, M>;

template <typename M>
std::string encode(const M& m) {
  std::string out;
  if constexpr (kIsZab<M>) {
    encode_frame(Message{m}, out);
  } else {
    encode_frame(ServiceMessage{m}, out);
  }
  return out;
}

// The message of type M in `frame`, or null.
template <typename M>
const M* held(const Frame& frame) {
  using Variant = std::conditional_t<kIsZab<M>, Message, ServiceMessage>;
  const auto* v = std::get_if<Variant>(&frame);
  return v == nullptr ? nullptr : std::get_if<M>(v);
}

template <typename M>
void expect_round_trip(const M& m) {
  std::string bytes = encode(m);
  Result<Frame> frame = decode(bytes);
  ASSERT_TRUE(frame.is_ok()) << frame.status().message();
  const M* back = held<M>(*frame);
  ASSERT_NE(back, nullptr) << "decoded as another message type";
  if constexpr (kIsZab<M>) {
    expect_equal(m, *back);
  } else {
    EXPECT_TRUE(m == *back);
  }
}

void expect_error(const Result<Frame>& frame, std::string_view part) {
  ASSERT_FALSE(frame.is_ok());
  EXPECT_NE(frame.status().message().find(part), std::string::npos) << frame.status().message();
}

// A frame built by hand through the generated API, for shapes encode_frame never makes.
template <typename F>
std::string hand_made(wire::Body type, F build_body, uint32_t version = kWireVersion) {
  flatbuffers::FlatBufferBuilder b;
  flatbuffers::Offset<void> body = build_body(b);
  wire::FinishFrameBuffer(b, wire::CreateFrame(b, version, type, body));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

flatbuffers::Offset<wire::TxnBytes> txn_bytes(flatbuffers::FlatBufferBuilder& b, const std::string& record) {
  return wire::CreateTxnBytes(b, b.CreateVector(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
}

std::string record_of(const Txn& t) {
  std::string out;
  encode_txn(t, out);
  return out;
}

// A decoded message meets what the peer asserts of one (the codec's promise).
void expect_well_formed(const Frame& frame) {
  if (const auto* p = held<msg::Proposal>(frame)) {
    ASSERT_TRUE(p->txns && !p->txns->empty());
    Zxid last = p->prev_zxid;
    for (const Txn& t : *p->txns) {
      EXPECT_GT(t.zxid, last);
      last = t.zxid;
    }
  }
  if (const auto* n = held<msg::NewLeader>(frame)) {
    EXPECT_LE(static_cast<int>(n->mode), static_cast<int>(msg::SyncMode::kSnap));
    if (n->mode == msg::SyncMode::kSnap) {
      EXPECT_NE(n->image.bytes, nullptr);
    }
  }
  if (const auto* n = held<msg::Notification>(frame)) {
    EXPECT_LE(static_cast<int>(n->sender_role), static_cast<int>(Role::kObserving));
  }
}

// --- round trips ---------------------------------------------------------------------------

TEST(CodecRoundTrip, Election) {
  expect_round_trip(msg::Notification{Vote{5, kEpoch, zx(77)}, 0x123456789LL, Role::kObserving});
  expect_round_trip(msg::Notification{Vote{-3, -1, -2}, -4, Role::kLeading});
  expect_round_trip(msg::Notification{});  // every field at its default
}

TEST(CodecRoundTrip, Discovery) {
  expect_round_trip(msg::FollowerInfo{kToken, kEpoch + 1, kEpoch - 1, zx(55)});
  expect_round_trip(msg::NewEpoch{kToken, kEpoch});
  expect_round_trip(msg::AckEpoch{kToken, kEpoch, kEpoch - 2, zx(56)});
  expect_round_trip(msg::AckNewLeader{kToken, kEpoch, zx(57)});
}

TEST(CodecRoundTrip, NewLeaderSnapWithImageAndTxnsOfEveryShape) {
  expect_round_trip(snap_new_leader(100003));
  msg::NewLeader empty_image = snap_new_leader(0);  // present but empty: not the same as none
  expect_round_trip(empty_image);
  Result<Frame> f = decode(encode(empty_image));
  ASSERT_TRUE(f.is_ok());
  ASSERT_NE(held<msg::NewLeader>(*f)->image.bytes, nullptr);
}

TEST(CodecRoundTrip, NewLeaderDiffAndTrunc) {
  msg::NewLeader diff{kToken, kEpoch, msg::SyncMode::kDiff, zx(10), {}, sample_txns(zx(11)), zx(12)};
  expect_round_trip(diff);
  Result<Frame> f = decode(encode(diff));
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(held<msg::NewLeader>(*f)->image.bytes, nullptr);
  expect_round_trip(msg::NewLeader{kToken, kEpoch, msg::SyncMode::kTrunc, zx(10), {}, {}, zx(9)});
}

TEST(CodecRoundTrip, Broadcast) {
  auto txns = std::make_shared<const std::vector<Txn>>(sample_txns(zx(201)));
  expect_round_trip(msg::Proposal{kToken, kEpoch, zx(200), txns, zx(150)});
  expect_round_trip(sample_proposal(1000));
  expect_round_trip(msg::Ack{kToken, kEpoch, zx(201)});
  expect_round_trip(msg::Commit{kToken, kEpoch, zx(202)});
  expect_round_trip(msg::Ping{kToken, kEpoch, zx(203), zx(202)});
}

// The decoder refuses a list longer than its smallest entries could fill the frame: a frame of
// nothing but the smallest entries must still pass.
TEST(CodecRoundTrip, ListsOfTheSmallestEntries) {
  auto txns = std::make_shared<std::vector<Txn>>();
  for (int i = 0; i < 2000; ++i) txns->push_back(make_txn(0, 0, zx(i + 1), 0, OpCode::kDelete));  // 40-byte records
  expect_round_trip(msg::Proposal{0, 0, 0, txns, 0});
  expect_round_trip(svc::ForwardWrite{0, 0, std::vector<Id>(2000), "r"});
}

TEST(CodecRoundTrip, ServiceMessages) {
  expect_round_trip(sample_forward_write());
  expect_round_trip(svc::ForwardWrite{kEpoch, 7, {}, "x"});  // no auth ids
  expect_round_trip(svc::ForwardSession{kEpoch, 0x0100000000000abcLL, 40000});
  expect_round_trip(svc::Touch{kEpoch, {{0x0100000000000abcLL, 40000}, {-5, 2000}, {7, 1}}});
  expect_round_trip(svc::Touch{kEpoch, {}});
  expect_round_trip(svc::SyncRequest{kEpoch, 0x0100000000000abcLL, -123});
  expect_round_trip(svc::SyncReply{kEpoch, 0x0100000000000abcLL, 99, zx(300)});
}

TEST(CodecRoundTrip, FramesAppendAndDecodeFromAnyAlignment) {
  std::string out = "prefix";
  encode_frame(Message{msg::Ack{kToken, kEpoch, zx(1)}}, out);
  size_t first_end = out.size();
  encode_frame(ServiceMessage{sample_forward_write()}, out);
  ASSERT_EQ(out.compare(0, 6, "prefix"), 0);
  // Both frames sit at odd offsets inside `out`: decode copies them to an aligned buffer.
  auto first = decode_frame(span_of(out).subspan(6, first_end - 6));
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  expect_equal(*held<msg::Ack>(*first), msg::Ack{kToken, kEpoch, zx(1)});
  auto second = decode_frame(span_of(out).subspan(first_end));
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_TRUE(*held<svc::ForwardWrite>(*second) == sample_forward_write());
}

// --- efficiency ----------------------------------------------------------------------------

TEST(CodecEncode, ABatchOfAThousandTxnsCostsAFixedFewAllocations) {
  Message proposal = sample_proposal(1000);
  std::string out;
  out.reserve(1 << 20);
  size_t before = g_allocations.load();
  encode_frame(proposal, out);
  size_t allocations = g_allocations.load() - before;
  // The builder's buffer (sized once: a grown one would allocate again), the offsets, the
  // scratch string.
  EXPECT_LE(allocations, 3u);
  EXPECT_TRUE(decode(out).is_ok());
}

// The builder is sized from an upper bound of the frame: if the bound fell short for some
// shape, the buffer would grow and the count would show it.
TEST(CodecEncode, EveryShapeIsBuiltInABufferSizedOnce) {
  std::vector<std::pair<const char*, std::variant<Message, ServiceMessage>>> messages = {
      {"NewLeader", Message{snap_new_leader(1000)}},
      {"Notification", Message{msg::Notification{Vote{5, kEpoch, zx(77)}, 9, Role::kFollowing}}},
      {"Ping", Message{msg::Ping{kToken, kEpoch, zx(203), zx(202)}}},
      {"ForwardWrite", ServiceMessage{svc::ForwardWrite{kEpoch, 1, std::vector<Id>(200, Id{"s", ""}), "r"}}},
      {"Touch", ServiceMessage{svc::Touch{kEpoch, std::vector<std::pair<SessionId, int32_t>>(5000, {1, 2})}}},
  };
  for (const auto& [name, m] : messages) {
    std::string out;
    out.reserve(1 << 20);
    size_t before = g_allocations.load();
    std::visit([&out](const auto& v) { encode_frame(v, out); }, m);
    size_t allocations = g_allocations.load() - before;
    EXPECT_LE(allocations, 3u) << name;
  }
}

TEST(CodecEncode, AnImageIsCopiedIntoOneBufferSizedOnce) {
  Message snap = snap_new_leader(8 << 20);
  std::string out;
  out.reserve(9 << 20);
  size_t before = g_allocations.load();
  encode_frame(snap, out);
  size_t allocations = g_allocations.load() - before;
  EXPECT_LE(allocations, 3u);
  EXPECT_GT(out.size(), size_t{8} << 20);
}

// --- bad frames ----------------------------------------------------------------------------

// Flatbuffers does not cover alignment padding, and the first object built (the last in the
// buffer) may be followed by some. So a cut that removes only trailing zero padding leaves a
// whole frame: it must decode to the very same message. Every other cut must be refused.
template <typename M>
void expect_every_truncation_refused(const M& m) {
  std::string bytes = encode(m);
  size_t tail_zeros = 0;
  while (tail_zeros < bytes.size() && bytes[bytes.size() - 1 - tail_zeros] == '\0') ++tail_zeros;
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string cut = bytes.substr(0, n);
    Result<Frame> frame = decode(cut);
    if (frame.is_ok()) {
      ASSERT_GE(n + std::min<size_t>(tail_zeros, 7), bytes.size()) << "a cut at " << n << " of " << bytes.size()
                                                                    << " decoded";
      const M* back = held<M>(*frame);
      ASSERT_NE(back, nullptr);
      if constexpr (kIsZab<M>) {
        expect_equal(m, *back);
      } else {
        EXPECT_TRUE(m == *back);
      }
    }
  }
}

TEST(CodecDecode, TruncatedFramesAreRefusedAtEveryLength) {
  expect_every_truncation_refused(snap_new_leader(301));
  expect_every_truncation_refused(msg::Proposal{kToken, kEpoch, zx(200),
                                                std::make_shared<const std::vector<Txn>>(sample_txns(zx(201))),
                                                zx(150)});
  expect_every_truncation_refused(msg::Notification{Vote{5, kEpoch, zx(77)}, 9, Role::kFollowing});
  expect_every_truncation_refused(msg::Ping{kToken, kEpoch, zx(203), zx(202)});
  expect_every_truncation_refused(sample_forward_write());
  expect_every_truncation_refused(svc::Touch{kEpoch, {{1, 2}, {3, 4}}});
  expect_every_truncation_refused(svc::SyncReply{kEpoch, 5, 6, zx(7)});
}

TEST(CodecDecode, RandomBytesAreRefused) {
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(rng() % 600, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (i % 2 == 1 && bytes.size() >= 8) bytes.replace(4, 4, "RKQW");  // past the identifier check
    Result<Frame> frame = decode(bytes);
    if (i % 2 == 0) {
      EXPECT_FALSE(frame.is_ok()) << "random buffer " << i;
    }
    if (frame.is_ok()) expect_well_formed(*frame);
  }
}

TEST(CodecDecode, MutatedFramesNeverYieldAMalformedMessage) {
  std::vector<std::string> seeds = {
      encode(snap_new_leader(64)), encode(sample_proposal(5)), encode(sample_forward_write()),
      encode(msg::Notification{Vote{5, kEpoch, zx(77)}, 9, Role::kFollowing}),
      encode(svc::Touch{kEpoch, {{1, 2}, {3, 4}}})};
  std::mt19937_64 rng(77);
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = seeds[i % seeds.size()];
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    Result<Frame> frame = decode(bytes);
    if (frame.is_ok()) {
      expect_well_formed(*frame);
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, 1000);  // the mutations did reach the checks
}

TEST(CodecDecode, BadUnionTypeAndMissingBody) {
  auto ack = [](flatbuffers::FlatBufferBuilder& b) { return wire::CreateAck(b, 1, 2, 3).Union(); };
  expect_error(decode(hand_made(static_cast<wire::Body>(99), ack)), "unknown message type 99");
  expect_error(decode(hand_made(wire::Body::NONE, ack)), "without a message");
  auto none = [](flatbuffers::FlatBufferBuilder&) { return flatbuffers::Offset<void>(); };
  expect_error(decode(hand_made(wire::Body::Ack, none)), "body missing");
  expect_error(decode(hand_made(wire::Body::Ack, ack, kWireVersion + 1)), "version 2");
  EXPECT_TRUE(decode(hand_made(wire::Body::Ack, ack)).is_ok());  // the control
}

TEST(CodecDecode, ProposalWithCorruptOrMisorderedTxnsIsRefused) {
  auto proposal = [](std::vector<std::string> records, Zxid prev_zxid) {
    return hand_made(wire::Body::Proposal, [&](flatbuffers::FlatBufferBuilder& b) {
      std::vector<flatbuffers::Offset<wire::TxnBytes>> txns;
      for (const std::string& r : records) txns.push_back(txn_bytes(b, r));
      return wire::CreateProposal(b, kToken, kEpoch, prev_zxid, b.CreateVector(txns), 0).Union();
    });
  };
  std::vector<Txn> txns = sample_txns(zx(2));
  std::string good = record_of(txns[0]);
  std::string garbage = "not a txn record at all, just bytes";
  std::string trailing = record_of(txns[1]) + "x";
  std::string cut = record_of(txns[1]).substr(0, 20);
  EXPECT_TRUE(decode(proposal({good, record_of(txns[1])}, zx(1))).is_ok());  // the control
  expect_error(decode(proposal({good, garbage}, zx(1))), "txn 1: txn record");
  expect_error(decode(proposal({good, trailing}, zx(1))), "trailing bytes");
  expect_error(decode(proposal({cut}, zx(1))), "txn 0: txn record: truncated");
  expect_error(decode(proposal({}, zx(1))), "Proposal: no txns");
  expect_error(decode(proposal({record_of(txns[1]), good}, zx(1))), "txn 1: zxid");
  expect_error(decode(proposal({good}, zx(2))), "txn 0: zxid");  // not above prev_zxid
  expect_error(decode(hand_made(wire::Body::Proposal,
                                [](flatbuffers::FlatBufferBuilder& b) {
                                  return wire::CreateProposal(b, kToken, kEpoch, 0).Union();  // no txns
                                })),
               "Proposal: no txns");
  expect_error(decode(hand_made(wire::Body::Proposal,
                                [](flatbuffers::FlatBufferBuilder& b) {
                                  auto none = wire::CreateTxnBytes(b);
                                  return wire::CreateProposal(b, kToken, kEpoch, 0, b.CreateVector(&none, 1)).Union();
                                })),
               "txn 0 has no bytes");
}

TEST(CodecDecode, NewLeaderChecks) {
  auto new_leader = [](wire::SyncMode mode, bool image, std::vector<std::string> records) {
    return hand_made(wire::Body::NewLeader, [&](flatbuffers::FlatBufferBuilder& b) {
      flatbuffers::Offset<flatbuffers::Vector<uint8_t>> bytes;
      if (image) bytes = b.CreateVector(std::vector<uint8_t>{1, 2, 3});
      std::vector<flatbuffers::Offset<wire::TxnBytes>> txns;
      for (const std::string& r : records) txns.push_back(txn_bytes(b, r));
      return wire::CreateNewLeader(b, kToken, kEpoch, mode, zx(1), zx(5), bytes, b.CreateVector(txns), zx(5)).Union();
    });
  };
  std::vector<Txn> txns = sample_txns(zx(3));
  EXPECT_TRUE(decode(new_leader(wire::SyncMode::Diff, false, {record_of(txns[0])})).is_ok());
  expect_error(decode(new_leader(wire::SyncMode::Snap, false, {})), "SNAP without image bytes");
  expect_error(decode(new_leader(static_cast<wire::SyncMode>(3), false, {})), "sync mode 3 out of range");
  // A SNAP's txns follow the image (zxid 5 here), a DIFF's the prev zxid (1).
  expect_error(decode(new_leader(wire::SyncMode::Snap, true, {record_of(txns[0])})), "not above");
  expect_error(decode(new_leader(wire::SyncMode::Diff, false, {"\x01\x02"})), "NewLeader: txn 0");
}

TEST(CodecDecode, FieldChecks) {
  expect_error(decode(hand_made(wire::Body::Notification,
                                [](flatbuffers::FlatBufferBuilder& b) {
                                  return wire::CreateNotification(b, 1, 2, 3, 4, static_cast<wire::Role>(4)).Union();
                                })),
               "sender role 4 out of range");
  expect_error(decode(hand_made(wire::Body::ForwardWrite,
                                [](flatbuffers::FlatBufferBuilder& b) {
                                  return wire::CreateForwardWrite(b, kEpoch, 1).Union();
                                })),
               "ForwardWrite: no request");
  expect_error(decode(hand_made(wire::Body::ForwardWrite,
                                [](flatbuffers::FlatBufferBuilder& b) {
                                  auto id = wire::CreateAuthId(b, 0, b.CreateString("alice"));
                                  auto request = b.CreateVector(std::vector<uint8_t>{0, 0, 0, 1});
                                  return wire::CreateForwardWrite(b, kEpoch, 1, b.CreateVector(&id, 1), request)
                                      .Union();
                                })),
               "auth id without scheme");
  expect_error(decode(encode(svc::ForwardSession{kEpoch, 1, 0})), "ForwardSession: timeout 0");
  expect_error(decode(encode(svc::Touch{kEpoch, {{1, 100}, {2, -1}}})), "timeout -1");
}

}  // namespace
}  // namespace rk::quorum
