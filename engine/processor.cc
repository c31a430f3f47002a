// The engine's control flow: handshakes, auth, write validation into txns, per-session reply
// order, commit (apply, fire watches, answer), session expiry and the container sweep.
// Read requests live in processor_reads.cc.
#include "engine/processor.h"

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

Outbound make_reply(const ConnRef& conn, Response&& reply) {
  Outbound o;
  o.kind = Outbound::Kind::kReply;
  o.conn = conn;
  o.reply = std::move(reply);
  return o;
}

Outbound make_close(const ConnRef& conn) {
  Outbound o;
  o.kind = Outbound::Kind::kClose;
  o.conn = conn;
  return o;
}

Outbound make_connect_reply(const ConnRef& conn, ConnectResponse&& rsp) {
  Outbound o;
  o.kind = Outbound::Kind::kConnectReply;
  o.conn = conn;
  o.connect = std::move(rsp);
  return o;
}

}  // namespace

const char* op_short_name(OpCode type) {
  switch (type) {
    case OpCode::kPing: return "PING";
    case OpCode::kCreateSession: return "SESS";
    case OpCode::kMulti: return "MULT";
    case OpCode::kMultiRead: return "MLTR";
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer: return "CREA";
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return "DELE";
    case OpCode::kSetData: return "SETD";
    case OpCode::kReconfig: return "RECO";
    case OpCode::kSetAcl: return "SETA";
    case OpCode::kCloseSession: return "CLOS";
    case OpCode::kSync: return "SYNC";
    case OpCode::kCheck: return "CHEC";
    case OpCode::kExists: return "EXIS";
    case OpCode::kGetData: return "GETD";
    case OpCode::kSetWatches: return "SETW";
    case OpCode::kSetWatches2: return "STW2";
    case OpCode::kAddWatch: return "ADDW";
    case OpCode::kGetAcl: return "GETA";
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: return "GETC";
    case OpCode::kGetAllChildrenNumber: return "GETACN";
    case OpCode::kCheckWatches: return "CHKW";
    case OpCode::kRemoveWatches: return "REMW";
    case OpCode::kWhoAmI: return "HOMI";
    case OpCode::kGetEphemerals: return "GETE";
    default: return "NA";
  }
}

Processor::Impl::Impl(const EngineConfig& config, int64_t now_mono_ms, EngineOutput& out)
    : config_(config),
      out_(out),
      min_timeout_ms_(config.min_session_timeout_ms >= 0 ? config.min_session_timeout_ms
                                                         : 2 * config.tick_ms),
      max_timeout_ms_(config.max_session_timeout_ms >= 0 ? config.max_session_timeout_ms
                                                         : 20 * config.tick_ms),
      tree_(config.extended_types_enabled),
      prep_(tree_, pending_, config_),
      sessions_(config.server_id, config.tick_ms, now_mono_ms),
      now_mono_ms_(now_mono_ms),
      next_container_check_ms_(now_mono_ms + config.container_check_interval_ms) {}

// ---- connections -------------------------------------------------------------------------

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
  if (conns_.count(in.conn) != 0) return;  // one handshake per connection
  // The client saw a newer state than ours: refuse it so it tries another server.
  if (req.last_zxid_seen > last_processed_zxid_) {
    send_close(in.conn);
    return;
  }
  int32_t timeout_ms = std::clamp(req.timeout_ms, min_timeout_ms_, max_timeout_ms_);
  SessionId id = req.session_id;
  if (id != 0) {
    const Session* s = sessions_.find(id);
    if (s == nullptr || s->closing || req.passwd != SessionTable::password(id)) {
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
  conn.stats.timeout_ms = timeout_ms;
  conn.stats.established_wall_ms = now_wall_ms_;

  if (id == 0) {
    id = sessions_.next_id();
    sessions_.add(id, timeout_ms, now_mono_ms_);  // tracked from now, as trackSession does
    InFlight flight;
    flight.txn = make_txn(id, 0, 0, now_wall_ms_, OpCode::kCreateSession);
    flight.txn.timeout_ms = timeout_ms;
    flight.has_client = true;
    flight.conn = in.conn;
    flight.request_type = OpCode::kCreateSession;
    flight.received_mono_ms = now_mono_ms_;
    flight.has_read_only = req.has_read_only;
    Zxid zxid = log_txn(std::move(flight));
    locals_[id].fifo.push_back(Waiting{Waiting::Kind::kWrite, zxid, in.conn, {}, {}, now_mono_ms_});
    ++outstanding_;
  } else {
    SessionLocal& local = locals_[id];
    if (local.has_conn && !(local.conn == in.conn)) {
      // The session moves here: the old connection is closed (ServerCnxnFactory.closeSession).
      send_close(local.conn);
      drop_connection(local.conn);
    }
    (void)sessions_.touch(id, now_mono_ms_);
    conn.ready = true;
    ConnectResponse ok{0, timeout_ms, id, SessionTable::password(id), false, req.has_read_only};
    out_.send(make_connect_reply(in.conn, std::move(ok)));
  }
  conn.session = id;
  conn.stats.session_id = id;
  SessionLocal& local = locals_[id];
  local.has_conn = true;
  local.conn = in.conn;
  watcher_conns_[conn.watcher] = in.conn;
  conns_.emplace(in.conn, std::move(conn));
}

void Processor::Impl::on_closed(const ConnRef& ref) { drop_connection(ref); }

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
    submit_write(*conn, std::move(request));
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
  w.request = std::move(request);
  w.received_mono_ms = now_mono_ms_;
  local.fifo.push_back(std::move(w));
}

