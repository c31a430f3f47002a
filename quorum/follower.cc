// The learner: promise the epoch, take the leader's history, then append, ack and apply
// what the leader streams.
#include "quorum/follower.h"

#include <algorithm>

namespace rk::quorum {

void Follower::start() { send_follower_info(); }

void Follower::send_follower_info() {
  core_.send(leader_, msg::FollowerInfo{token_, core_.accepted_epoch, core_.current_epoch, core_.history.last_zxid()});
}

void Follower::send_ack_epoch() {
  core_.send(leader_, msg::AckEpoch{token_, epoch_, core_.current_epoch, core_.history.last_zxid()});
}

Follower::Outcome Follower::on_message(const Message& message) {
  if (const auto* m = std::get_if<msg::NewEpoch>(&message)) {
    if (m->token != token_ || phase_ != Phase::kAwaitNewEpoch) return Outcome::kStay;
    quiet_ticks_ = 0;
    return on_new_epoch(*m);
  }
  if (const auto* m = std::get_if<msg::NewLeader>(&message)) {
    if (m->token != token_ || m->epoch != epoch_ || phase_ != Phase::kAwaitNewLeader) return Outcome::kStay;
    quiet_ticks_ = 0;
    return on_new_leader(*m);
  }
  if (const auto* m = std::get_if<msg::Proposal>(&message)) {
    if (m->token != token_ || m->epoch != epoch_ || !synced()) return Outcome::kStay;
    quiet_ticks_ = 0;
    return on_proposal(*m);
  }
  if (const auto* m = std::get_if<msg::Commit>(&message)) {
    if (m->token != token_ || m->epoch != epoch_ || !synced()) return Outcome::kStay;
    quiet_ticks_ = 0;
    learn_commit(m->commit_zxid);
    return Outcome::kStay;
  }
  if (const auto* m = std::get_if<msg::Ping>(&message)) {
    if (m->token != token_ || m->epoch != epoch_ || !synced()) return Outcome::kStay;
    quiet_ticks_ = 0;
    return on_ping(*m);
  }
  return Outcome::kStay;
}

Follower::Outcome Follower::on_new_epoch(const msg::NewEpoch& m) {
  if (m.epoch < core_.accepted_epoch) return Outcome::kLook;  // we promised a later leader
  if (m.epoch > core_.accepted_epoch) {
    core_.accepted_epoch = m.epoch;
    core_.persist_epochs();
  }
  epoch_ = m.epoch;
  phase_ = Phase::kAwaitNewLeader;
  send_ack_epoch();
  return Outcome::kStay;
}

Follower::Outcome Follower::on_new_leader(const msg::NewLeader& m) {
  if (!take_sync(m)) return Outcome::kLook;
  sync_zxid_ = core_.history.last_zxid();
  phase_ = Phase::kAwaitDurable;
  learn_commit(m.commit_zxid);
  finish_sync_when_durable();
  return Outcome::kStay;
}

// Makes our history the leader's: cut, replace or keep it, then append what follows.
bool Follower::take_sync(const msg::NewLeader& m) {
  History& h = core_.history;
  switch (m.mode) {
    case msg::SyncMode::kSnap: {
      auto batch = std::make_shared<const std::vector<Txn>>(m.txns);
      core_.outbox.push_back(effect::InstallSnapshot{m.image, batch});
      h.reset(m.image.zxid);
      for (const Txn& t : m.txns) h.append(t);
      core_.durable_zxid = h.last_zxid();
      core_.commit_zxid = m.image.zxid;  // the owner's state is now the image
      return true;
    }
    case msg::SyncMode::kTrunc:
      // The leader holds every committed txn, so it never cuts one we applied.
      RK_ASSERT(m.prev_zxid >= h.base_zxid() && m.prev_zxid >= core_.commit_zxid);
      if (m.prev_zxid < h.last_zxid()) {
        core_.outbox.push_back(effect::Truncate{m.prev_zxid});
        h.truncate(m.prev_zxid);
        core_.durable_zxid = std::min(core_.durable_zxid, m.prev_zxid);
      }
      if (h.last_zxid() != m.prev_zxid) return false;  // we never had it: resynchronize
      break;
    case msg::SyncMode::kDiff:
      if (h.last_zxid() != m.prev_zxid) return false;
      break;
  }
  if (!m.txns.empty()) append(m.txns, std::make_shared<const std::vector<Txn>>(m.txns));
  return true;
}

void Follower::append(const std::vector<Txn>& txns, TxnBatch batch) {
  for (const Txn& t : txns) core_.history.append(t);
  core_.outbox.push_back(effect::Append{std::move(batch)});
}

// Our log is a prefix of the leader's, so everything up to its commit point that we hold is
// committed.
void Follower::learn_commit(Zxid leader_commit_zxid) {
  core_.commit(std::min(leader_commit_zxid, core_.history.last_zxid()));
}

Follower::Outcome Follower::on_proposal(const msg::Proposal& m) {
  RK_ASSERT(m.txns && !m.txns->empty());
  if (m.txns->back().zxid <= core_.history.last_zxid()) return Outcome::kStay;  // already have it
  if (m.prev_zxid != core_.history.last_zxid()) return Outcome::kLook;        // a lost proposal
  append(*m.txns, m.txns);
  learn_commit(m.commit_zxid);
  return Outcome::kStay;
}

Follower::Outcome Follower::on_ping(const msg::Ping& m) {
  if (m.last_zxid > core_.history.last_zxid() && phase_ == Phase::kBroadcast) {
    // Pings travel behind proposals: one is missing, and nothing would resend it.
    return Outcome::kLook;
  }
  learn_commit(m.commit_zxid);
  if (phase_ == Phase::kBroadcast) {
    acked_zxid_ = core_.durable_zxid;
    core_.send(leader_, msg::Ack{token_, epoch_, acked_zxid_});
  }
  return Outcome::kStay;
}

void Follower::on_durable() {
  if (phase_ == Phase::kAwaitDurable) {
    finish_sync_when_durable();
  } else if (phase_ == Phase::kBroadcast && !observer_ && core_.durable_zxid > acked_zxid_) {
    acked_zxid_ = core_.durable_zxid;
    core_.send(leader_, msg::Ack{token_, epoch_, acked_zxid_});
  }
}

// The leader's history is durable here: only now may we claim its epoch, so that a crash
// cannot leave us with the new epoch and a cut history.
void Follower::finish_sync_when_durable() {
  if (core_.durable_zxid < sync_zxid_) return;
  core_.current_epoch = epoch_;
  core_.persist_epochs();
  acked_zxid_ = core_.durable_zxid;
  core_.send(leader_, msg::AckNewLeader{token_, epoch_, acked_zxid_});
  phase_ = Phase::kBroadcast;
  core_.role_changed(observer_ ? Role::kObserving : Role::kFollowing, epoch_, leader_);
}

Follower::Outcome Follower::on_tick() {
  ++ticks_;
  ++quiet_ticks_;
  if (phase_ == Phase::kBroadcast) return quiet_ticks_ > core_.config.sync_limit_ticks ? Outcome::kLook : Outcome::kStay;
  if (ticks_ > core_.config.init_limit_ticks) return Outcome::kLook;
  if (phase_ == Phase::kAwaitNewEpoch) send_follower_info();
  if (phase_ == Phase::kAwaitNewLeader) send_ack_epoch();
  return Outcome::kStay;
}

}  // namespace rk::quorum
