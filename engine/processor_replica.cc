// The engine as an ensemble member (ReplicaRole): a leader takes its learners' forwarded
// writes and sessions; a learner forwards its clients' writes, learns the leader's txns and
// answers its clients when they commit; any member drops its clients when it stops serving.
#include <algorithm>
#include <limits>

#include "base/assert.h"
#include "engine/processor_impl.h"

namespace rk {

// ---- learner side

// A forwarded write waits in its session's FIFO, unnumbered, until the leader's txn for it
// arrives (learn) and commits; the leader numbers and validates it against its own pending
// changes.
static Waiting forwarded(const ConnRef& conn, OpCode type, int32_t xid, int64_t now_mono_ms) {
  Waiting w;
  w.kind = Waiting::Kind::kWrite;
  w.conn = conn;
  w.received_mono_ms = now_mono_ms;
  w.xid = xid;
  w.request_type = type;
  return w;
}

void Processor::Impl::forward_write(Connection& conn, Request&& request) {
  locals_[conn.session].fifo.push_back(forwarded(conn.ref, request.type, request.xid, now_mono_ms_));
  ++outstanding_;
  ++conn.stats.queued;
  out_.forward_write(conn.session, conn.ids, request);
}

// The learner picks the id (its myid in the top byte, as ZooKeeper's learners do); the
// leader makes the createSession txn, and the handshake answers when it commits here.
SessionId Processor::Impl::forward_session(Connection& conn, const ConnectRequest& req) {
  SessionId id = sessions_.next_id();
  int32_t timeout_ms = conn.stats.timeout_ms;
  sessions_.add(id, timeout_ms, now_mono_ms_);
  Waiting w = forwarded(conn.ref, OpCode::kCreateSession, 0, now_mono_ms_);
  w.has_read_only = req.has_read_only;
  locals_[id].fifo.push_back(std::move(w));
  ++outstanding_;
  out_.forward_session(id, timeout_ms);
  return id;
}

// sync(): the leader answers with the last zxid it proposed; the sync (and every read after
// it in the session) waits until that much is applied here, so reads after a sync see every
// write the leader had taken when the sync reached it.
void Processor::Impl::forward_sync(Connection& conn, Request&& request) {
  Waiting w;
  w.kind = Waiting::Kind::kSync;
  w.conn = conn.ref;
  w.received_mono_ms = now_mono_ms_;
  w.xid = request.xid;
  w.request_type = OpCode::kSync;
  const int32_t xid = request.xid;
  w.request = std::make_unique<Request>(std::move(request));
  locals_[conn.session].fifo.push_back(std::move(w));
  ++outstanding_;
  ++conn.stats.queued;
  out_.forward_sync(conn.session, xid);
  sync_waiters_.push_back(conn.session);
}

void Processor::Impl::drain_syncs() {
  std::vector<SessionId> waiting = std::move(sync_waiters_);
  sync_waiters_.clear();
  for (SessionId session : waiting) {
    drain(session);
    auto local = locals_.find(session);
    if (local == locals_.end()) continue;
    bool still = std::any_of(local->second.fifo.begin(), local->second.fifo.end(),
                             [](const Waiting& w) { return w.kind == Waiting::Kind::kSync; });
    if (still && std::find(sync_waiters_.begin(), sync_waiters_.end(), session) == sync_waiters_.end()) {
      sync_waiters_.push_back(session);
    }
  }
}

void Processor::learn(Txn&& txn) {
  Impl& m = *impl_;
  RK_ASSERT(txn.zxid > m.last_logged_zxid_);
  InFlight flight;
  // The first unnumbered write of the txn's session is the request this txn answers when
  // it came from here: a session's forwarded writes reach the leader, and come back, in order.
  auto local = m.locals_.find(txn.session_id);
  if (local != m.locals_.end()) {
    for (Waiting& w : local->second.fifo) {
      if (w.kind != Waiting::Kind::kWrite || w.zxid != 0) continue;
      bool session_txn = txn.type == OpCode::kCreateSession;
      if (w.xid == txn.cxid && (w.request_type == OpCode::kCreateSession) == session_txn) {
        w.zxid = txn.zxid;
        flight.has_client = true;
        flight.conn = w.conn;
        flight.xid = w.xid;
        flight.request_type = w.request_type;
        flight.received_mono_ms = w.received_mono_ms;
        flight.has_read_only = w.has_read_only;
      }
      break;
    }
  }
  m.last_logged_zxid_ = txn.zxid;
  flight.txn = std::move(txn);
  m.inflight_.push_back(std::move(flight));
}

void Processor::sync_reply(SessionId session, int32_t xid, Zxid zxid) {
  Impl& m = *impl_;
  auto local = m.locals_.find(session);
  if (local == m.locals_.end()) return;
  for (Waiting& w : local->second.fifo) {
    if (w.kind != Waiting::Kind::kSync || w.zxid != 0) continue;
    if (w.xid == xid) w.zxid = std::max<Zxid>(zxid, 1);
    break;
  }
  m.drain(session);
}

void Processor::take_touched(std::vector<std::pair<SessionId, int32_t>>& out) {
  for (const auto& [id, timeout_ms] : impl_->touched_) out.emplace_back(id, timeout_ms);
  impl_->touched_.clear();
}

void Processor::truncate(Zxid zxid) {
  Impl& m = *impl_;
  RK_ASSERT(zxid >= m.last_processed_zxid_);
  while (!m.inflight_.empty() && m.inflight_.back().txn.zxid > zxid) {
    InFlight& flight = m.inflight_.back();
    // Only a member that serves has clients waiting, and it synchronizes (and truncates)
    // only after it stopped serving.
    if (flight.has_client) {
      if (Connection* conn = m.alive(flight.conn)) {
        ConnRef ref = conn->ref;
        m.send_close(ref);
        m.drop_connection(ref);
      }
    }
    m.inflight_.pop_back();
  }
  m.last_logged_zxid_ = std::max(zxid, m.last_processed_zxid_);
}

void Processor::reset_state(DataTree&& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions,
                            Zxid zxid, int64_t now_mono_ms) {
  Impl& m = *impl_;
  RK_ASSERT(tree.extended_types_enabled() == m.config_.extended_types_enabled);
  m.close_all_connections();
  m.inflight_.clear();
  m.pending_.applied(std::numeric_limits<Zxid>::max());
  m.tree_ = std::move(tree);  // move-assign keeps tree_'s address, which prep_ holds
  m.now_mono_ms_ = now_mono_ms;
  m.sessions_ = SessionTable(m.config_.server_id, m.config_.tick_ms, now_mono_ms);
  for (const auto& [id, timeout_ms] : sessions) m.sessions_.add(id, timeout_ms, now_mono_ms);
  m.last_processed_zxid_ = zxid;
  m.last_logged_zxid_ = zxid;
}

// ---- leader side

void Processor::handle_forwarded_write(SessionId session, std::vector<Id> ids, Request&& request,
                                       int64_t now_wall_ms, int64_t now_mono_ms) {
  Impl& m = *impl_;
  RK_ASSERT(m.role_ == ReplicaRole::kLeader);
  m.now_wall_ms_ = now_wall_ms;
  m.now_mono_ms_ = now_mono_ms;
  if (!is_write_op(request.type)) return;  // the learner forwards writes only
  InFlight flight;
  flight.txn = make_txn(session, request.xid, m.last_logged_zxid_ + 1, now_wall_ms, request.type);
  const Session* s = m.sessions_.find(session);
  bool closing_request = request.type == OpCode::kCloseSession;
  if (s == nullptr || (s->closing && !closing_request)) {
    // Expired meanwhile (PrepRequestProcessor's checkSession): the learner's client is
    // answered with an error txn, as ZooKeeper logs one.
    flight.txn.type = OpCode::kError;
    flight.txn.err = Err::kSessionExpired;
  } else if (closing_request) {
    (void)m.sessions_.set_closing(session);
    m.prep_.close_session(flight.txn);
  } else {
    (void)m.sessions_.touch(session, now_mono_ms);
    m.prep_.write(request, ids, flight.txn);
  }
  m.log_txn(std::move(flight));
}

void Processor::handle_forwarded_session(SessionId session, int32_t timeout_ms, int64_t now_wall_ms,
                                         int64_t now_mono_ms) {
  Impl& m = *impl_;
  RK_ASSERT(m.role_ == ReplicaRole::kLeader);
  m.now_wall_ms_ = now_wall_ms;
  m.now_mono_ms_ = now_mono_ms;
  if (m.sessions_.find(session) != nullptr) return;  // already made (a resend)
  m.sessions_.add(session, timeout_ms, now_mono_ms);
  InFlight flight;
  flight.txn = make_txn(session, 0, 0, now_wall_ms, OpCode::kCreateSession);
  flight.txn.timeout_ms = timeout_ms;
  m.log_txn(std::move(flight));
}

void Processor::touch_session(SessionId session, int32_t timeout_ms, int64_t now_mono_ms) {
  Impl& m = *impl_;
  const Session* s = m.sessions_.find(session);
  if (s == nullptr || s->closing) return;
  // A session that moved to a learner may have negotiated another timeout there.
  if (s->timeout_ms != timeout_ms) {
    m.sessions_.add(session, timeout_ms, now_mono_ms);
  } else {
    (void)m.sessions_.touch(session, now_mono_ms);
  }
}

// ---- roles

void Processor::Impl::close_all_connections() {
  std::vector<ConnRef> refs;
  refs.reserve(conns_.size());
  for (const auto& [ref, conn] : conns_) refs.push_back(ref);
  for (const ConnRef& ref : refs) {
    send_close(ref);
    drop_connection(ref);
  }
  // Nobody waits for an answer any more; the txns in flight stay (they may yet commit).
  for (InFlight& flight : inflight_) flight.has_client = false;
  locals_.clear();
  touched_.clear();
  sync_waiters_.clear();
  outstanding_ = 0;
}

void Processor::set_role(ReplicaRole role, Zxid zxid_base, int64_t now_mono_ms) {
  Impl& m = *impl_;
  m.now_mono_ms_ = now_mono_ms;
  ReplicaRole before = m.role_;
  m.role_ = role;
  if (before != role && before != ReplicaRole::kLooking) m.close_all_connections();
  // Pending changes describe txns this member numbered as leader: a learner validates
  // nothing, and a new leadership starts from its committed tree.
  m.pending_.applied(std::numeric_limits<Zxid>::max());
  // A session marked closing here by an earlier leadership may have lost its closeSession
  // txn with that leadership: it is open until a closeSession commits, and a leader that
  // does not hear from its client expires it again.
  for (const Session& s : m.sessions_.all()) {
    if (!s.closing) continue;
    m.sessions_.remove(s.id);
    m.sessions_.add(s.id, s.timeout_ms, now_mono_ms);
  }
  if (role != ReplicaRole::kLeader) return;
  RK_ASSERT(m.inflight_.empty() && zxid_base >= m.last_logged_zxid_);
  m.last_logged_zxid_ = zxid_base;
  // Every session gets a full timeout from now: its clients had no leader to talk to.
  for (const Session& s : m.sessions_.all()) m.sessions_.add(s.id, s.timeout_ms, now_mono_ms);
  m.next_container_check_ms_ = now_mono_ms + m.config_.container_check_interval_ms;
}

ReplicaRole Processor::role() const { return impl_->role_; }

}  // namespace rk
