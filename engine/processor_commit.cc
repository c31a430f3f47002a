// Committed txns: applied in zxid order, watch events delivered, then the reply, then the
// reads that waited behind the write; and everything that goes out to the reactors.
#include <algorithm>
#include <limits>

#include "base/assert.h"
#include "engine/processor_impl.h"

namespace rk {

// ---- commit

void Processor::Impl::apply_committed(InFlight& flight) {
  const SessionId session = flight.txn.session_id;
  const Zxid zxid = flight.txn.zxid;
  const OpCode txn_type = flight.txn.type;
  const int32_t timeout_ms = flight.txn.timeout_ms;
  events_.clear();
  // Events exist only for watches: with none anywhere, the tree is not asked for them.
  std::vector<TreeEvent>* events = watches_.path_count() == 0 ? nullptr : &events_;
  ApplyResult rc = apply_txn(tree_, std::move(flight.txn), events);
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

// The reply to a committed write, filled in place in the message that carries it.
static void fill_write_response(Response& reply, const InFlight& flight, Zxid zxid, OpCode txn_type,
                                ApplyResult& rc) {
  reply.xid = flight.xid;
  reply.zxid = zxid;
  reply.type = flight.request_type;
  reply.err = rc.err;
  if (txn_type == OpCode::kMulti) {
    // A multi that failed validation still answers Ok in the header; the per-op results
    // carry the errors (FinalRequestProcessor never sets err for multi).
    reply.err = Err::kOk;
    reply.results = std::move(rc.results);
    return;
  }
  if (reply.err != Err::kOk) {
    // A multi refused as a whole (it did not decode) answers with a bare header.
    if (flight.request_type == OpCode::kMulti) reply.type = OpCode::kError;
    return;
  }
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
      std::unique_ptr<Outbound> message = reply_to(conn->ref);
      fill_write_response(message->reply, flight, zxid, txn_type, rc);
      send_reply(*conn, std::move(message), flight.received_mono_ms);
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
    // A learner's sync answers once the leader's zxid it waits for is applied here.
    const Waiting& head = fifo.front();
    if (head.kind == Waiting::Kind::kSync && (head.zxid == 0 || head.zxid > last_processed_zxid_)) break;
    Waiting w = std::move(fifo.front());
    fifo.pop_front();
    Connection* conn = alive(w.conn);
    if (w.kind == Waiting::Kind::kRead || w.kind == Waiting::Kind::kSync) {
      --outstanding_;
      if (conn == nullptr) continue;
      if (conn->stats.queued > 0) --conn->stats.queued;
      run_read(*conn, *w.request, w.received_mono_ms);
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

// ---- output

void Processor::Impl::send_reply(Connection& conn, std::unique_ptr<Outbound> message,
                                 int64_t received_mono_ms) {
  RK_ASSERT(message->kind == Outbound::Kind::kReply && message->conn == conn.ref);
  const Response& reply = message->reply;
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
  out_.send_owned(std::move(message));
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

// The log will not make anything after the last applied txn durable: every uncommitted txn is
// dropped. Its client gets `err` in request order; a handshake waiting for its createSession
// is closed (the client retries elsewhere or later); a closeSession is issued again once
// writes resume; the next txn reuses the first dropped zxid.
void Processor::Impl::abort_inflight(Err err) {
  std::deque<InFlight> dropped = std::move(inflight_);
  inflight_.clear();
  pending_.applied(std::numeric_limits<Zxid>::max());
  last_logged_zxid_ = last_processed_zxid_;
  for (InFlight& flight : dropped) {
    SessionId session = flight.txn.session_id;
    if (flight.txn.type == OpCode::kCloseSession) closes_to_retry_.push_back(session);
    if (!flight.has_client) continue;
    auto local = locals_.find(session);
    RK_ASSERT(local != locals_.end() && !local->second.fifo.empty() &&
              local->second.fifo.front().kind == Waiting::Kind::kWrite &&
              local->second.fifo.front().zxid == flight.txn.zxid);
    local->second.fifo.pop_front();
    --outstanding_;
    Connection* conn = alive(flight.conn);
    if (flight.request_type == OpCode::kCreateSession) {
      sessions_.remove(session);
      if (conn != nullptr) {
        send_close(conn->ref);
        drop_connection(conn->ref);
      }
      continue;
    }
    if (conn != nullptr) {
      if (conn->stats.queued > 0) --conn->stats.queued;
      std::unique_ptr<Outbound> message = reply_to(conn->ref);
      Response& reply = message->reply;
      reply.xid = flight.xid;
      reply.zxid = last_processed_zxid_;
      reply.err = err;
      // A bare header: no body, not even a multi's.
      reply.type = flight.request_type == OpCode::kMulti ? OpCode::kError : flight.request_type;
      send_reply(*conn, std::move(message), flight.received_mono_ms);
    }
    drain(session);
  }
}

}  // namespace rk
