// The leader: phases advance as answers from a quorum arrive; the commit point follows
// durable acks.
#include "quorum/leader.h"

#include <algorithm>
#include <array>

#include "quorum/commit_point.h"

namespace rk::quorum {
namespace {

bool history_above(Epoch epoch_a, Zxid zxid_a, Epoch epoch_b, Zxid zxid_b) {
  return epoch_a != epoch_b ? epoch_a > epoch_b : zxid_a > zxid_b;
}

}  // namespace

Leader::Outcome Leader::start() { return advance(); }

bool Leader::promised(ServerId id) const {
  return std::find(promised_.begin(), promised_.end(), id) != promised_.end();
}

Leader::Learner* Leader::find(ServerId id) {
  for (Learner& l : learners_)
    if (l.id == id) return &l;
  return nullptr;
}

size_t Leader::voters_at_least(Stage stage) const {
  size_t n = 1;
  for (const Learner& l : learners_) n += l.voter && l.stage >= stage ? 1 : 0;
  return n;
}

Leader::Outcome Leader::on_message(ServerId from, const Message& message) {
  if (const auto* info = std::get_if<msg::FollowerInfo>(&message)) return on_follower_info(from, *info);
  Learner* l = find(from);
  if (l == nullptr) return Outcome::kStay;
  // Everything else must belong to the learner's current connection and our epoch.
  auto current = [&](uint64_t token, Epoch epoch) { return token == l->token && epoch == epoch_ && epoch_ != 0; };
  if (const auto* m = std::get_if<msg::AckEpoch>(&message)) {
    if (!current(m->token, m->epoch) || l->stage != Stage::kEpochSent) return Outcome::kStay;
    l->quiet_ticks = 0;
    return on_ack_epoch(*l, *m);
  }
  if (const auto* m = std::get_if<msg::AckNewLeader>(&message)) {
    if (!current(m->token, m->epoch) || l->stage != Stage::kSyncing) return Outcome::kStay;
    l->quiet_ticks = 0;
    on_ack_new_leader(*l, *m);
    return advance();
  }
  if (const auto* m = std::get_if<msg::Ack>(&message)) {
    if (!current(m->token, m->epoch) || l->stage != Stage::kSynced) return Outcome::kStay;
    l->quiet_ticks = 0;
    on_ack(*l, *m);
  }
  return Outcome::kStay;
}

Leader::Outcome Leader::on_follower_info(ServerId from, const msg::FollowerInfo& m) {
  if (!core_.ensemble.contains(from) || from == core_.config.id) return Outcome::kStay;
  bool voter = core_.ensemble.is_voter(from);
  // A voter that promised a later epoch: the ensemble moved past us. One that promised our
  // epoch number without promising it to us promised it to another leader that picked the
  // same number: acking ours too could give the epoch two leaders. Either way a new election
  // gives everyone an epoch above it.
  if (voter && epoch_ != 0 &&
      (m.accepted_epoch > epoch_ || (m.accepted_epoch == epoch_ && !promised(from))))
    return Outcome::kStepDown;
  Learner* l = find(from);
  if (l != nullptr && m.token < l->token) return Outcome::kStay;  // from an older connection
  if (l != nullptr && m.token == l->token) {
    // A resend: the learner still waits for the epoch.
    if (l->stage == Stage::kEpochSent) core_.send(from, msg::NewEpoch{l->token, epoch_});
    l->quiet_ticks = 0;
    return Outcome::kStay;
  }
  if (l == nullptr) l = &learners_.emplace_back();
  *l = Learner{from, voter, m.token, Stage::kInfo, m.accepted_epoch, m.current_epoch, m.last_zxid, 0, 0};
  if (epoch_ != 0) {
    l->stage = Stage::kEpochSent;
    core_.send(from, msg::NewEpoch{l->token, epoch_});
    return Outcome::kStay;
  }
  return advance();
}

Leader::Outcome Leader::on_ack_epoch(Learner& l, const msg::AckEpoch& m) {
  l.current_epoch = m.current_epoch;
  l.last_zxid = m.last_zxid;
  if (phase_ == Phase::kEpochAcks) {
    // A voter with a history above ours may hold committed txns we lack: let election,
    // which favours it, pick again.
    if (l.voter && history_above(m.current_epoch, m.last_zxid, core_.current_epoch, core_.history.last_zxid()))
      return Outcome::kStepDown;
    l.stage = Stage::kEpochAcked;
    promised_.push_back(l.id);
    return advance();
  }
  promised_.push_back(l.id);
  l.stage = Stage::kEpochAcked;
  sync(l);
  return Outcome::kStay;
}

void Leader::on_ack_new_leader(Learner& l, const msg::AckNewLeader& m) {
  l.stage = Stage::kSynced;
  l.acked_zxid = std::max(l.acked_zxid, m.durable_zxid);
  if (established()) update_commit();
}

void Leader::on_ack(Learner& l, const msg::Ack& m) {
  if (m.durable_zxid <= l.acked_zxid) return;
  l.acked_zxid = m.durable_zxid;
  if (l.voter && established()) update_commit();
}

void Leader::on_durable() {
  if (established()) {
    update_commit();
  } else if (phase_ == Phase::kNewLeaderAcks) {
    (void)advance();
  }
}

Leader::Outcome Leader::advance() {
  if (phase_ == Phase::kDiscovery && !pick_epoch()) return Outcome::kStay;
  if (phase_ == Phase::kEpochAcks && !finish_discovery()) return Outcome::kStay;
  if (phase_ == Phase::kNewLeaderAcks && voters_at_least(Stage::kSynced) >= core_.ensemble.quorum() &&
      core_.durable_zxid >= initial_zxid_)
    establish();
  return Outcome::kStay;
}

// Discovery, step 2: a quorum follows us; the epoch is above every epoch it promised.
bool Leader::pick_epoch() {
  if (voters_at_least(Stage::kInfo) < core_.ensemble.quorum()) return false;
  Epoch max_epoch = core_.accepted_epoch;
  for (const Learner& l : learners_) max_epoch = std::max(max_epoch, l.accepted_epoch);
  epoch_ = max_epoch + 1;
  core_.accepted_epoch = epoch_;
  core_.persist_epochs();
  phase_ = Phase::kEpochAcks;
  for (Learner& l : learners_) {
    l.stage = Stage::kEpochSent;
    core_.send(l.id, msg::NewEpoch{l.token, epoch_});
  }
  return true;
}

// Discovery, step 4: a quorum promised; our history becomes the epoch's initial history.
bool Leader::finish_discovery() {
  if (voters_at_least(Stage::kEpochAcked) < core_.ensemble.quorum()) return false;
  core_.current_epoch = epoch_;
  core_.persist_epochs();
  initial_zxid_ = core_.history.last_zxid();
  phase_ = Phase::kNewLeaderAcks;
  for (Learner& l : learners_)
    if (l.stage == Stage::kEpochAcked) sync(l);
  return true;
}

void Leader::establish() {
  phase_ = Phase::kBroadcast;
  core_.role_changed(Role::kLeading, epoch_, core_.config.id);
  update_commit();
}

void Leader::sync(Learner& l) {
  SyncPlan plan = plan_sync(core_.history, l.last_zxid);
  msg::NewLeader m{l.token, epoch_, plan.mode, plan.from_zxid, {}, {}, core_.commit_zxid};
  if (plan.mode == msg::SyncMode::kSnap) {
    m.image = core_.state.capture();
    // The owner applied everything we committed, and the tail keeps all txns above that.
    RK_ASSERT(m.image.zxid >= core_.history.base_zxid() && m.image.zxid <= core_.history.last_zxid());
    m.txns = core_.history.after(m.image.zxid);
  } else {
    m.txns = core_.history.after(plan.from_zxid);
  }
  l.stage = Stage::kSyncing;
  l.quiet_ticks = 0;
  core_.send(l.id, std::move(m));
}

void Leader::update_commit() {
  std::array<Zxid, kVotersMax> durable{};
  size_t n = 0;
  durable[n++] = core_.durable_zxid;
  for (const Learner& l : learners_)
    if (l.voter) durable[n++] = l.stage == Stage::kSynced ? l.acked_zxid : 0;
  n = core_.ensemble.voter_count();  // voters not connected count as 0
  Zxid point = commit_point(std::span<const Zxid>(durable.data(), n), core_.ensemble.quorum());
  if (point <= core_.commit_zxid) return;
  core_.commit(point);
  for (const Learner& l : learners_)
    if (streaming(l)) core_.send(l.id, msg::Commit{l.token, epoch_, point});
}

Zxid Leader::next_zxid() {
  RK_ASSERT(established() && !counter_exhausted());
  return make_zxid(epoch_, ++counter_);
}

void Leader::propose(std::vector<Txn> txns) {
  RK_ASSERT(established() && !txns.empty());
  Zxid prev = core_.history.last_zxid();
  for (const Txn& t : txns) {
    RK_ASSERT(zxid_epoch(t.zxid) == epoch_ && zxid_counter(t.zxid) <= counter_);
    core_.history.append(t);
  }
  auto batch = std::make_shared<const std::vector<Txn>>(std::move(txns));
  core_.outbox.push_back(effect::Append{batch});
  for (const Learner& l : learners_)
    if (streaming(l)) core_.send(l.id, msg::Proposal{l.token, epoch_, prev, batch, core_.commit_zxid});
}

bool Leader::has_live_quorum() const {
  size_t live = 1;
  for (const Learner& l : learners_)
    live += l.voter && l.stage == Stage::kSynced && l.quiet_ticks <= core_.config.sync_limit_ticks ? 1 : 0;
  return live >= core_.ensemble.quorum();
}

Leader::Outcome Leader::on_tick() {
  ++ticks_;
  if (!established() && ticks_ > core_.config.init_limit_ticks) return Outcome::kStepDown;
  for (Learner& l : learners_) ++l.quiet_ticks;
  // Forget learners silent past their limit: they will come back with a new connection.
  std::erase_if(learners_, [&](const Learner& l) {
    int32_t limit = l.stage == Stage::kSynced ? core_.config.sync_limit_ticks : core_.config.init_limit_ticks;
    return l.quiet_ticks > limit;
  });
  if (established() && !has_live_quorum()) return Outcome::kStepDown;
  // Zxid counter exhausted: a new epoch restarts it (ZooKeeper re-elects too).
  if (established() && counter_exhausted()) return Outcome::kStepDown;
  for (const Learner& l : learners_)
    if (streaming(l))
      core_.send(l.id, msg::Ping{l.token, epoch_, core_.history.last_zxid(), core_.commit_zxid});
  return Outcome::kStay;
}

Leader::LearnerCounts Leader::learner_counts() const {
  LearnerCounts counts;
  for (const Learner& l : learners_) {
    ++counts.learners;
    if (l.stage != Stage::kSynced) continue;
    if (l.voter) {
      ++counts.synced_followers;
    } else {
      ++counts.synced_observers;
    }
  }
  return counts;
}

}  // namespace rk::quorum
