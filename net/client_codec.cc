// The client protocol's records (zookeeper.jute, org.apache.zookeeper.proto) mapped onto
// Request / Response, for both directions.
//
// Each record's field list is written once, as a template over a FieldReader or FieldWriter,
// so the decoder and the encoder cannot drift apart: what one writes the other reads.
#include "net/client_codec.h"

#include <array>
#include <cstdio>

#include "base/assert.h"
#include "net/jute.h"

namespace rk {

namespace {

constexpr size_t kAclBytesMin = 12;        // perms + two empty ustrings
constexpr size_t kClientInfoBytesMin = 8;  // two empty ustrings
constexpr int32_t kErrorResultType = -1;   // MultiHeader type of a failed sub-op

// OpResult.CreateResult(path, stat) is tagged create2 on the wire, and it is what ZooKeeper
// answers a createTTL or createContainer inside multi with; deleteContainer gets a DeleteResult.
OpCode wire_result_type(OpCode type) {
  switch (type) {
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer: return OpCode::kCreate2;
    case OpCode::kDeleteContainer: return OpCode::kDelete;
    default: return type;
  }
}

// MultiOperationRecord: multi carries write ops only, multiRead getData/getChildren only
// (ZooKeeper refuses to mix the two kinds). Nothing nests.
bool allowed_sub_op(OpCode parent, OpCode op) {
  if (parent == OpCode::kMultiRead) return op == OpCode::kGetData || op == OpCode::kGetChildren;
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kCheck: return true;
    default: return false;
  }
}

bool known_result_type(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kCheck:
    case OpCode::kGetChildren:
    case OpCode::kGetData:
    case OpCode::kError: return true;
    default: return false;
  }
}

template <typename Fields, typename Req>
bool request_body(Fields& f, Req& q);
template <typename Fields, typename Res>
void op_result_body(Fields& f, OpCode wire_type, Res& r);

// The reading half of a field list: fills the fields from untrusted bytes.
class FieldReader {
 public:
  explicit FieldReader(JuteReader& reader) : reader_(reader) {}

  void int32(int32_t& v) { v = reader_.read_int(); }
  void int64(int64_t& v) { v = reader_.read_long(); }
  void boolean(bool& v) { v = reader_.read_bool(); }
  template <typename E>
  void enum32(E& v) { v = static_cast<E>(reader_.read_int()); }
  void string(std::string& v) { reader_.read_string(v); }
  // A znode path: null on the wire is a request ZooKeeper cannot serve (MarshallingError).
  void path(std::string& v) { null_path_ |= reader_.read_buffer(v); }
  void buffer(std::string& v, bool& is_null) { is_null = reader_.read_buffer(v); }
  void strings(std::vector<std::string>& v) { reader_.read_string_vector(v); }
  void stat(Stat& s);
  void acl(AclList& list);
  void client_ids(std::vector<Id>& ids);
  void ops(Request& q);
  void results(std::vector<OpResult>& results);
  bool saw_null_path() const { return null_path_; }

 private:
  JuteReader& reader_;
  bool null_path_ = false;
};

// The writing half: appends the fields of our own values.
class FieldWriter {
 public:
  explicit FieldWriter(JuteWriter& writer) : writer_(writer) {}

  void int32(int32_t v) { writer_.write_int(v); }
  void int64(int64_t v) { writer_.write_long(v); }
  void boolean(bool v) { writer_.write_bool(v); }
  template <typename E>
  void enum32(E v) { writer_.write_int(static_cast<int32_t>(v)); }
  void string(const std::string& v) { writer_.write_string(v); }
  void path(const std::string& v) { writer_.write_string(v); }
  // A null buffer wins over any bytes in `v`: the flag is what ZooKeeper would have stored.
  void buffer(const std::string& v, bool is_null) {
    if (is_null) {
      writer_.write_null_buffer();
    } else {
      writer_.write_buffer(v);
    }
  }
  void strings(const std::vector<std::string>& v) { writer_.write_string_vector(v); }
  void stat(const Stat& s);
  void acl(const AclList& list);
  void client_ids(const std::vector<Id>& ids);
  void ops(const Request& q);
  void results(const std::vector<OpResult>& results);

 private:
  JuteWriter& writer_;
};

