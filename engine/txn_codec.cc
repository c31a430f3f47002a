// Txn encoding and bounds-checked decoding; the layout is written down in txn_codec.h.
#include "engine/txn_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace rk {
namespace {

// Encoding is two passes over the same field list (encode_body): a Sizer adds up the bytes,
// then the record's room is made once and a Writer stores each field at a cursor, with no
// per-field capacity check or append.
class Sizer {
 public:
  void u8(uint8_t) { bytes_ += 1; }
  void i32(int32_t) { bytes_ += 4; }
  void i64(int64_t) { bytes_ += 8; }
  void str(std::string_view s) { bytes_ += 4 + s.size(); }
  void data(const std::string& d, bool is_null) { bytes_ += 4 + (is_null ? 0 : d.size()); }
  void acl(const AclList& acl) {
    bytes_ += 4;
    for (const Acl& a : acl) bytes_ += 4 + 4 + a.id.scheme.size() + 4 + a.id.id.size();
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
};

// Stores into room the Sizer measured; the field list is the same, so it fits exactly.
class Writer {
 public:
  explicit Writer(char* at) : at_(at) {}
  void u8(uint8_t v) { *at_++ = static_cast<char>(v); }
  void i32(int32_t v) { put(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v)); }
  void str(std::string_view s) {
    i32(static_cast<int32_t>(s.size()));
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  void data(const std::string& d, bool is_null) {
    if (is_null) {
      i32(-1);
    } else {
      str(d);
    }
  }
  void acl(const AclList& acl) {
    i32(static_cast<int32_t>(acl.size()));
    for (const Acl& a : acl) {
      i32(a.perms);
      str(a.id.scheme);
      str(a.id.id);
    }
  }
  const char* at() const { return at_; }

 private:
  // Little-endian, as the format says: one store on a little-endian host.
  template <class U>
  void put(U v) {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(at_, &v, sizeof(v));
    } else {
      for (size_t i = 0; i < sizeof(v); ++i) at_[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    at_ += sizeof(v);
  }
  char* at_;
};

// Reads from untrusted bytes: every read checks the remaining length; the first failure
// sticks and later reads return zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  void fail() { ok_ = false; }

  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  int32_t i32() { return static_cast<int32_t>(static_cast<uint32_t>(get(4))); }
  int64_t i64() { return static_cast<int64_t>(get(8)); }
  uint32_t count() { return static_cast<uint32_t>(get(4)); }
  std::string str() {
    uint32_t n = count();
    return bytes(n);
  }
  void data(std::string& d, bool& is_null) {
    int32_t n = i32();
    is_null = n == -1;
    if (n < -1) fail();
    d = n > 0 ? bytes(static_cast<uint32_t>(n)) : std::string();
  }
  AclList acl() {
    uint32_t n = count();
    AclList out;
    // Each entry takes at least 12 bytes: a count that cannot fit is corrupt, not a reason
    // to allocate.
    if (n > (in_.size() - pos_) / 12) fail();
    for (uint32_t i = 0; ok_ && i < n; ++i) {
      Acl a;
      a.perms = i32();
      a.id.scheme = str();
      a.id.id = str();
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  uint64_t get(int n) {
    if (!ok_ || in_.size() - pos_ < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  std::string bytes(uint32_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool is_sub_type(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kCheck:
    case OpCode::kError:
      return true;
    default:
      return false;
  }
}

template <class W>
void encode_body(const Txn& txn, W& w) {
  switch (txn.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      w.str(txn.path);
      w.data(txn.data, txn.data_is_null);
      w.acl(txn.acl);
      if (txn.type == OpCode::kCreate || txn.type == OpCode::kCreate2) w.u8(txn.ephemeral ? 1 : 0);
      w.i32(txn.parent_cversion);
      if (txn.type == OpCode::kCreateTtl) w.i64(txn.ttl_ms);
      break;
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      w.str(txn.path);
      break;
    case OpCode::kSetData:
      w.str(txn.path);
      w.data(txn.data, txn.data_is_null);
      w.i32(txn.version);
      break;
    case OpCode::kSetAcl:
      w.str(txn.path);
      w.acl(txn.acl);
      w.i32(txn.version);
      break;
    case OpCode::kCheck:
      w.str(txn.path);
      w.i32(txn.version);
      break;
    case OpCode::kError:
      w.i32(static_cast<int32_t>(txn.err));
      break;
    case OpCode::kCreateSession:
      w.i32(txn.timeout_ms);
      break;
    case OpCode::kCloseSession:
      w.i32(static_cast<int32_t>(txn.paths.size()));
      for (const std::string& p : txn.paths) w.str(p);
      break;
    case OpCode::kMulti:
      w.i32(static_cast<int32_t>(txn.ops.size()));
      for (const Txn& op : txn.ops) {
        w.i32(static_cast<int32_t>(op.type));
        encode_body(op, w);
      }
      break;
    default:
      RK_ASSERT(false && "encoding a txn of an unknown type");
  }
}

// Returns false for a type no txn has.
bool decode_body(Txn& txn, Reader& r, bool nested) {
  switch (txn.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl: {
      txn.path = r.str();
      r.data(txn.data, txn.data_is_null);
      txn.acl = r.acl();
      if (txn.type == OpCode::kCreate || txn.type == OpCode::kCreate2) {
        uint8_t eph = r.u8();
        if (eph > 1) r.fail();
        txn.ephemeral = eph == 1;
      }
      txn.parent_cversion = r.i32();
      if (txn.type == OpCode::kCreateTtl) txn.ttl_ms = r.i64();
      return true;
    }
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      txn.path = r.str();
      return true;
    case OpCode::kSetData:
      txn.path = r.str();
      r.data(txn.data, txn.data_is_null);
      txn.version = r.i32();
      return true;
    case OpCode::kSetAcl:
      txn.path = r.str();
      txn.acl = r.acl();
      txn.version = r.i32();
      return true;
    case OpCode::kCheck:
      txn.path = r.str();
      txn.version = r.i32();
      return true;
    case OpCode::kError:
      txn.err = static_cast<Err>(r.i32());
      return true;
    case OpCode::kCreateSession:
      txn.timeout_ms = r.i32();
      return !nested;
    case OpCode::kCloseSession: {
      uint32_t n = r.count();
      for (uint32_t i = 0; r.ok() && i < n; ++i) txn.paths.push_back(r.str());
      return !nested;
    }
    case OpCode::kMulti: {
      if (nested) return false;
      uint32_t n = r.count();
      for (uint32_t i = 0; r.ok() && i < n; ++i) {
        Txn op = make_txn(txn.session_id, txn.cxid, txn.zxid, txn.time_ms, static_cast<OpCode>(r.i32()));
        if (!r.ok()) break;
        if (!is_sub_type(op.type) || !decode_body(op, r, true)) return false;
        txn.ops.push_back(std::move(op));
      }
      return true;
    }
    default:
      return false;
  }
}

template <class W>
void encode_fields(const Txn& txn, W& w) {
  w.i64(txn.session_id);
  w.i32(txn.cxid);
  w.i64(txn.zxid);
  w.i64(txn.time_ms);
  w.i32(static_cast<int32_t>(txn.type));
  encode_body(txn, w);
}

}  // namespace

void encode_txn(const Txn& txn, std::string& out) {
  Sizer sizer;
  encode_fields(txn, sizer);
  const size_t start = out.size();
  out.resize(start + sizer.bytes());
  Writer w(out.data() + start);
  encode_fields(txn, w);
  RK_ASSERT(w.at() == out.data() + out.size());
}

Result<Txn> decode_txn(std::string_view bytes) {
  Reader r(bytes);
  Txn txn;
  txn.session_id = r.i64();
  txn.cxid = r.i32();
  txn.zxid = r.i64();
  txn.time_ms = r.i64();
  txn.type = static_cast<OpCode>(r.i32());
  if (!r.ok()) return Status::error("txn record: truncated header");
  if (!decode_body(txn, r, false)) return Status::error("txn record: unknown or misplaced txn type");
  if (!r.ok()) return Status::error("txn record: truncated or malformed body");
  if (!r.at_end()) return Status::error("txn record: trailing bytes");
  return txn;
}

}  // namespace rk
