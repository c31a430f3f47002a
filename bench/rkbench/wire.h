// The few ZooKeeper client frames the load generator sends, encoded straight into a send
// buffer (no intermediate request objects), and the reply header it reads back. Formats are
// ZooKeeper's jute: big-endian ints and longs, 1-byte booleans, int-length-prefixed strings,
// every frame prefixed by its int length.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace rkbench {

// ZooDefs.OpCode values used here.
enum class Op : int32_t {
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetChildren = 8,
  kPing = 11,
  kMulti = 14,
  kCloseSession = -11,
};

inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kNotificationXid = -1;
inline constexpr size_t kPasswordBytes = 16;

// Appends one frame of a size computed up front: the caller passes the payload size, the
// writer grows the vector once and fills it through a pointer (no per-field bounds or
// growth checks). Writing other than exactly that many bytes is a bug, asserted at the end.
class FrameWriter {
 public:
  FrameWriter(std::vector<uint8_t>& out, size_t payload_bytes) {
    size_t at = out.size();
    out.resize(at + 4 + payload_bytes);
    p_ = out.data() + at;
    end_ = p_ + 4 + payload_bytes;
    int32(static_cast<int32_t>(payload_bytes));
  }
  ~FrameWriter() { assert(p_ == end_); }

  void int32(int32_t v) {
    put_be32(p_, static_cast<uint32_t>(v));
    p_ += 4;
  }
  void int64(int64_t v) {
    int32(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
    int32(static_cast<int32_t>(v & 0xffffffff));
  }
  void boolean(bool v) { *p_++ = v ? 1 : 0; }
  void buffer(std::string_view bytes) {
    int32(static_cast<int32_t>(bytes.size()));
    std::memcpy(p_, bytes.data(), bytes.size());
    p_ += bytes.size();
  }

  static constexpr size_t buffer_bytes(std::string_view bytes) { return 4 + bytes.size(); }
  static void put_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
  }

 private:
  uint8_t* p_;
  uint8_t* end_;
};

inline uint32_t get_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t get_be64(const uint8_t* p) {
  return (uint64_t{get_be32(p)} << 32) | get_be32(p + 4);
}

// ConnectRequest{protocolVersion 0, lastZxidSeen 0, timeOut, sessionId 0, passwd 16 zero
// bytes, readOnly false}.
void encode_connect(int32_t timeout_ms, std::vector<uint8_t>& out);

struct ConnectReply {
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
};
// Decodes a ConnectResponse payload (without the frame length); nullopt if it is short or
// the server refused the session (timeout 0).
std::optional<ConnectReply> decode_connect(std::span<const uint8_t> payload);

// The body-less requests (ping, closeSession).
void encode_header_only(int32_t xid, Op op, std::vector<uint8_t>& out);
// create with world:anyone:cdrwa and the given CreateMode flags.
void encode_create(int32_t xid, std::string_view path, std::string_view data, int32_t flags,
                   std::vector<uint8_t>& out);
void encode_delete(int32_t xid, std::string_view path, std::vector<uint8_t>& out);
void encode_set_data(int32_t xid, std::string_view path, std::string_view data,
                     std::vector<uint8_t>& out);
// exists, getData, getChildren: a path and watch=false.
void encode_read(int32_t xid, Op op, std::string_view path, std::vector<uint8_t>& out);

// multi: `count` sub-operations, each either setData (version -1) or create on paths a
// callback names. The callback fills `path` for sub-op i.
struct MultiSpec {
  Op sub_op = Op::kSetData;
  std::string_view data;
  int32_t create_flags = 0;
};
template <typename PathFn>
void encode_multi(int32_t xid, const MultiSpec& spec, int count, PathFn&& path_of,
                  std::vector<uint8_t>& out);

// ReplyHeader{xid, zxid, err}: the first 16 bytes of every reply payload.
struct ReplyHeader {
  int32_t xid;
  int64_t zxid;
  int32_t err;
};
inline constexpr size_t kReplyHeaderBytes = 16;
inline ReplyHeader decode_reply_header(const uint8_t* payload) {
  return {static_cast<int32_t>(get_be32(payload)), static_cast<int64_t>(get_be64(payload + 4)),
          static_cast<int32_t>(get_be32(payload + 12))};
}

// --- template definitions --------------------------------------------------------------

// The CreateRequest body after the header, and its size.
size_t create_body_bytes(std::string_view path, std::string_view data);
void encode_create_body(FrameWriter& w, std::string_view path, std::string_view data,
                        int32_t flags);

// Sub-operation paths are produced twice (sizing, then writing); path_of must return the
// same path for the same index within one call, and may reuse one buffer between calls.
template <typename PathFn>
void encode_multi(int32_t xid, const MultiSpec& spec, int count, PathFn&& path_of,
                  std::vector<uint8_t>& out) {
  constexpr size_t kMultiHeaderBytes = 9;  // MultiHeader{int type, bool done, int err}
  size_t payload = 8 + kMultiHeaderBytes;  // RequestHeader + the terminating MultiHeader
  for (int i = 0; i < count; i++) {
    std::string_view path = path_of(i);
    payload += kMultiHeaderBytes + (spec.sub_op == Op::kCreate
                                        ? create_body_bytes(path, spec.data)
                                        : FrameWriter::buffer_bytes(path) +
                                              FrameWriter::buffer_bytes(spec.data) + 4);
  }
  FrameWriter w(out, payload);
  w.int32(xid);
  w.int32(static_cast<int32_t>(Op::kMulti));
  for (int i = 0; i < count; i++) {
    std::string_view path = path_of(i);
    w.int32(static_cast<int32_t>(spec.sub_op));
    w.boolean(false);
    w.int32(-1);
    if (spec.sub_op == Op::kCreate) {
      encode_create_body(w, path, spec.data, spec.create_flags);
    } else {
      w.buffer(path);
      w.buffer(spec.data);
      w.int32(-1);
    }
  }
  w.int32(-1);
  w.boolean(true);
  w.int32(-1);
}

}  // namespace rkbench