// org.apache.zookeeper.data.Stat, field by field.
template <typename Fields, typename S>
void stat_fields(Fields& f, S& s) {
  f.int64(s.czxid);
  f.int64(s.mzxid);
  f.int64(s.ctime);
  f.int64(s.mtime);
  f.int32(s.version);
  f.int32(s.cversion);
  f.int32(s.aversion);
  f.int64(s.ephemeral_owner);
  f.int32(s.data_length);
  f.int32(s.num_children);
  f.int64(s.pzxid);
}

void FieldReader::stat(Stat& s) { stat_fields(*this, s); }

// The same fields as stat_fields, stored into one fixed-size record: a Stat goes into most
// replies, and one append is far cheaper than eleven.
constexpr size_t kStatBytes = 68;

void FieldWriter::stat(const Stat& s) {
  char record[kStatBytes];
  char* at = put_long(record, s.czxid);
  at = put_long(at, s.mzxid);
  at = put_long(at, s.ctime);
  at = put_long(at, s.mtime);
  at = put_int(at, s.version);
  at = put_int(at, s.cversion);
  at = put_int(at, s.aversion);
  at = put_long(at, s.ephemeral_owner);
  at = put_int(at, s.data_length);
  at = put_int(at, s.num_children);
  at = put_long(at, s.pzxid);
  RK_ASSERT(at == record + kStatBytes);
  writer_.write_raw(std::string_view(record, kStatBytes));
}

void FieldReader::acl(AclList& list) {
  list.clear();
  int32_t count = reader_.read_count(kAclBytesMin);
  list.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && !reader_.failed(); ++i) {
    Acl& acl = list.emplace_back();
    acl.perms = reader_.read_int();
    reader_.read_string(acl.id.scheme);
    reader_.read_string(acl.id.id);
  }
}

void FieldWriter::acl(const AclList& list) {
  writer_.write_count(list.size());
  for (const Acl& acl : list) {
    writer_.write_int(acl.perms);
    writer_.write_string(acl.id.scheme);
    writer_.write_string(acl.id.id);
  }
}

// WhoAmIResponse: vector<ClientInfo{ustring authScheme; ustring user}>.
void FieldReader::client_ids(std::vector<Id>& ids) {
  ids.clear();
  int32_t count = reader_.read_count(kClientInfoBytesMin);
  ids.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && !reader_.failed(); ++i) {
    Id& id = ids.emplace_back();
    reader_.read_string(id.scheme);
    reader_.read_string(id.id);
  }
}

void FieldWriter::client_ids(const std::vector<Id>& ids) {
  writer_.write_count(ids.size());
  for (const Id& id : ids) {
    writer_.write_string(id.scheme);
    writer_.write_string(id.id);
  }
}

// MultiOperationRecord: MultiHeader{type, done, err} + body per op, until a header with
// done set. Every op consumes at least its 9-byte header, so the loop ends with the input.
void FieldReader::ops(Request& q) {
  q.ops.clear();
  while (!reader_.failed()) {
    OpCode type = static_cast<OpCode>(reader_.read_int());
    bool done = reader_.read_bool();
    reader_.read_int();  // err: meaningless in a request
    if (reader_.failed() || done) return;
    if (!allowed_sub_op(q.type, type)) {
      reader_.fail();
      return;
    }
    Request& op = q.ops.emplace_back();
    op.type = type;
    request_body(*this, op);
  }
}

void FieldWriter::ops(const Request& q) {
  for (const Request& op : q.ops) {
    RK_ASSERT(allowed_sub_op(q.type, op.type));
    writer_.write_int(static_cast<int32_t>(op.type));
    writer_.write_bool(false);
    writer_.write_int(-1);
    request_body(*this, op);
  }
  writer_.write_int(-1);
  writer_.write_bool(true);
  writer_.write_int(-1);
}

// MultiResponse: the same framing; a failed op is type -1 with ErrorResponse{err}.
void FieldReader::results(std::vector<OpResult>& results) {
  results.clear();
  while (!reader_.failed()) {
    OpCode type = static_cast<OpCode>(reader_.read_int());
    bool done = reader_.read_bool();
    reader_.read_int();  // err: repeated in the ErrorResponse body of a failed op
    if (reader_.failed() || done) return;
    if (!known_result_type(type)) {
      reader_.fail();
      return;
    }
    OpResult& result = results.emplace_back();
    result.type = type;
    op_result_body(*this, type, result);
  }
}

