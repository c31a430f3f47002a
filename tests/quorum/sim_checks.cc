// The simulator's checks of the ensemble's promises, run as events happen: one established
// leader per epoch, agreeing applied prefixes, quorum-durable commits, acknowledged writes in
// every later leader, epochs that never go back, and convergence once faults stop.
#include <algorithm>
#include <sstream>

#include "tests/quorum/sim_node.h"

namespace rk::quorum::sim {

// Checks (b) committed prefixes never diverge and (e) whatever is applied is durable on a
// quorum of voters.
void Sim::apply(Node& n, const Entry& e) {
  size_t index = n.state.size();
  if (index < canon_.size()) {
    if (!(canon_[index] == e)) return fail("applied sequences diverge at index " + std::to_string(index) +
                                           " on member " + std::to_string(n.id));
  } else {
    if (!canon_.empty() && e.zxid <= canon_.back().zxid) return fail("applied zxids not rising");
    canon_.push_back(e);
  }
  n.state.push_back(e);
  check_quorum_durable(e);
}

void Sim::check_quorum_durable(const Entry& e) {
  size_t durable = 0;
  for (const auto& v : nodes_) durable += !v->observer && durable_at(*v, e) ? 1 : 0;
  if (durable < static_cast<size_t>(options_.voters / 2 + 1))
    fail("committed zxid " + std::to_string(e.zxid) + " durable on " + std::to_string(durable) + " voters only");
}

void Sim::persist(Node& n, const effect::PersistEpoch& p) {
  if (p.accepted_epoch < n.accepted_epoch || p.current_epoch < n.current_epoch || p.current_epoch > p.accepted_epoch)
    return fail("persisted epochs went back at " + std::to_string(n.id));
  n.accepted_epoch = p.accepted_epoch;
  n.current_epoch = p.current_epoch;
}

// Checks (a) one leader per epoch and (c) every acknowledged write is in every later
// leader's history.
void Sim::role_changed(Node& n, const effect::RoleChanged& r) {
  if (r.role != Role::kLeading) {
    n.pending.clear();
    return;
  }
  ++stats_.elections_won;
  auto [it, fresh] = leaders_.emplace(r.epoch, n.id);
  if (!fresh && it->second != n.id)
    return fail("two leaders in epoch " + std::to_string(r.epoch) + ": " + std::to_string(it->second) + " and " +
                std::to_string(n.id));
  for (const Entry& e : acked_)
    if (!holds(n, e)) return fail("leader " + std::to_string(n.id) + " lacks acknowledged zxid " + std::to_string(e.zxid));
}

bool Sim::durable_at(const Node& n, const Entry& e) const {
  if (e.zxid <= n.snap_zxid) return sorted_contains(n.snap, e);
  return log_contains(n.log, n.durable_count, e);
}

bool Sim::holds(const Node& n, const Entry& e) const {
  if (e.zxid <= n.snap_zxid) return sorted_contains(n.snap, e);
  return log_contains(n.log, n.log.size(), e);
}

void Sim::fail(const std::string& what) {
  if (!failure_.empty()) return;
  failure_ = "seed " + std::to_string(options_.seed) + " at t=" + std::to_string(now_) + ": " + what + "\n" + describe() +
             "replay: RK_SIM_SEED=" + std::to_string(options_.seed);
}

std::string Sim::describe() const {
  std::ostringstream out;
  for (const auto& n : nodes_) {
    out << "  member " << n->id << (n->observer ? " (observer)" : "") << (n->up ? "" : " DOWN");
    if (n->peer) {
      out << " role " << static_cast<int>(n->peer->role()) << " epoch " << n->peer->epoch() << " leader "
          << n->peer->leader() << " serving " << n->peer->serving() << " last " << std::hex << n->peer->last_zxid()
          << " commit " << n->peer->commit_zxid() << std::dec;
    }
    out << " accepted " << n->accepted_epoch << " current " << n->current_epoch << " log " << n->log.size()
        << " durable " << n->durable_count << " applied " << n->state.size() << "\n";
  }
  out << "  canon " << canon_.size() << " acked " << acked_.size() << "\n";
  return out.str();
}

// (d): one serving leader, every member serving it, everything it logged committed and
// applied everywhere.
bool Sim::converged(std::string* why) const {
  ServerId l = serving_leader();
  if (l == 0) return *why = "no serving leader", false;
  const Peer& leader = *node(l).peer;
  if (leader.commit_zxid() != leader.last_zxid()) return *why = "leader has uncommitted txns", false;
  for (const auto& n : nodes_) {
    if (!n->up || !n->peer->serving() || n->peer->leader() != l) return *why = "member not serving the leader", false;
    if (n->state.size() != canon_.size() || n->state_zxid() != leader.commit_zxid())
      return *why = "member " + std::to_string(n->id) + " behind", false;
  }
  return true;
}

}  // namespace rk::quorum::sim
