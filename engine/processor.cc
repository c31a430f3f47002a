// The Processor's public face: construction, handle/commit/tick/replay, and the read-only
// views and counters for the four-letter words. The work itself lives in
// processor_requests.cc (connections, auth, requests), processor_commit.cc (applying
// committed txns and answering) and processor_reads.cc (read requests).
#include "engine/processor.h"

#include <algorithm>

#include "base/assert.h"
#include "engine/processor_impl.h"

namespace rk {

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

// ---- time-driven work

void Processor::Impl::sweep_containers() {
  // ContainerManager.getCandidates: empty containers that once had a child, and childless
  // TTL nodes not modified for longer than their TTL. A path with a txn in flight waits.
  std::vector<std::string> doomed;
  for (const std::string& path : tree_.containers()) {
    const Node* node = tree_.find(path);
    if (node != nullptr && node->child_count() == 0 && node->stat.cversion > 0) doomed.push_back(path);
  }
  for (const std::string& path : tree_.ttls()) {
    const Node* node = tree_.find(path);
    if (node == nullptr || node->child_count() != 0) continue;
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

// ---- Processor

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
    // Applied where it waited: applying sends and may log (at the back) but never removes
    // from inflight_, so the front stays put until it is popped here.
    InFlight& flight = inflight.front();
    const Zxid zxid = flight.txn.zxid;
    impl_->apply_committed(flight);
    RK_ASSERT(!inflight.empty() && &inflight.front() == &flight && flight.txn.zxid == zxid);
    inflight.pop_front();
  }
  if (!impl_->sync_waiters_.empty()) impl_->drain_syncs();
}

void Processor::tick(int64_t now_wall_ms, int64_t now_mono_ms) {
  Impl& m = *impl_;
  m.now_wall_ms_ = now_wall_ms;
  m.now_mono_ms_ = now_mono_ms;
  // Expiry and sweeps make txns: they wait while the log refuses writes.
  if (m.writes_refused_ != Err::kOk) return;
  // In an ensemble only the leader expires sessions and sweeps containers.
  if (!m.leader_duties()) return;
  for (SessionId id : m.sessions_.expire(now_mono_ms)) m.issue_close(id);
  if (now_mono_ms >= m.next_container_check_ms_) {
    m.sweep_containers();
    m.next_container_check_ms_ = now_mono_ms + m.config_.container_check_interval_ms;
  }
}

void Processor::restore(DataTree&& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions,
                        Zxid zxid, int64_t now_mono_ms) {
  Impl& m = *impl_;
  // Before any request: nothing in flight may refer to the tree being replaced.
  RK_ASSERT(m.inflight_.empty() && m.conns_.empty() && m.last_logged_zxid_ == m.last_processed_zxid_);
  RK_ASSERT(tree.extended_types_enabled() == m.config_.extended_types_enabled);
  // Move-assign keeps tree_'s address, which prep_ holds.
  m.tree_ = std::move(tree);
  m.now_mono_ms_ = now_mono_ms;
  for (const auto& [id, timeout_ms] : sessions) m.sessions_.add(id, timeout_ms, now_mono_ms);
  m.last_processed_zxid_ = zxid;
  m.last_logged_zxid_ = zxid;
}

void Processor::replay(const Txn& txn) {
  Impl& m = *impl_;
  (void)apply_txn(m.tree_, txn, nullptr);
  if (txn.type == OpCode::kCreateSession) m.sessions_.add(txn.session_id, txn.timeout_ms, m.now_mono_ms_);
  if (txn.type == OpCode::kCloseSession) m.sessions_.remove(txn.session_id);
  m.last_processed_zxid_ = std::max(m.last_processed_zxid_, txn.zxid);
  m.last_logged_zxid_ = std::max(m.last_logged_zxid_, txn.zxid);
}

void Processor::refuse_writes(Err err) {
  RK_ASSERT(err != Err::kOk);
  if (impl_->writes_refused_ != Err::kOk) return;
  impl_->writes_refused_ = err;
  impl_->abort_inflight(err);
}

void Processor::resume_writes() {
  Impl& m = *impl_;
  if (m.writes_refused_ == Err::kOk) return;
  m.writes_refused_ = Err::kOk;
  std::vector<SessionId> closes = std::move(m.closes_to_retry_);
  m.closes_to_retry_.clear();
  for (SessionId id : closes) {
    if (m.sessions_.find(id) != nullptr) m.issue_close(id);
  }
}

bool Processor::writes_refused() const { return impl_->writes_refused_ != Err::kOk; }

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

void Processor::reset_server_stats() {
  Stats& s = impl_->stats_;
  s.packets_received = 0;
  s.packets_sent = 0;
  s.latency_min_ms = 0;
  s.latency_max_ms = 0;
  s.latency_total_ms = 0;
  s.latency_count = 0;
}

void Processor::reset_connection_stats() {
  for (auto& [ref, conn] : impl_->conns_) {
    ConnectionStats& s = conn.stats;
    s.received = 0;
    s.sent = 0;
    s.last_op = "NA";
    s.last_cxid = -1;
    s.last_zxid = -1;
    s.last_response_wall_ms = 0;
    s.last_latency_ms = 0;
    s.latency_min_ms = 0;
    s.latency_max_ms = 0;
    s.latency_total_ms = 0;
    s.latency_count = 0;
  }
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