void FieldWriter::results(const std::vector<OpResult>& results) {
  for (const OpResult& result : results) {
    OpCode wire_type = wire_result_type(result.type);
    RK_ASSERT(known_result_type(wire_type));
    bool failed = wire_type == OpCode::kError;
    writer_.write_int(static_cast<int32_t>(wire_type));
    writer_.write_bool(false);
    writer_.write_int(failed ? static_cast<int32_t>(result.err) : 0);
    op_result_body(*this, wire_type, result);
  }
  writer_.write_int(kErrorResultType);
  writer_.write_bool(true);
  writer_.write_int(-1);
}

// The records of the ops that change the tree (and may appear inside multi). Returns false
// for any other opcode.
template <typename Fields, typename Req>
bool change_request_body(Fields& f, Req& q) {
  switch (q.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:  // CreateRequest, CreateTTLRequest
      f.path(q.path);
      f.buffer(q.data, q.data_is_null);
      f.acl(q.acl);
      f.int32(q.flags);
      if (q.type == OpCode::kCreateTtl) f.int64(q.ttl);
      return true;
    case OpCode::kDelete:
    case OpCode::kCheck:  // DeleteRequest, CheckVersionRequest
      f.path(q.path);
      f.int32(q.version);
      return true;
    case OpCode::kSetData:
      f.path(q.path);
      f.buffer(q.data, q.data_is_null);
      f.int32(q.version);
      return true;
    case OpCode::kSetAcl:
      f.path(q.path);
      f.acl(q.acl);
      f.int32(q.version);
      return true;
    default:
      return false;
  }
}

// The request record that follows a RequestHeader of type q.type (zookeeper.jute). Returns
// false for an opcode without a known record.
template <typename Fields, typename Req>
bool request_body(Fields& f, Req& q) {
  switch (q.type) {
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      f.path(q.path);
      f.boolean(q.watch);
      return true;
    case OpCode::kGetAcl:
    case OpCode::kSync:
    case OpCode::kGetEphemerals:
    case OpCode::kGetAllChildrenNumber:
      f.path(q.path);
      return true;
    case OpCode::kAddWatch:
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches:  // {path, mode} / {path, type}
      f.path(q.path);
      f.int32(q.flags);
      return true;
    case OpCode::kMulti:
    case OpCode::kMultiRead:
      f.ops(q);
      return true;
    case OpCode::kAuth:  // AuthPacket{type, scheme, auth}
      f.int32(q.flags);
      f.string(q.path);
      f.buffer(q.data, q.data_is_null);
      return true;
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
      f.int64(q.watches.relative_zxid);
      f.strings(q.watches.data);
      f.strings(q.watches.exist);
      f.strings(q.watches.child);
      if (q.type == OpCode::kSetWatches2) {
        f.strings(q.watches.persistent);
        f.strings(q.watches.persistent_recursive);
      }
      return true;
    case OpCode::kReconfig:
      f.string(q.joining);
      f.string(q.leaving);
      f.string(q.new_members);
      f.int64(q.cur_config_id);
      return true;
    case OpCode::kSasl:  // GetSASLRequest{token}
      f.buffer(q.data, q.data_is_null);
      return true;
    case OpCode::kPing:
    case OpCode::kCloseSession:
    case OpCode::kWhoAmI:
      return true;
    default:
      return change_request_body(f, q);
  }
}

// The body after a MultiHeader of a MultiResponse, by its wire type.
template <typename Fields, typename Res>
void op_result_body(Fields& f, OpCode wire_type, Res& r) {
  switch (wire_type) {
    case OpCode::kCreate:
      f.string(r.path);
      break;
    case OpCode::kCreate2:
      f.string(r.path);
      f.stat(r.stat);
      break;
    case OpCode::kSetData:
      f.stat(r.stat);
      break;
    case OpCode::kGetChildren:
      f.strings(r.children);
      break;
    case OpCode::kGetData:
      f.buffer(r.data, r.data_is_null);
      f.stat(r.stat);
      break;
    case OpCode::kError:
      f.enum32(r.err);
      break;
    default:  // delete, check: no body
      break;
  }
}