// ---- writes ------------------------------------------------------------------------------

Zxid Processor::Impl::log_txn(InFlight&& flight) {
  Zxid zxid = ++last_logged_zxid_;
  flight.txn.zxid = zxid;
  for (Txn& op : flight.txn.ops) op.zxid = zxid;
  out_.log(flight.txn);
  inflight_.push_back(std::move(flight));
  return zxid;
}

void Processor::Impl::submit_write(Connection& conn, Request&& request) {
  InFlight flight;
  flight.txn = make_txn(conn.session, request.xid, last_logged_zxid_ + 1, now_wall_ms_, request.type);
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
  Zxid zxid = log_txn(std::move(flight));
  locals_[conn.session].fifo.push_back(Waiting{Waiting::Kind::kWrite, zxid, conn.ref, {}, {}, now_mono_ms_});
  ++outstanding_;
  ++conn.stats.queued;
}

void Processor::Impl::issue_close(SessionId session) {
  InFlight flight;
  flight.txn = make_txn(session, 0, last_logged_zxid_ + 1, now_wall_ms_, OpCode::kCloseSession);
  prep_.close_session(flight.txn);
  log_txn(std::move(flight));
}

// ---- commit ------------------------------------------------------------------------------

void Processor::Impl::apply_committed(InFlight& flight) {
  const SessionId session = flight.txn.session_id;
  const Zxid zxid = flight.txn.zxid;
  const OpCode txn_type = flight.txn.type;
  const int32_t timeout_ms = flight.txn.timeout_ms;
  events_.clear();
  ApplyResult rc = apply_txn(tree_, std::move(flight.txn), &events_);
  pending_.applied(zxid);
  last_processed_zxid_ = std::max(last_processed_zxid_, zxid);
  if (txn_type == OpCode::kCreateSession) sessions_.add(session, timeout_ms, now_mono_ms_);
  if (txn_type == OpCode::kCloseSession) sessions_.remove(session);

  deliver_events(zxid);  // before the reply that observes the change
  if (flight.has_client) finish_write(flight, session, zxid, txn_type, rc);
  if (txn_type == OpCode::kCloseSession) end_session(session);
}

void Processor::Impl::deliver_events(Zxid zxid) {
  for (const TreeEvent& ev : events_) {
    fired_.clear();
    watches_.trigger(ev.path, ev.type, fired_);
    for (FiredWatch& fw : fired_) {
      auto w = watcher_conns_.find(fw.watcher);
      if (w == watcher_conns_.end()) continue;
      Connection* conn = alive(w->second);
      if (conn == nullptr) continue;
      // 3.8 delivers an event only to connections allowed to read the node it names.
      if (ev.acl && !acl_permits(*ev.acl, perm::kRead, conn->ids)) continue;
      send_event(*conn, WatchEvent{fw.type, KeeperState::kSyncConnected, std::move(fw.path), zxid});
    }
  }
}

static Response write_response(const InFlight& flight, Zxid zxid, OpCode txn_type, ApplyResult& rc) {
  Response reply;
  reply.xid = flight.xid;
  reply.zxid = zxid;
  reply.type = flight.request_type;
  reply.err = rc.err;
  if (txn_type == OpCode::kMulti) {
    // A multi that failed validation still answers Ok in the header; the per-op results
    // carry the errors (FinalRequestProcessor never sets err for multi).
    reply.err = Err::kOk;
    reply.results = std::move(rc.results);
    return reply;
  }
  if (reply.err != Err::kOk) return reply;
  switch (flight.request_type) {
    case OpCode::kCreate:
      reply.path = std::move(rc.path);
      break;
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer:
      reply.path = std::move(rc.path);
      reply.stat = rc.stat;
      break;
    case OpCode::kSetData:
    case OpCode::kSetAcl:
      reply.stat = rc.stat;
      break;
    default:
      break;
  }
  return reply;
}

