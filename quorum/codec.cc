// Frames to and from flatbuffers (quorum/wire.fbs): builders sized once, and a decoder that
// verifies the buffer and then checks every field before it builds a message.
#include "quorum/codec.h"

#include <flatbuffers/flatbuffers.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "base/assert.h"
#include "engine/txn_codec.h"
#include "quorum/wire_generated.h"

namespace rk::quorum {
namespace {

namespace fb = flatbuffers;
using Builder = fb::FlatBufferBuilder;
using TxnOffsets = fb::Offset<fb::Vector<fb::Offset<wire::TxnBytes>>>;

static_assert(kFrameBytesMax < FLATBUFFERS_MAX_BUFFER_SIZE, "the verifier takes buffers below its limit");
static_assert(static_cast<int>(wire::Role::Looking) == static_cast<int>(Role::kLooking) &&
              static_cast<int>(wire::Role::Following) == static_cast<int>(Role::kFollowing) &&
              static_cast<int>(wire::Role::Leading) == static_cast<int>(Role::kLeading) &&
              static_cast<int>(wire::Role::Observing) == static_cast<int>(Role::kObserving));
static_assert(static_cast<int>(wire::SyncMode::Diff) == static_cast<int>(msg::SyncMode::kDiff) &&
              static_cast<int>(wire::SyncMode::Trunc) == static_cast<int>(msg::SyncMode::kTrunc) &&
              static_cast<int>(wire::SyncMode::Snap) == static_cast<int>(msg::SyncMode::kSnap));

// Sizing the builder. Everything but txns, images, requests and ids fits in the fixed part
// (root table, one message table, their vtables, the builder's scratch for field offsets).
constexpr size_t kFrameFixedBytes = 256;
// Per txn on top of its record: the TxnBytes table (soffset, one offset), the record's length
// and padding, its slot in the txns vector.
constexpr size_t kTxnOverheadBytes = 24;
// Per auth id on top of its two strings: the table, two offsets, two lengths, NULs, padding.
constexpr size_t kAuthIdOverheadBytes = 40;

// --- encoding ------------------------------------------------------------------------------

// An upper bound of encode_txn's output (engine/txn_codec.h): every body field counted,
// whatever the type uses.
size_t txn_record_bytes_max(const Txn& t) {
  size_t n = 32;                                 // header
  n += 4 + t.path.size() + 4 + t.data.size();    // path, data
  n += 1 + 4 + 8 + 4 + 4 + 4;                    // ephemeral, parent_cversion, ttl, version, err, timeout
  n += 4 + 4 + 4;                                // the counts of acl, paths, ops
  for (const Acl& a : t.acl) n += 12 + a.id.scheme.size() + a.id.id.size();
  for (const std::string& p : t.paths) n += 4 + p.size();
  for (const Txn& op : t.ops) n += txn_record_bytes_max(op);  // a sub-txn's type and body, under its header's size
  return n;
}

size_t txns_bytes_max(std::span<const Txn> txns) {
  size_t n = 8;  // the vector's length and alignment
  for (const Txn& t : txns) n += kTxnOverheadBytes + txn_record_bytes_max(t);
  return n;
}

template <typename M>
size_t variable_bytes_max(const M&) {
  return 0;  // scalars only
}
size_t variable_bytes_max(const msg::NewLeader& m) {
  return txns_bytes_max(m.txns) + (m.image.bytes ? m.image.bytes->size() + 16 : 0);
}
size_t variable_bytes_max(const msg::Proposal& m) { return m.txns ? txns_bytes_max(*m.txns) : 0; }
size_t variable_bytes_max(const svc::ForwardWrite& m) {
  size_t n = m.request.size() + 16;
  for (const Id& id : m.ids) n += kAuthIdOverheadBytes + id.scheme.size() + id.id.size();
  return n;
}
size_t variable_bytes_max(const svc::Touch& m) { return 16 + m.sessions.size() * sizeof(wire::TouchedSession); }

// Each txn as its log record in a TxnBytes table. One scratch string serves every record, so
// a batch costs two allocations (scratch, offsets) whatever its length.
TxnOffsets build_txns(Builder& b, std::span<const Txn> txns) {
  std::vector<fb::Offset<wire::TxnBytes>> offsets;
  offsets.reserve(txns.size());
  std::string scratch;
  scratch.reserve(256);
  for (const Txn& t : txns) {
    scratch.clear();
    encode_txn(t, scratch);
    auto bytes = b.CreateVector(reinterpret_cast<const uint8_t*>(scratch.data()), scratch.size());
    offsets.push_back(wire::CreateTxnBytes(b, bytes));
  }
  return b.CreateVector(offsets);
}

struct Body {
  wire::Body type;
  fb::Offset<void> offset;
};

Body build(Builder& b, const msg::Notification& m) {
  auto role = static_cast<wire::Role>(m.sender_role);
  return {wire::Body::Notification,
          wire::CreateNotification(b, m.vote.leader, m.vote.epoch, m.vote.zxid, m.round, role).Union()};
}
Body build(Builder& b, const msg::FollowerInfo& m) {
  return {wire::Body::FollowerInfo,
          wire::CreateFollowerInfo(b, m.token, m.accepted_epoch, m.current_epoch, m.last_zxid).Union()};
}
Body build(Builder& b, const msg::NewEpoch& m) {
  return {wire::Body::NewEpoch, wire::CreateNewEpoch(b, m.token, m.epoch).Union()};
}
Body build(Builder& b, const msg::AckEpoch& m) {
  return {wire::Body::AckEpoch, wire::CreateAckEpoch(b, m.token, m.epoch, m.current_epoch, m.last_zxid).Union()};
}
Body build(Builder& b, const msg::NewLeader& m) {
  fb::Offset<fb::Vector<uint8_t>> image;
  if (m.image.bytes) {
    const std::string& bytes = *m.image.bytes;
    image = b.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  TxnOffsets txns = build_txns(b, m.txns);
  auto mode = static_cast<wire::SyncMode>(m.mode);
  return {wire::Body::NewLeader, wire::CreateNewLeader(b, m.token, m.epoch, mode, m.prev_zxid, m.image.zxid, image,
                                                       txns, m.commit_zxid)
                                     .Union()};
}
Body build(Builder& b, const msg::AckNewLeader& m) {
  return {wire::Body::AckNewLeader, wire::CreateAckNewLeader(b, m.token, m.epoch, m.durable_zxid).Union()};
}
Body build(Builder& b, const msg::Proposal& m) {
  RK_ASSERT(m.txns && !m.txns->empty());
  TxnOffsets txns = build_txns(b, *m.txns);
  return {wire::Body::Proposal,
          wire::CreateProposal(b, m.token, m.epoch, m.prev_zxid, txns, m.commit_zxid).Union()};
}
Body build(Builder& b, const msg::Ack& m) {
  return {wire::Body::Ack, wire::CreateAck(b, m.token, m.epoch, m.durable_zxid).Union()};
}
Body build(Builder& b, const msg::Commit& m) {
  return {wire::Body::Commit, wire::CreateCommit(b, m.token, m.epoch, m.commit_zxid).Union()};
}
Body build(Builder& b, const msg::Ping& m) {
  return {wire::Body::Ping, wire::CreatePing(b, m.token, m.epoch, m.last_zxid, m.commit_zxid).Union()};
}

Body build(Builder& b, const svc::ForwardWrite& m) {
  std::vector<fb::Offset<wire::AuthId>> ids;
  ids.reserve(m.ids.size());
  for (const Id& id : m.ids) ids.push_back(wire::CreateAuthId(b, b.CreateString(id.scheme), b.CreateString(id.id)));
  auto ids_offset = b.CreateVector(ids);
  auto request = b.CreateVector(reinterpret_cast<const uint8_t*>(m.request.data()), m.request.size());
  return {wire::Body::ForwardWrite, wire::CreateForwardWrite(b, m.epoch, m.session, ids_offset, request).Union()};
}
Body build(Builder& b, const svc::ForwardSession& m) {
  return {wire::Body::ForwardSession, wire::CreateForwardSession(b, m.epoch, m.session, m.timeout_ms).Union()};
}
Body build(Builder& b, const svc::Touch& m) {
  wire::TouchedSession* slots = nullptr;
  auto sessions = b.CreateUninitializedVectorOfStructs(m.sessions.size(), &slots);
  for (const auto& [session, timeout_ms] : m.sessions) *slots++ = wire::TouchedSession(session, timeout_ms);
  return {wire::Body::Touch, wire::CreateTouch(b, m.epoch, sessions).Union()};
}
Body build(Builder& b, const svc::SyncRequest& m) {
  return {wire::Body::SyncRequest, wire::CreateSyncRequest(b, m.epoch, m.session, m.xid).Union()};
}
Body build(Builder& b, const svc::SyncReply& m) {
  return {wire::Body::SyncReply, wire::CreateSyncReply(b, m.epoch, m.session, m.xid, m.zxid).Union()};
}

template <typename Variant>
void encode(const Variant& m, std::string& out) {
  size_t bytes_max = kFrameFixedBytes + std::visit([](const auto& x) { return variable_bytes_max(x); }, m);
  RK_ASSERT(bytes_max <= kFrameBytesMax);
  Builder b(bytes_max);
  Body body = std::visit([&b](const auto& x) { return build(b, x); }, m);
  wire::FinishFrameBuffer(b, wire::CreateFrame(b, kWireVersion, body.type, body.offset));
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

// --- decoding ------------------------------------------------------------------------------

// Lower bounds of the wire size of one list entry: a count above size / bound cannot be a
// frame we built (it would point many entries at one table), so it is refused before it
// costs memory. A TxnBytes: table 8, record length 4, record at least 36 (a 32-byte header and
// the smallest body, 4 bytes), slot 4. An AuthId: table 12, two empty strings 8 each, slot 4.
constexpr size_t kTxnWireBytesMin = 52;
constexpr size_t kAuthIdWireBytesMin = 32;
// Tables nest Frame > message > TxnBytes / AuthId.
constexpr fb::uoffset_t kVerifyDepthMax = 8;

std::string hex(int64_t v) {
  char s[24];
  std::snprintf(s, sizeof s, "0x%" PRIx64, static_cast<uint64_t>(v));
  return s;
}

Status fail(const char* message_type, const std::string& problem) {
  return Status::error(std::string("wire: ") + message_type + ": " + problem);
}

// Decodes txns into `out`, each zxid above the one before and the first above `base_zxid`
// (what Peer's history requires of an append). `frame_bytes` bounds the count.
Status decode_txns(const fb::Vector<fb::Offset<wire::TxnBytes>>& txns, Zxid base_zxid, size_t frame_bytes,
                   std::vector<Txn>& out) {
  if (txns.size() > frame_bytes / kTxnWireBytesMin) return Status::error("more txns than the frame can hold");
  out.reserve(txns.size());
  Zxid last_zxid = base_zxid;
  for (fb::uoffset_t i = 0; i < txns.size(); ++i) {
    const fb::Vector<uint8_t>* bytes = txns.Get(i)->bytes();
    if (bytes == nullptr) return Status::error("txn " + std::to_string(i) + " has no bytes");
    Result<Txn> txn = decode_txn(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!txn) return Status::error("txn " + std::to_string(i) + ": " + txn.status().message());
    if (txn->zxid <= last_zxid) {
      return Status::error("txn " + std::to_string(i) + ": zxid " + hex(txn->zxid) + " not above " + hex(last_zxid));
    }
    last_zxid = txn->zxid;
    out.push_back(std::move(*txn));
  }
  return Status::ok();
}

Result<Frame> decode(const wire::Notification& m) {
  if (m.sender_role() > wire::Role::MAX) {
    return fail("Notification", "sender role " + std::to_string(static_cast<int>(m.sender_role())) + " out of range");
  }
  return Frame{Message{msg::Notification{Vote{m.leader(), m.epoch(), m.zxid()}, m.round(),
                                         static_cast<Role>(m.sender_role())}}};
}
Result<Frame> decode(const wire::FollowerInfo& m) {
  return Frame{Message{msg::FollowerInfo{m.token(), m.accepted_epoch(), m.current_epoch(), m.last_zxid()}}};
}
Result<Frame> decode(const wire::NewEpoch& m) { return Frame{Message{msg::NewEpoch{m.token(), m.epoch()}}}; }
Result<Frame> decode(const wire::AckEpoch& m) {
  return Frame{Message{msg::AckEpoch{m.token(), m.epoch(), m.current_epoch(), m.last_zxid()}}};
}

Result<Frame> decode(const wire::NewLeader& m, size_t frame_bytes) {
  if (m.mode() > wire::SyncMode::MAX) {
    return fail("NewLeader", "sync mode " + std::to_string(static_cast<int>(m.mode())) + " out of range");
  }
  msg::NewLeader out{m.token(), m.epoch(), static_cast<msg::SyncMode>(m.mode()), m.prev_zxid(), {}, {},
                     m.commit_zxid()};
  out.image.zxid = m.image_zxid();
  if (const fb::Vector<uint8_t>* image = m.image_bytes()) {
    out.image.bytes = std::make_shared<const std::string>(reinterpret_cast<const char*>(image->data()), image->size());
  } else if (out.mode == msg::SyncMode::kSnap) {
    return fail("NewLeader", "SNAP without image bytes");
  }
  if (m.txns() != nullptr) {
    Zxid base_zxid = out.mode == msg::SyncMode::kSnap ? out.image.zxid : out.prev_zxid;
    Status s = decode_txns(*m.txns(), base_zxid, frame_bytes, out.txns);
    if (!s) return fail("NewLeader", s.message());
  }
  return Frame{Message{std::move(out)}};
}

Result<Frame> decode(const wire::AckNewLeader& m) {
  return Frame{Message{msg::AckNewLeader{m.token(), m.epoch(), m.durable_zxid()}}};
}

Result<Frame> decode(const wire::Proposal& m, size_t frame_bytes) {
  if (m.txns() == nullptr || m.txns()->size() == 0) return fail("Proposal", "no txns");
  auto txns = std::make_shared<std::vector<Txn>>();
  Status s = decode_txns(*m.txns(), m.prev_zxid(), frame_bytes, *txns);
  if (!s) return fail("Proposal", s.message());
  return Frame{Message{msg::Proposal{m.token(), m.epoch(), m.prev_zxid(), std::move(txns), m.commit_zxid()}}};
}

Result<Frame> decode(const wire::Ack& m) { return Frame{Message{msg::Ack{m.token(), m.epoch(), m.durable_zxid()}}}; }
Result<Frame> decode(const wire::Commit& m) {
  return Frame{Message{msg::Commit{m.token(), m.epoch(), m.commit_zxid()}}};
}
Result<Frame> decode(const wire::Ping& m) {
  return Frame{Message{msg::Ping{m.token(), m.epoch(), m.last_zxid(), m.commit_zxid()}}};
}

Result<Frame> decode(const wire::ForwardWrite& m, size_t frame_bytes) {
  if (m.request() == nullptr || m.request()->size() == 0) return fail("ForwardWrite", "no request");
  svc::ForwardWrite out{m.epoch(), m.session(), {}, {}};
  if (const auto* ids = m.ids()) {
    if (ids->size() > frame_bytes / kAuthIdWireBytesMin) {
      return fail("ForwardWrite", "more ids than the frame can hold");
    }
    out.ids.reserve(ids->size());
    for (const wire::AuthId* id : *ids) {
      if (id->scheme() == nullptr || id->id() == nullptr) return fail("ForwardWrite", "auth id without scheme or id");
      out.ids.push_back(Id{id->scheme()->str(), id->id()->str()});
    }
  }
  out.request.assign(reinterpret_cast<const char*>(m.request()->data()), m.request()->size());
  return Frame{ServiceMessage{std::move(out)}};
}

Result<Frame> decode(const wire::ForwardSession& m) {
  if (m.timeout_ms() <= 0) return fail("ForwardSession", "timeout " + std::to_string(m.timeout_ms()) + " ms");
  return Frame{ServiceMessage{svc::ForwardSession{m.epoch(), m.session(), m.timeout_ms()}}};
}

Result<Frame> decode(const wire::Touch& m) {
  svc::Touch out{m.epoch(), {}};
  if (const auto* sessions = m.sessions()) {
    out.sessions.reserve(sessions->size());  // verified: 16 bytes each are in the frame
    for (const wire::TouchedSession* s : *sessions) {
      if (s->timeout_ms() <= 0) {
        return fail("Touch", "session " + hex(s->session()) + " with timeout " + std::to_string(s->timeout_ms()));
      }
      out.sessions.emplace_back(s->session(), s->timeout_ms());
    }
  }
  return Frame{ServiceMessage{std::move(out)}};
}

Result<Frame> decode(const wire::SyncRequest& m) {
  return Frame{ServiceMessage{svc::SyncRequest{m.epoch(), m.session(), m.xid()}}};
}
Result<Frame> decode(const wire::SyncReply& m) {
  return Frame{ServiceMessage{svc::SyncReply{m.epoch(), m.session(), m.xid(), m.zxid()}}};
}

// The message in a verified frame. `frame_bytes` bounds the lists a message may claim.
Result<Frame> decode_body(const wire::Frame& f, size_t frame_bytes) {
  if (f.body_type() == wire::Body::NONE) return Status::error("wire: frame without a message");
  if (f.body() == nullptr) return Status::error("wire: message body missing");
  switch (f.body_type()) {
    case wire::Body::Notification: return decode(*f.body_as_Notification());
    case wire::Body::FollowerInfo: return decode(*f.body_as_FollowerInfo());
    case wire::Body::NewEpoch: return decode(*f.body_as_NewEpoch());
    case wire::Body::AckEpoch: return decode(*f.body_as_AckEpoch());
    case wire::Body::NewLeader: return decode(*f.body_as_NewLeader(), frame_bytes);
    case wire::Body::AckNewLeader: return decode(*f.body_as_AckNewLeader());
    case wire::Body::Proposal: return decode(*f.body_as_Proposal(), frame_bytes);
    case wire::Body::Ack: return decode(*f.body_as_Ack());
    case wire::Body::Commit: return decode(*f.body_as_Commit());
    case wire::Body::Ping: return decode(*f.body_as_Ping());
    case wire::Body::ForwardWrite: return decode(*f.body_as_ForwardWrite(), frame_bytes);
    case wire::Body::ForwardSession: return decode(*f.body_as_ForwardSession());
    case wire::Body::Touch: return decode(*f.body_as_Touch());
    case wire::Body::SyncRequest: return decode(*f.body_as_SyncRequest());
    case wire::Body::SyncReply: return decode(*f.body_as_SyncReply());
    default: return Status::error("wire: unknown message type " + std::to_string(static_cast<int>(f.body_type())));
  }
}

}  // namespace

void encode_frame(const Message& m, std::string& out) { encode(m, out); }
void encode_frame(const ServiceMessage& m, std::string& out) { encode(m, out); }

Result<Frame> decode_frame(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status::error("wire: empty frame");
  if (bytes.size() > kFrameBytesMax) return Status::error("wire: frame of " + std::to_string(bytes.size()) + " bytes");
  // Flatbuffers reads scalars where they lie; the widest here are 8 bytes.
  std::unique_ptr<uint64_t[]> aligned;
  const uint8_t* data = bytes.data();
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    aligned.reset(new uint64_t[(bytes.size() + 7) / 8]);
    std::memcpy(aligned.get(), bytes.data(), bytes.size());
    data = reinterpret_cast<const uint8_t*>(aligned.get());
  }
  fb::Verifier::Options options;
  options.max_depth = kVerifyDepthMax;
  // Every table takes at least 4 bytes: a frame we built never has more, and the bound keeps
  // verification linear in the frame's size however a hostile one shares its tables.
  options.max_tables = static_cast<fb::uoffset_t>(bytes.size() / 4 + 16);
  fb::Verifier verifier(data, bytes.size(), options);
  if (!wire::VerifyFrameBuffer(verifier)) return Status::error("wire: not a valid frame (flatbuffers verification)");
  const wire::Frame& frame = *wire::GetFrame(data);
  if (frame.version() != kWireVersion) {
    return Status::error("wire: version " + std::to_string(frame.version()) + ", expected " +
                         std::to_string(kWireVersion));
  }
  return decode_body(frame, bytes.size());
}

}  // namespace rk::quorum