// The body of a successful reply to a request of type r.type (FinalRequestProcessor).
template <typename Fields, typename Res>
void response_body(Fields& f, Res& r) {
  switch (r.type) {
    case OpCode::kCreate:
    case OpCode::kSync:
      f.string(r.path);
      break;
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer:
      f.string(r.path);
      f.stat(r.stat);
      break;
    case OpCode::kExists:
    case OpCode::kSetData:
    case OpCode::kSetAcl:
    case OpCode::kCheck:  // answered with a SetDataResponse
      f.stat(r.stat);
      break;
    case OpCode::kGetData:
    case OpCode::kReconfig:  // answered with a GetDataResponse
      f.buffer(r.data, r.data_is_null);
      f.stat(r.stat);
      break;
    case OpCode::kGetChildren:
    case OpCode::kGetEphemerals:
      f.strings(r.children);
      break;
    case OpCode::kGetChildren2:
      f.strings(r.children);
      f.stat(r.stat);
      break;
    case OpCode::kGetAcl:
      f.acl(r.acl);
      f.stat(r.stat);
      break;
    case OpCode::kGetAllChildrenNumber:
      f.int32(r.number);
      break;
    case OpCode::kAddWatch: {
      // ZooKeeper answers ErrorResponse(0), and the Java client reads it: leaving it out
      // makes that client fail the connection.
      int32_t zero = 0;
      f.int32(zero);
      break;
    }
    case OpCode::kWhoAmI:
      f.client_ids(r.client_ids);
      break;
    case OpCode::kSasl:  // SetSASLResponse{token}
      f.buffer(r.data, r.data_is_null);
      break;
    case OpCode::kMulti:
    case OpCode::kMultiRead:
      f.results(r.results);
      break;
    default:  // delete, setWatches, auth, ping, closeSession, checkWatches, ...: no body
      break;
  }
}

bool is_multi(OpCode type) { return type == OpCode::kMulti || type == OpCode::kMultiRead; }

Status malformed(const char* what, int32_t type, const JuteReader& reader) {
  char message[96];
  std::snprintf(message, sizeof(message), "malformed %s (opcode %d) at byte %zu", what, type,
                reader.offset());
  return Status::error(message);
}

Status trailing(const char* what, int32_t type, const JuteReader& reader) {
  char message[96];
  std::snprintf(message, sizeof(message), "%zu bytes after the %s (opcode %d)",
                reader.remaining(), what, type);
  return Status::error(message);
}

}  // namespace

// --- server side ---------------------------------------------------------------------

Result<ConnectRequest> decode_connect_request(std::span<const uint8_t> payload) {
  JuteReader reader(payload);
  ConnectRequest request;
  request.protocol_version = reader.read_int();
  request.last_zxid_seen = reader.read_long();
  request.timeout_ms = reader.read_int();
  request.session_id = reader.read_long();
  reader.read_buffer(request.passwd);
  if (reader.failed()) return Status::error("malformed ConnectRequest");
  if (reader.remaining() > 0) {
    request.read_only = reader.read_bool();
    request.has_read_only = true;
  }
  if (reader.remaining() > 0) return Status::error("bytes after the ConnectRequest");
  return request;
}

Status decode_request(std::span<const uint8_t> payload, Request& out) {
  JuteReader reader(payload);
  out.xid = reader.read_int();
  int32_t type = reader.read_int();
  if (reader.failed()) return Status::error("request shorter than its header");
  out.type = static_cast<OpCode>(type);
  FieldReader fields(reader);
  // An unknown opcode's body cannot be checked; the engine refuses the request anyway.
  if (!request_body(fields, out)) return Status::ok();
  // A body that does not decode (or names a null path) is answered, not fatal: ZooKeeper
  // replies MarshallingError and keeps the connection. Bytes after a complete body are
  // ignored, as ZooKeeper's record readers do.
  if (reader.failed() || fields.saw_null_path()) {
    int32_t xid = out.xid;
    out = Request{};
    out.xid = xid;
    out.type = static_cast<OpCode>(type);
    out.malformed = true;
  }
  return Status::ok();
}

Result<Request> decode_request(std::span<const uint8_t> payload) {
  Request request;
  Status decoded = decode_request(payload, request);
  if (!decoded) return decoded;
  return request;
}

void encode_connect_response(const ConnectResponse& response, std::string& out) {
  JuteWriter writer(out);
  size_t frame = writer.begin_frame();
  writer.write_int(response.protocol_version);
  writer.write_int(response.timeout_ms);
  writer.write_long(response.session_id);
  writer.write_buffer(response.passwd);
  if (response.has_read_only) writer.write_bool(response.read_only);
  writer.end_frame(frame);
}

