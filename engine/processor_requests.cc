// Handshakes, auth packets and requests as they arrive: refusals, per-session reply order,
// and writes validated into txns and handed to the log.
#include <algorithm>

#include "base/assert.h"
#include "engine/processor_impl.h"

namespace rk {
namespace {

// Request.isValid in ZooKeeper 3.8: anything else is answered Unimplemented, then closed.
// check (13) is only valid inside multi; createSession/closeSession come from the handshake
// and the client's close.
bool is_valid_request(OpCode type) {
  switch (type) {
    case OpCode::kCloseSession:
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer:
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
    case OpCode::kExists:
    case OpCode::kGetAcl:
    case OpCode::kGetChildren:
    case OpCode::kGetAllChildrenNumber:
    case OpCode::kGetChildren2:
    case OpCode::kGetData:
    case OpCode::kGetEphemerals:
    case OpCode::kMulti:
    case OpCode::kMultiRead:
    case OpCode::kPing:
    case OpCode::kReconfig:
    case OpCode::kSetAcl:
    case OpCode::kSetData:
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
    case OpCode::kSync:
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches:
    case OpCode::kAddWatch:
    case OpCode::kWhoAmI:
      return true;
    default:
      return false;
  }
}

}  // namespace

// ---- connections

Connection* Processor::Impl::alive(const ConnRef& ref) {
  auto it = conns_.find(ref);
  return it == conns_.end() ? nullptr : &it->second;
}

void Processor::Impl::drop_connection(const ConnRef& ref) {
  auto it = conns_.find(ref);
  if (it == conns_.end()) return;
  Connection& conn = it->second;
  watches_.remove_watcher(conn.watcher);
  watcher_conns_.erase(conn.watcher);
  auto local = locals_.find(conn.session);
  if (local != locals_.end() && local->second.has_conn && local->second.conn == ref) {
    local->second.has_conn = false;
  }
  conns_.erase(it);
}

void Processor::Impl::on_connect(Inbound& in) {
  const ConnectRequest& req = in.connect;
  ++stats_.packets_received;
  if (conns_.count(in.conn) != 0) return;  // one handshake per connection
  // No leader serves: the client tries another member.
  if (role_ == ReplicaRole::kLooking) {
    send_close(in.conn);
    return;
  }
  // The client saw a newer state than ours: refuse it so it tries another server.
  if (req.last_zxid_seen > last_processed_zxid_) {
    send_close(in.conn);
    return;
  }
  if (req.session_id != 0) {
    const Session* s = sessions_.find(req.session_id);
    if (s == nullptr || s->closing || req.passwd != SessionTable::password(req.session_id)) {
      ConnectResponse refused{0, 0, 0, std::string(16, '\0'), false, req.has_read_only};
      out_.send(make_connect_reply(in.conn, std::move(refused)));
      return;
    }
  }
  Connection conn;
  conn.ref = in.conn;
  conn.watcher = next_watcher_++;
  conn.ids.push_back(Id{"ip", host_of(in.remote)});
  conn.stats.conn = in.conn;
  conn.stats.remote = in.remote;
  conn.stats.timeout_ms = std::clamp(req.timeout_ms, min_timeout_ms_, max_timeout_ms_);
  conn.stats.established_wall_ms = now_wall_ms_;
  conn.stats.received = 1;
  if (req.session_id == 0 && writes_refused_ != Err::kOk) {
    // A new session is a txn the log cannot take now: the client tries again later.
    send_close(in.conn);
    return;
  }
  if (req.session_id == 0) {
    conn.session = role_ == ReplicaRole::kLearner ? forward_session(conn, req) : start_session(conn, req);
  } else {
    conn.session = resume_session(conn, req);
  }
  conn.stats.session_id = conn.session;
  SessionLocal& local = locals_[conn.session];
  local.has_conn = true;
  local.conn = in.conn;
  watcher_conns_[conn.watcher] = in.conn;
  conns_.emplace(in.conn, std::move(conn));
}

SessionId Processor::Impl::start_session(Connection& conn, const ConnectRequest& req) {
  SessionId id = sessions_.next_id();
  int32_t timeout_ms = conn.stats.timeout_ms;
  sessions_.add(id, timeout_ms, now_mono_ms_);  // tracked from now, as trackSession does
  InFlight flight;
  flight.txn = make_txn(id, 0, 0, now_wall_ms_, OpCode::kCreateSession);
  flight.txn.timeout_ms = timeout_ms;
  flight.has_client = true;
  flight.conn = conn.ref;
  flight.request_type = OpCode::kCreateSession;
  flight.received_mono_ms = now_mono_ms_;
  flight.has_read_only = req.has_read_only;
  Zxid zxid = log_txn(std::move(flight));
  // The ConnectResponse waits for the commit; requests sent meanwhile queue behind it.
  locals_[id].fifo.push_back(Waiting{Waiting::Kind::kWrite, zxid, conn.ref, {}, {}, now_mono_ms_});
  ++outstanding_;
  return id;
}

SessionId Processor::Impl::resume_session(Connection& conn, const ConnectRequest& req) {
  SessionId id = req.session_id;
  SessionLocal& local = locals_[id];
  if (local.has_conn && !(local.conn == conn.ref)) {
    // The session moves here: the old connection is closed (ServerCnxnFactory.closeSession).
    ConnRef old = local.conn;
    send_close(old);
    drop_connection(old);
  }
  forget_waiting(local);
  // The newly negotiated timeout governs from now on, as ZooKeeper touches with the
  // connection's timeout.
  sessions_.add(id, conn.stats.timeout_ms, now_mono_ms_);
  if (role_ == ReplicaRole::kLearner) touched_[id] = conn.stats.timeout_ms;
  conn.ready = true;
  ConnectResponse ok{0, conn.stats.timeout_ms, id, SessionTable::password(id), false, req.has_read_only};
  out_.send(make_connect_reply(conn.ref, std::move(ok)));
  return id;
}

void Processor::Impl::on_closed(const ConnRef& ref) { drop_connection(ref); }

// A session resumed on a new connection: what its earlier connections still wait for is
// never sent (they are closed). Their writes still apply when they commit; a learner's
// forwarded write the leader never got (a lost frame) no longer holds up the session.
void Processor::Impl::forget_waiting(SessionLocal& local) {
  for (Waiting& w : local.fifo) {
    --outstanding_;
    if (w.kind != Waiting::Kind::kWrite || w.zxid == 0) continue;
    for (InFlight& flight : inflight_) {
      if (flight.txn.zxid == w.zxid) flight.has_client = false;
    }
  }
  local.fifo.clear();
}

void Processor::Impl::send_or_hold(Connection& conn, std::vector<Outbound>&& messages) {
  SessionLocal& local = locals_[conn.session];
  if (conn.ready && local.fifo.empty()) {
    deliver_held(conn, std::move(messages));
    return;
  }
  Waiting w;
  w.kind = Waiting::Kind::kReply;
  w.conn = conn.ref;
  w.replies = std::move(messages);
  w.received_mono_ms = now_mono_ms_;
  local.fifo.push_back(std::move(w));
}

void Processor::Impl::on_auth(Connection& conn, const Request& request) {
  // ZooKeeperServer.processPacket: digest always succeeds (the id is what the password
  // hashes to); ip re-adds the address; any other scheme fails and the connection closes.
  Response reply;
  reply.xid = request.xid;
  reply.zxid = 0;
  reply.type = OpCode::kAuth;
  auto add_id = [&conn](Id id) {
    if (std::find(conn.ids.begin(), conn.ids.end(), id) == conn.ids.end()) conn.ids.push_back(std::move(id));
  };
  std::vector<Outbound> messages;
  if (request.path == "digest") {
    std::string digest = digest_auth_id(request.data);
    if (!config_.super_digest.empty() && digest == config_.super_digest) add_id(Id{"super", ""});
    add_id(Id{"digest", std::move(digest)});
  } else if (request.path == "ip") {
    add_id(Id{"ip", host_of(conn.stats.remote)});
  } else {
    reply.err = Err::kAuthFailed;
  }
  bool failed = reply.err != Err::kOk;
  messages.push_back(make_reply(conn.ref, std::move(reply)));
  if (failed) messages.push_back(make_close(conn.ref));
  send_or_hold(conn, std::move(messages));
}

bool Processor::Impl::exceeds_buffer(const Request& request) const {
  size_t bytes = request.data.size();
  for (const Request& op : request.ops) bytes += op.data.size();
  return bytes > static_cast<size_t>(config_.max_buffer_bytes);
}

void Processor::Impl::on_request(const ConnRef& ref, Request&& request) {
  Connection* conn = alive(ref);
  if (conn == nullptr) return;  // closed, refused or moved: nothing to answer
  ++conn->stats.received;
  ++stats_.packets_received;
  if (request.type == OpCode::kAuth) {
    on_auth(*conn, request);
    return;
  }
  // A closing or expired session's requests are dropped (ZooKeeperServer.touch).
  if (!sessions_.touch(conn->session, now_mono_ms_)) return;
  if (role_ == ReplicaRole::kLearner) touched_[conn->session] = conn->stats.timeout_ms;
  // ZooKeeper refuses a packet longer than jute.maxbuffer by closing the connection.
  if (exceeds_buffer(request)) {
    send_close(ref);
    drop_connection(ref);
    return;
  }
  if (!is_valid_request(request.type)) {
    Response reply;
    reply.xid = request.xid;
    reply.zxid = -1;
    reply.err = Err::kUnimplemented;
    reply.type = request.type;
    std::vector<Outbound> messages;
    messages.push_back(make_reply(ref, std::move(reply)));
    messages.push_back(make_close(ref));
    send_or_hold(*conn, std::move(messages));
    return;
  }
  if (is_write_op(request.type)) {
    if (writes_refused_ != Err::kOk) {
      refuse_write(*conn, request);
      return;
    }
    if (role_ == ReplicaRole::kLearner) {
      forward_write(*conn, std::move(request));
    } else {
      submit_write(*conn, std::move(request));
    }
    return;
  }
  if (request.type == OpCode::kSync && role_ == ReplicaRole::kLearner) {
    forward_sync(*conn, std::move(request));
    return;
  }
  SessionLocal& local = locals_[conn->session];
  if (conn->ready && local.fifo.empty()) {
    run_read(*conn, request, now_mono_ms_);
    return;
  }
  ++outstanding_;
  ++conn->stats.queued;
  Waiting w;
  w.kind = Waiting::Kind::kRead;
  w.conn = ref;
  w.request = std::make_unique<Request>(std::move(request));
  w.received_mono_ms = now_mono_ms_;
  local.fifo.push_back(std::move(w));
}

// ---- writes

Zxid Processor::Impl::log_txn(InFlight&& flight) {
  inflight_.push_back(std::move(flight));
  return log_back();
}

InFlight& Processor::Impl::begin_txn(SessionId session, int32_t cxid, OpCode type) {
  InFlight& flight = inflight_.emplace_back();
  Txn& txn = flight.txn;  // the header make_txn would set, written in place
  txn.session_id = session;
  txn.cxid = cxid;
  txn.zxid = last_logged_zxid_ + 1;
  txn.time_ms = now_wall_ms_;
  txn.type = type;
  return flight;
}

Zxid Processor::Impl::log_back() {
  RK_ASSERT(!inflight_.empty());
  Txn& txn = inflight_.back().txn;
  Zxid zxid = ++last_logged_zxid_;
  txn.zxid = zxid;
  for (Txn& op : txn.ops) op.zxid = zxid;
  out_.log(txn);
  return zxid;
}

void Processor::Impl::submit_write(Connection& conn, Request&& request) {
  // Built where it waits for its commit: no Txn or InFlight is moved on the way.
  InFlight& flight = begin_txn(conn.session, request.xid, request.type);
  if (request.type == OpCode::kCloseSession) {
    (void)sessions_.set_closing(conn.session);
    prep_.close_session(flight.txn);
  } else {
    prep_.write(request, conn.ids, flight.txn);
  }
  flight.has_client = true;
  flight.conn = conn.ref;
  flight.xid = request.xid;
  flight.request_type = request.type;
  flight.received_mono_ms = now_mono_ms_;
  Zxid zxid = log_back();
  locals_[conn.session].fifo.push_back(Waiting{Waiting::Kind::kWrite, zxid, conn.ref, {}, {}, now_mono_ms_});
  ++outstanding_;
  ++conn.stats.queued;
}

// While the log cannot take writes, a write is answered at once, in order with the session's
// other replies, and logs nothing. A closeSession is answered too; the session then expires.
void Processor::Impl::refuse_write(Connection& conn, const Request& request) {
  Response reply;
  reply.xid = request.xid;
  reply.zxid = last_processed_zxid_;
  reply.err = writes_refused_;
  reply.type = request.type == OpCode::kMulti ? OpCode::kError : request.type;
  std::vector<Outbound> messages;
  messages.push_back(make_reply(conn.ref, std::move(reply)));
  send_or_hold(conn, std::move(messages));
}

void Processor::Impl::issue_close(SessionId session) {
  InFlight flight;
  flight.txn = make_txn(session, 0, last_logged_zxid_ + 1, now_wall_ms_, OpCode::kCloseSession);
  prep_.close_session(flight.txn);
  log_txn(std::move(flight));
}

}  // namespace rk