void Processor::Impl::finish_write(InFlight& flight, SessionId session, Zxid zxid, OpCode txn_type,
                                   ApplyResult& rc) {
  auto local = locals_.find(session);
  // Replies leave in request order: this write is at the head of its session's FIFO, since
  // everything queued before it left when the previous write committed.
  RK_ASSERT(local != locals_.end() && !local->second.fifo.empty());
  RK_ASSERT(local->second.fifo.front().kind == Waiting::Kind::kWrite &&
            local->second.fifo.front().zxid == zxid);
  local->second.fifo.pop_front();
  --outstanding_;
  if (Connection* conn = alive(flight.conn)) {
    if (conn->stats.queued > 0) --conn->stats.queued;
    if (flight.request_type == OpCode::kCreateSession) {
      conn->ready = true;
      conn->stats.last_op = op_short_name(OpCode::kCreateSession);
      ConnectResponse ok{0, conn->stats.timeout_ms, session, SessionTable::password(session),
                         false, flight.has_read_only};
      out_.send(make_connect_reply(conn->ref, std::move(ok)));
    } else {
      send_reply(*conn, write_response(flight, zxid, txn_type, rc), flight.received_mono_ms);
    }
  }
  drain(session);
}

void Processor::Impl::end_session(SessionId session) {
  auto it = locals_.find(session);
  if (it == locals_.end()) return;
  if (it->second.has_conn) {
    ConnRef ref = it->second.conn;
    send_close(ref);
    drop_connection(ref);
  }
  locals_.erase(it);
}

void Processor::Impl::drain(SessionId session) {
  auto it = locals_.find(session);
  if (it == locals_.end()) return;
  std::deque<Waiting>& fifo = it->second.fifo;  // drop_connection never erases locals_
  while (!fifo.empty() && fifo.front().kind != Waiting::Kind::kWrite) {
    Waiting w = std::move(fifo.front());
    fifo.pop_front();
    Connection* conn = alive(w.conn);
    if (w.kind == Waiting::Kind::kRead) {
      --outstanding_;
      if (conn == nullptr) continue;
      if (conn->stats.queued > 0) --conn->stats.queued;
      run_read(*conn, w.request, w.received_mono_ms);
    } else if (conn != nullptr) {
      deliver_held(*conn, std::move(w.replies));
    }
  }
}

void Processor::Impl::deliver_held(Connection& conn, std::vector<Outbound>&& messages) {
  ConnRef ref = conn.ref;
  bool closing = false;
  for (Outbound& m : messages) {
    closing |= m.kind == Outbound::Kind::kClose;
    if (m.kind == Outbound::Kind::kReply) {
      ++conn.stats.sent;
      ++stats_.packets_sent;
    }
    out_.send(std::move(m));
  }
  if (closing) drop_connection(ref);
}

// ---- output ------------------------------------------------------------------------------

void Processor::Impl::send_reply(Connection& conn, Response&& reply, int64_t received_mono_ms) {
  int64_t latency_ms = std::max<int64_t>(0, now_mono_ms_ - received_mono_ms);
  ConnectionStats& s = conn.stats;
  ++s.sent;
  s.last_op = op_short_name(reply.type);
  s.last_cxid = reply.xid;
  s.last_zxid = reply.zxid;
  s.last_response_wall_ms = now_wall_ms_;
  s.last_latency_ms = latency_ms;
  s.latency_min_ms = s.latency_count == 0 ? latency_ms : std::min(s.latency_min_ms, latency_ms);
  s.latency_max_ms = std::max(s.latency_max_ms, latency_ms);
  s.latency_total_ms += latency_ms;
  ++s.latency_count;
  Processor::Stats& g = stats_;
  ++g.packets_sent;
  g.latency_min_ms = g.latency_count == 0 ? latency_ms : std::min(g.latency_min_ms, latency_ms);
  g.latency_max_ms = std::max(g.latency_max_ms, latency_ms);
  g.latency_total_ms += latency_ms;
  ++g.latency_count;
  out_.send(make_reply(conn.ref, std::move(reply)));
}

void Processor::Impl::send_event(Connection& conn, WatchEvent&& event) {
  ++conn.stats.sent;
  ++stats_.packets_sent;
  Outbound o;
  o.kind = Outbound::Kind::kWatch;
  o.conn = conn.ref;
  o.event = std::move(event);
  out_.send(std::move(o));
}

void Processor::Impl::send_close(const ConnRef& ref) { out_.send(make_close(ref)); }

// ---- time-driven work --------------------------------------------------------------------

