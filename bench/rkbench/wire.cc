// Encoders for the client frames the load generator sends.
#include "bench/rkbench/wire.h"

namespace rkbench {
namespace {

constexpr size_t kRequestHeaderBytes = 8;  // RequestHeader{int xid, int type}
constexpr std::string_view kWorld = "world";
constexpr std::string_view kAnyone = "anyone";

}  // namespace

void encode_connect(int32_t timeout_ms, std::vector<uint8_t>& out) {
  static constexpr char kZeroPassword[kPasswordBytes] = {};
  std::string_view password(kZeroPassword, kPasswordBytes);
  FrameWriter w(out, 4 + 8 + 4 + 8 + FrameWriter::buffer_bytes(password) + 1);
  w.int32(0);   // protocolVersion
  w.int64(0);   // lastZxidSeen
  w.int32(timeout_ms);
  w.int64(0);   // sessionId: 0 asks for a new session
  w.buffer(password);
  w.boolean(false);  // readOnly
}

std::optional<ConnectReply> decode_connect(std::span<const uint8_t> payload) {
  // protocolVersion(4) timeOut(4) sessionId(8) passwd(4 + n) [readOnly(1)]
  if (payload.size() < 20) return std::nullopt;
  ConnectReply reply;
  reply.timeout_ms = static_cast<int32_t>(get_be32(payload.data() + 4));
  reply.session_id = static_cast<int64_t>(get_be64(payload.data() + 8));
  if (reply.timeout_ms <= 0) return std::nullopt;
  return reply;
}

void encode_header_only(int32_t xid, Op op, std::vector<uint8_t>& out) {
  FrameWriter w(out, kRequestHeaderBytes);
  w.int32(xid);
  w.int32(static_cast<int32_t>(op));
}

size_t create_body_bytes(std::string_view path, std::string_view data) {
  return FrameWriter::buffer_bytes(path) + FrameWriter::buffer_bytes(data) + 4 + 4 +
         FrameWriter::buffer_bytes(kWorld) + FrameWriter::buffer_bytes(kAnyone) + 4;
}

void encode_create_body(FrameWriter& w, std::string_view path, std::string_view data,
                        int32_t flags) {
  w.buffer(path);
  w.buffer(data);
  w.int32(1);   // one ACL: world:anyone with every permission
  w.int32(31);
  w.buffer(kWorld);
  w.buffer(kAnyone);
  w.int32(flags);
}

void encode_create(int32_t xid, std::string_view path, std::string_view data, int32_t flags,
                   std::vector<uint8_t>& out) {
  FrameWriter w(out, kRequestHeaderBytes + create_body_bytes(path, data));
  w.int32(xid);
  w.int32(static_cast<int32_t>(Op::kCreate));
  encode_create_body(w, path, data, flags);
}

void encode_delete(int32_t xid, std::string_view path, std::vector<uint8_t>& out) {
  FrameWriter w(out, kRequestHeaderBytes + FrameWriter::buffer_bytes(path) + 4);
  w.int32(xid);
  w.int32(static_cast<int32_t>(Op::kDelete));
  w.buffer(path);
  w.int32(-1);  // any version
}

void encode_set_data(int32_t xid, std::string_view path, std::string_view data,
                     std::vector<uint8_t>& out) {
  FrameWriter w(out, kRequestHeaderBytes + FrameWriter::buffer_bytes(path) +
                         FrameWriter::buffer_bytes(data) + 4);
  w.int32(xid);
  w.int32(static_cast<int32_t>(Op::kSetData));
  w.buffer(path);
  w.buffer(data);
  w.int32(-1);  // any version
}

void encode_read(int32_t xid, Op op, std::string_view path, std::vector<uint8_t>& out) {
  FrameWriter w(out, kRequestHeaderBytes + FrameWriter::buffer_bytes(path) + 1);
  w.int32(xid);
  w.int32(static_cast<int32_t>(op));
  w.buffer(path);
  w.boolean(false);  // no watch
}

}  // namespace rkbench