// A multi carries its results even with a non-ok err; ZooKeeper's clients read a body only
// when err is 0, so an error without results is best sent with `results` empty.
void encode_response(const Response& response, std::string& out) {
  JuteWriter writer(out);
  size_t frame = writer.begin_frame();
  char header[16];  // ReplyHeader{xid, zxid, err}
  put_int(put_long(put_int(header, response.xid), response.zxid), static_cast<int32_t>(response.err));
  writer.write_raw(std::string_view(header, sizeof(header)));
  if (response.err == Err::kOk || is_multi(response.type)) {
    FieldWriter fields(writer);
    response_body(fields, response);
  }
  writer.end_frame(frame);
}

void encode_watch_event(const WatchEvent& event, std::string& out) {
  JuteWriter writer(out);
  size_t frame = writer.begin_frame();
  writer.write_int(kNotificationXid);
  writer.write_long(event.zxid);
  writer.write_int(0);
  writer.write_int(static_cast<int32_t>(event.type));
  writer.write_int(static_cast<int32_t>(event.state));
  writer.write_string(event.path);
  writer.end_frame(frame);
}

std::optional<std::string_view> four_letter_word(std::span<const uint8_t> first4) {
  // FourLetterCommands.java (3.8): the words a new connection may send instead of a length.
  static constexpr std::array<std::string_view, 18> kWords = {
      "ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "wchs",
      "wchc", "wchp", "dump", "envi", "dirs", "isro", "gtmk", "stmk", "hash"};
  if (first4.size() < 4) return std::nullopt;
  std::string_view head(reinterpret_cast<const char*>(first4.data()), 4);
  for (std::string_view word : kWords) {
    if (word == head) return word;
  }
  return std::nullopt;
}

// --- client side (load generator, tests) ----------------------------------------------

void encode_connect_request(const ConnectRequest& request, std::string& out) {
  JuteWriter writer(out);
  size_t frame = writer.begin_frame();
  writer.write_int(request.protocol_version);
  writer.write_long(request.last_zxid_seen);
  writer.write_int(request.timeout_ms);
  writer.write_long(request.session_id);
  writer.write_buffer(request.passwd);
  if (request.has_read_only) writer.write_bool(request.read_only);
  writer.end_frame(frame);
}

// An opcode without a known record is sent as a bare header.
void encode_request(const Request& request, std::string& out) {
  JuteWriter writer(out);
  size_t frame = writer.begin_frame();
  writer.write_int(request.xid);
  writer.write_int(static_cast<int32_t>(request.type));
  FieldWriter fields(writer);
  request_body(fields, request);
  writer.end_frame(frame);
}

Result<ConnectResponse> decode_connect_response(std::span<const uint8_t> payload) {
  JuteReader reader(payload);
  ConnectResponse response;
  response.protocol_version = reader.read_int();
  response.timeout_ms = reader.read_int();
  response.session_id = reader.read_long();
  reader.read_buffer(response.passwd);
  if (reader.failed()) return Status::error("malformed ConnectResponse");
  if (reader.remaining() > 0) {
    response.read_only = reader.read_bool();
    response.has_read_only = true;
  }
  if (reader.remaining() > 0) return Status::error("bytes after the ConnectResponse");
  return response;
}

Result<Response> decode_response(std::span<const uint8_t> payload, OpCode request_type,
                                 WatchEvent* event) {
  JuteReader reader(payload);
  Response response;
  response.xid = reader.read_int();
  response.zxid = reader.read_long();
  response.err = static_cast<Err>(reader.read_int());
  if (reader.failed()) return Status::error("reply shorter than its header");
  if (response.xid == kNotificationXid) {
    WatchEvent decoded;
    decoded.type = static_cast<EventType>(reader.read_int());
    decoded.state = static_cast<KeeperState>(reader.read_int());
    reader.read_string(decoded.path);
    decoded.zxid = response.zxid;
    if (reader.failed()) return malformed("watch event", kNotificationXid, reader);
    if (reader.remaining() > 0) return trailing("watch event", kNotificationXid, reader);
    if (event != nullptr) *event = std::move(decoded);
    return response;
  }
  response.type = request_type;
  int32_t type = static_cast<int32_t>(request_type);
  // A failed multi may come with or without its results (see encode_response).
  bool has_body = response.err == Err::kOk || (is_multi(request_type) && reader.remaining() > 0);
  if (has_body) {
    FieldReader fields(reader);
    response_body(fields, response);
  }
  if (reader.failed()) return malformed("reply", type, reader);
  if (reader.remaining() > 0) return trailing("reply", type, reader);
  return response;
}

}  // namespace rk
