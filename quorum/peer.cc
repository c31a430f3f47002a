// The parent of a member's control flow: routes each input to the role that holds it and
// switches roles on what the role reports.
#include "quorum/peer.h"

#include <utility>

namespace rk::quorum {

Peer::Peer(PeerConfig config, const PersistedState& persisted, StateSource& state)
    : config_(std::move(config)),
      ensemble_(config_.members),
      observer_(!ensemble_.is_voter(config_.id)),
      core_(config_, ensemble_, state, persisted.snapshot_zxid),
      election_(ensemble_) {
  RK_ASSERT(ensemble_.contains(config_.id));
  core_.accepted_epoch = persisted.accepted_epoch;
  core_.current_epoch = persisted.current_epoch;
  for (const Txn& t : persisted.log) core_.history.append(t);
  core_.durable_zxid = core_.history.last_zxid();
  core_.commit_zxid = persisted.snapshot_zxid;
}

void Peer::start() { look(); }

void Peer::on_link_lost(ServerId from) {
  if (follower_ && follower_->leader() == from) look();
}

std::vector<Effect> Peer::take_effects() { return std::exchange(core_.outbox, {}); }

ServerId Peer::leader() const {
  if (leader_) return config_.id;
  if (follower_) return follower_->leader();
  return 0;
}

Epoch Peer::epoch() const {
  if (leader_) return leader_->epoch();
  if (follower_) return follower_->epoch();
  return core_.current_epoch;
}

Leader::LearnerCounts Peer::learner_counts() const {
  return leader_ ? leader_->learner_counts() : Leader::LearnerCounts{};
}

bool Peer::serving() const {
  if (leader_) return leader_->established();
  if (follower_) return follower_->serving();
  return false;
}

void Peer::look() {
  role_ = Role::kLooking;
  leader_.reset();
  follower_.reset();
  std::optional<Vote> self;
  if (!observer_) self = Vote{config_.id, core_.current_epoch, core_.history.last_zxid()};
  election_.start(config_.id, self);
  core_.role_changed(Role::kLooking, core_.current_epoch, 0);
  broadcast_vote();
  if (election_.decision() == config_.id) lead();  // an ensemble of one voter
}

void Peer::follow(ServerId leader) {
  role_ = observer_ ? Role::kObserving : Role::kFollowing;
  leader_.reset();
  uint64_t token = (config_.incarnation << 24) | ++attempt_;
  follower_.emplace(core_, leader, token, observer_);
  follower_->start();
}

void Peer::lead() {
  RK_ASSERT(!observer_);
  role_ = Role::kLeading;
  follower_.reset();
  leader_.emplace(core_);
  if (leader_->start() == Leader::Outcome::kStepDown) look();
}

void Peer::broadcast_vote() {
  msg::Notification n = election_.notification();
  for (const Member& m : ensemble_.members())
    if (!m.observer && m.id != config_.id) core_.send(m.id, n);
}

// Not LOOKING: what a LOOKING member needs to find our leader.
msg::Notification Peer::my_notification() const {
  msg::Notification n = election_.notification();
  n.vote = Vote{leader(), epoch(), core_.history.last_zxid()};
  n.sender_role = role_;
  return n;
}

void Peer::on_notification(ServerId from, const msg::Notification& n) {
  if (role_ != Role::kLooking) {
    if (n.sender_role == Role::kLooking) core_.send(from, my_notification());
    // A leader told that a member serves a later epoch's leader has been left behind (it
    // was hung or cut off): it steps down now rather than after syncLimit ticks.
    if (role_ == Role::kLeading && n.sender_role != Role::kLooking && n.vote.leader != config_.id &&
        n.vote.epoch > epoch()) {
      look();
    }
    return;
  }
  // An established leader announces itself: join it.
  if (n.sender_role == Role::kLeading && n.vote.leader == from && ensemble_.is_voter(from)) {
    follow(from);
    return;
  }
  if (n.sender_role != Role::kLooking) return;  // its leader will answer us itself
  Election::Reaction r = election_.on_looking_vote(from, n);
  if (r.answer) core_.send(from, election_.notification());
  if (r.broadcast) broadcast_vote();
  if (!r.decided) return;
  if (*r.decided == config_.id) {
    lead();
  } else {
    follow(*r.decided);
  }
}

void Peer::on_message(ServerId from, const Message& message) {
  if (!ensemble_.contains(from) || from == config_.id) return;  // not ours to hear
  if (const auto* n = std::get_if<msg::Notification>(&message)) {
    on_notification(from, *n);
  } else if (leader_) {
    if (leader_->on_message(from, message) == Leader::Outcome::kStepDown) look();
  } else if (follower_ && from == follower_->leader()) {
    if (follower_->on_message(message) == Follower::Outcome::kLook) look();
  } else if (follower_ && std::holds_alternative<msg::Ping>(message)) {
    // Pinged by a leader we do not follow: tell it whom we follow (see on_notification).
    core_.send(from, my_notification());
  }
}

void Peer::on_tick() {
  if (leader_) {
    if (leader_->on_tick() == Leader::Outcome::kStepDown) look();
  } else if (follower_) {
    if (follower_->on_tick() == Follower::Outcome::kLook) look();
  } else {
    broadcast_vote();  // votes may have been lost
  }
  // The owner applied every Commit emitted before this call, so a snapshot capture covers
  // whatever is trimmed.
  core_.history.trim(core_.commit_zxid, config_.history_committed_max);
}

void Peer::on_durable(Zxid durable_zxid) {
  RK_ASSERT(durable_zxid <= core_.history.last_zxid());
  if (durable_zxid <= core_.durable_zxid) return;
  core_.durable_zxid = durable_zxid;
  if (leader_) leader_->on_durable();
  if (follower_) follower_->on_durable();
}

bool Peer::can_propose() const { return leader_ && leader_->can_propose(); }

Zxid Peer::next_zxid() {
  RK_ASSERT(can_propose());
  return leader_->next_zxid();
}

void Peer::propose(std::vector<Txn> txns) {
  RK_ASSERT(can_propose());
  leader_->propose(std::move(txns));
}

}  // namespace rk::quorum