void Processor::Impl::sweep_containers() {
  // ContainerManager.getCandidates: empty containers that once had a child, and childless
  // TTL nodes not modified for longer than their TTL. A path with a txn in flight waits.
  std::vector<std::string> doomed;
  for (const std::string& path : tree_.containers()) {
    const Node* node = tree_.find(path);
    if (node != nullptr && node->children.empty() && node->stat.cversion > 0) doomed.push_back(path);
  }
  for (const std::string& path : tree_.ttls()) {
    const Node* node = tree_.find(path);
    if (node == nullptr || !node->children.empty()) continue;
    int64_t ttl_ms = ttl_of_owner(node->stat.ephemeral_owner);
    if (ttl_ms != 0 && now_wall_ms_ - node->stat.mtime > ttl_ms) doomed.push_back(path);
  }
  for (std::string& path : doomed) {
    if (pending_.find(path) != nullptr) continue;
    InFlight flight;
    flight.txn = make_txn(0, 0, last_logged_zxid_ + 1, now_wall_ms_, OpCode::kDeleteContainer);
    prep_.delete_container(std::move(path), flight.txn);
    log_txn(std::move(flight));
  }
}

// ---- Processor ---------------------------------------------------------------------------

Processor::Processor(const EngineConfig& config, int64_t now_mono_ms, EngineOutput& out)
    : impl_(std::make_unique<Impl>(config, now_mono_ms, out)) {}

Processor::~Processor() = default;

void Processor::handle(Inbound&& in, int64_t now_wall_ms, int64_t now_mono_ms) {
  impl_->now_wall_ms_ = now_wall_ms;
  impl_->now_mono_ms_ = now_mono_ms;
  switch (in.kind) {
    case Inbound::Kind::kConnect: impl_->on_connect(in); break;
    case Inbound::Kind::kRequest: impl_->on_request(in.conn, std::move(in.request)); break;
    case Inbound::Kind::kClosed: impl_->on_closed(in.conn); break;
    case Inbound::Kind::kCommand: break;  // four-letter words are answered by the owner
  }
}

void Processor::commit(Zxid durable_zxid) {
  std::deque<InFlight>& inflight = impl_->inflight_;
  while (!inflight.empty() && inflight.front().txn.zxid <= durable_zxid) {
    InFlight flight = std::move(inflight.front());
    inflight.pop_front();
    impl_->apply_committed(flight);
  }
}

void Processor::tick(int64_t now_wall_ms, int64_t now_mono_ms) {
  Impl& m = *impl_;
  m.now_wall_ms_ = now_wall_ms;
  m.now_mono_ms_ = now_mono_ms;
  for (SessionId id : m.sessions_.expire(now_mono_ms)) m.issue_close(id);
  if (now_mono_ms >= m.next_container_check_ms_) {
    m.sweep_containers();
    m.next_container_check_ms_ = now_mono_ms + m.config_.container_check_interval_ms;
  }
}

void Processor::replay(const Txn& txn) {
  Impl& m = *impl_;
  (void)apply_txn(m.tree_, txn, nullptr);
  if (txn.type == OpCode::kCreateSession) m.sessions_.add(txn.session_id, txn.timeout_ms, m.now_mono_ms_);
  if (txn.type == OpCode::kCloseSession) m.sessions_.remove(txn.session_id);
  m.last_processed_zxid_ = std::max(m.last_processed_zxid_, txn.zxid);
  m.last_logged_zxid_ = std::max(m.last_logged_zxid_, txn.zxid);
}

Zxid Processor::last_logged_zxid() const { return impl_->last_logged_zxid_; }
Zxid Processor::last_processed_zxid() const { return impl_->last_processed_zxid_; }
const DataTree& Processor::tree() const { return impl_->tree_; }
const WatchManager& Processor::watches() const { return impl_->watches_; }
const SessionTable& Processor::sessions() const { return impl_->sessions_; }

SessionId Processor::watcher_session(WatcherId watcher) const {
  auto w = impl_->watcher_conns_.find(watcher);
  if (w == impl_->watcher_conns_.end()) return 0;
  auto c = impl_->conns_.find(w->second);
  return c == impl_->conns_.end() ? 0 : c->second.session;
}

const Processor::Stats& Processor::stats() const {
  const Impl& m = *impl_;
  Stats& s = m.stats_;
  s.outstanding_requests = m.outstanding_;
  s.last_zxid = m.last_processed_zxid_;
  s.last_logged_zxid = m.last_logged_zxid_;
  s.node_count = m.tree_.node_count();
  s.approximate_data_size = m.tree_.approximate_data_size();
  s.ephemeral_count = m.tree_.ephemeral_count();
  s.watch_count = m.watches_.watch_count();
  s.watched_paths = m.watches_.path_count();
  s.watchers = m.watches_.watcher_count();
  s.session_count = m.sessions_.size();
  s.connections.clear();
  for (const auto& [ref, conn] : m.conns_) s.connections.push_back(conn.stats);
  std::sort(s.connections.begin(), s.connections.end(),
            [](const ConnectionStats& a, const ConnectionStats& b) { return a.session_id < b.session_id; });
  return s;
}

}  // namespace rk
