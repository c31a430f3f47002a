// The engine thread's side of replication: frames in, effects out, in the order the ZAB
// core asks for them (quorum/PROTOCOL.md § What the owner must do).
#include "server/replica.h"

#include <algorithm>
#include <cstdlib>
#include <span>

#include "base/clock.h"
#include "base/log.h"
#include "net/client_codec.h"

namespace rk {
namespace {

// The peer is ticked this many times per tickTime, with limits scaled to match: a dead or
// hung peer is noticed within a quarter tick of syncLimit x tickTime, not up to a whole
// tick late, and lost election messages are resent sooner.
constexpr int32_t kTicksPerTickTime = 4;

int32_t peer_tick_ms(const ServerConfig& config) {
  return std::max(1, config.tick_time_ms / kTicksPerTickTime);
}

const char* role_name(quorum::Role role) {
  switch (role) {
    case quorum::Role::kLooking: return "LOOKING";
    case quorum::Role::kFollowing: return "FOLLOWING";
    case quorum::Role::kLeading: return "LEADING";
    case quorum::Role::kObserving: return "OBSERVING";
  }
  return "?";
}

PeerNetConfig net_config(const ServerConfig& config) {
  PeerNetConfig net;
  net.my_id = config.my_id;
  for (const QuorumMember& m : config.members) {
    net.members.push_back(PeerAddress{m.id, m.host, m.quorum_port, m.election_port});
  }
  return net;
}

quorum::PeerConfig peer_config(const ServerConfig& config, uint64_t incarnation) {
  quorum::PeerConfig peer;
  peer.id = config.my_id;
  for (const QuorumMember& m : config.members) {
    peer.members.push_back(quorum::Member{m.id, m.role == PeerRole::kObserver});
  }
  peer.init_limit_ticks = config.init_limit_ticks * kTicksPerTickTime;
  peer.sync_limit_ticks = config.sync_limit_ticks * kTicksPerTickTime;
  peer.incarnation = incarnation;
  return peer;
}

// Election traffic on the election port, everything else on the quorum port, as
// ZooKeeper splits them.
PeerChannel channel_of(const quorum::Message& message) {
  return std::holds_alternative<quorum::msg::Notification>(message) ? PeerChannel::kElection
                                                                   : PeerChannel::kQuorum;
}

// Each frame is encoded into a string of its own, which the network takes over.
template <class Message>
void send_frame(PeerNet& net, quorum::ServerId to, PeerChannel channel, const Message& message) {
  std::string frame;
  quorum::encode_frame(message, frame);
  net.send(to, channel, std::move(frame));
}

}  // namespace

Replica::Replica(const ServerConfig& config, Storage& storage) : config_(config), storage_(storage) {}

Replica::~Replica() { stop(); }

Status Replica::open(int wake_fd) {
  net_ = std::make_unique<PeerNet>(net_config(config_), wake_fd);
  Status opened = net_->open();
  if (!opened) return opened;
  return net_->start();
}

void Replica::stop() {
  if (net_) net_->stop();
}

Status Replica::boot(Processor& processor, int wake_fd) {
  quorum::PersistedState persisted;
  uint64_t incarnation = 0;
  Status recovered = storage_.recover_member(processor, wake_fd, persisted, incarnation);
  if (!recovered) return recovered;
  processor_ = &processor;
  // The log after the snapshot is history, not state: it applies when a leader commits it.
  for (const Txn& txn : persisted.log) processor.learn(Txn(txn));
  now_mono_ms_ = mono_ms();
  now_wall_ms_ = wall_ms();
  processor.set_role(ReplicaRole::kLooking, 0, now_mono_ms_);
  peer_ = std::make_unique<quorum::Peer>(peer_config(config_, incarnation), persisted, *this);
  reported_durable_ = peer_->durable_zxid();
  RK_INFO("member %lld of %zu: epochs accepted %lld current %lld, snapshot 0x%llx, %zu logged txns after it, "
          "boot %llu",
          static_cast<long long>(config_.my_id), config_.members.size(),
          static_cast<long long>(persisted.accepted_epoch), static_cast<long long>(persisted.current_epoch),
          static_cast<unsigned long long>(persisted.snapshot_zxid), persisted.log.size(),
          static_cast<unsigned long long>(incarnation));
  peer_->start();
  run_effects();
  next_tick_ms_ = now_mono_ms_ + peer_tick_ms(config_);
  return Status::ok();
}

// ---- the engine loop's calls

int64_t Replica::step(int64_t now_wall_ms, int64_t now_mono_ms) {
  now_wall_ms_ = now_wall_ms;
  now_mono_ms_ = now_mono_ms;
  // What the processor logged from client requests goes out before the peer's news.
  end_burst();
  frames_.clear();
  net_->receive(frames_);
  for (PeerFrame& frame : frames_) on_frame(frame);
  end_burst();
  storage_.poll();
  Zxid durable = storage_.durable_zxid();
  if (durable > reported_durable_) {
    reported_durable_ = durable;
    peer_->on_durable(durable);
    run_effects();
  }
  if (now_mono_ms >= next_tick_ms_) {
    peer_->on_tick();
    run_effects();
    if (++ticks_ % kTicksPerTickTime == 0) send_touches();
    next_tick_ms_ = now_mono_ms + peer_tick_ms(config_);
  }
  end_burst();
  return std::max<int64_t>(0, next_tick_ms_ - now_mono_ms);
}

void Replica::end_burst() {
  if (!batch_.empty()) {
    if (peer_->can_propose()) {
      for (const Txn& txn : batch_) {
        Zxid zxid = peer_->next_zxid();
        RK_ASSERT(zxid == txn.zxid);
        (void)zxid;
      }
      peer_->propose(std::exchange(batch_, {}));
      run_effects();
    } else {
      // The epoch ended under these txns (stepping down, or its counter ran out): they
      // were never proposed, so they never happened.
      batch_.clear();
      processor_->truncate(peer_->last_zxid());
    }
  }
  storage_.flush();
}

void Replica::on_logged(const Txn& txn) { batch_.push_back(txn); }

void Replica::forward_write(SessionId session, const std::vector<Id>& ids, const Request& request) {
  quorum::svc::ForwardWrite message;
  message.epoch = peer_->epoch();
  message.session = session;
  message.ids = ids;
  encode_request(request, message.request);
  message.request.erase(0, 4);  // the client frame's length prefix
  send_to_leader(message);
}

void Replica::forward_session(SessionId session, int32_t timeout_ms) {
  send_to_leader(quorum::svc::ForwardSession{peer_->epoch(), session, timeout_ms});
}

void Replica::forward_sync(SessionId session, int32_t xid) {
  send_to_leader(quorum::svc::SyncRequest{peer_->epoch(), session, xid});
}

// ---- frames

void Replica::on_frame(PeerFrame& frame) {
  if (frame.closed) {
    if (frame.channel == PeerChannel::kQuorum) {
      peer_->on_link_lost(frame.from);
      run_effects();
    }
    return;
  }
  auto decoded = quorum::decode_frame(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.bytes.data()), frame.bytes.size()));
  if (!decoded) {
    RK_WARN("dropped a frame from member %lld: %s", static_cast<long long>(frame.from),
            decoded.status().message().c_str());
    return;
  }
  if (auto* message = std::get_if<quorum::Message>(&*decoded)) {
    peer_->on_message(frame.from, *message);
    run_effects();
    return;
  }
  on_service(frame.from, std::get<quorum::ServiceMessage>(*decoded));
}

void Replica::on_service(quorum::ServerId from, quorum::ServiceMessage& message) {
  const bool leading = processor_->role() == ReplicaRole::kLeader;
  const quorum::Epoch epoch = peer_->epoch();
  if (auto* m = std::get_if<quorum::svc::ForwardWrite>(&message)) {
    if (!leading || m->epoch != epoch) return;
    auto request = decode_request(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(m->request.data()), m->request.size()));
    if (!request) {
      RK_WARN("member %lld forwarded a request that does not decode: %s", static_cast<long long>(from),
              request.status().message().c_str());
      return;
    }
    processor_->handle_forwarded_write(m->session, std::move(m->ids), std::move(*request), now_wall_ms_,
                                       now_mono_ms_);
  } else if (auto* m = std::get_if<quorum::svc::ForwardSession>(&message)) {
    if (!leading || m->epoch != epoch) return;
    processor_->handle_forwarded_session(m->session, m->timeout_ms, now_wall_ms_, now_mono_ms_);
  } else if (auto* m = std::get_if<quorum::svc::Touch>(&message)) {
    if (!leading || m->epoch != epoch) return;
    for (const auto& [session, timeout_ms] : m->sessions) {
      processor_->touch_session(session, timeout_ms, now_mono_ms_);
    }
  } else if (auto* m = std::get_if<quorum::svc::SyncRequest>(&message)) {
    if (!leading || m->epoch != epoch) return;
    // Everything taken so far, including what this step logged and proposes next.
    quorum::svc::SyncReply reply{epoch, m->session, m->xid, processor_->last_logged_zxid()};
    send_frame(*net_, from, PeerChannel::kQuorum, quorum::ServiceMessage(reply));
  } else if (auto* m = std::get_if<quorum::svc::SyncReply>(&message)) {
    if (processor_->role() != ReplicaRole::kLearner || m->epoch != epoch || from != peer_->leader()) return;
    processor_->sync_reply(m->session, m->xid, m->zxid);
  }
}

void Replica::send_to_leader(const quorum::ServiceMessage& message) {
  quorum::ServerId leader = peer_->leader();
  if (leader == 0 || leader == config_.my_id) return;  // the client is closed on role change
  send_frame(*net_, leader, PeerChannel::kQuorum, message);
}

void Replica::send_message(quorum::ServerId to, const quorum::Message& message) {
  send_frame(*net_, to, channel_of(message), message);
}

void Replica::send_touches() {
  if (processor_->role() != ReplicaRole::kLearner) return;
  touched_.clear();
  processor_->take_touched(touched_);
  if (touched_.empty()) return;
  send_to_leader(quorum::svc::Touch{peer_->epoch(), touched_});
}

// ---- effects

void Replica::run_effects() {
  // A leader's Commit of its initial history comes right after its RoleChanged: the
  // processor takes the role once the whole batch of effects is carried out.
  std::optional<quorum::effect::RoleChanged> leading;
  for (quorum::Effect& effect : peer_->take_effects()) {
    if (auto* e = std::get_if<quorum::effect::Send>(&effect)) {
      send_message(e->to, e->message);
    } else if (auto* e = std::get_if<quorum::effect::Append>(&effect)) {
      const bool learner = peer_->role() != quorum::Role::kLeading;
      for (const Txn& txn : *e->txns) {
        storage_.append(txn);
        if (learner) processor_->learn(Txn(txn));
      }
    } else if (auto* e = std::get_if<quorum::effect::Truncate>(&effect)) {
      Status cut = storage_.truncate_log(e->zxid);
      if (!cut) fail("cannot truncate the txn log", cut);
      processor_->truncate(e->zxid);
      reported_durable_ = std::min(reported_durable_, e->zxid);
      RK_INFO("txn log truncated after 0x%llx (TRUNC from the leader)", static_cast<unsigned long long>(e->zxid));
    } else if (auto* e = std::get_if<quorum::effect::InstallSnapshot>(&effect)) {
      Status installed = storage_.install_image(e->image, *e->txns, *processor_);
      if (!installed) fail("cannot install the leader's snapshot", installed);
      for (const Txn& txn : *e->txns) processor_->learn(Txn(txn));
      reported_durable_ = std::min(reported_durable_, e->image.zxid);
      RK_INFO("installed the leader's snapshot at 0x%llx (%zu bytes) and %zu txns after it (SNAP)",
              static_cast<unsigned long long>(e->image.zxid), e->image.bytes ? e->image.bytes->size() : 0,
              e->txns->size());
    } else if (auto* e = std::get_if<quorum::effect::Commit>(&effect)) {
      storage_.flush();  // commits never wait behind a batch that is not written yet
      processor_->commit(e->zxid);
    } else if (auto* e = std::get_if<quorum::effect::PersistEpoch>(&effect)) {
      Status stored = storage_.persist_epochs(e->accepted_epoch, e->current_epoch);
      if (!stored) fail("cannot persist the epochs", stored);
    } else if (auto* e = std::get_if<quorum::effect::RoleChanged>(&effect)) {
      if (e->role == quorum::Role::kLeading) {
        leading = *e;
      } else {
        leading.reset();
        apply_role(*e);
      }
    }
  }
  if (leading) apply_role(*leading);
}

void Replica::apply_role(const quorum::effect::RoleChanged& change) {
  if (!batch_.empty()) {
    batch_.clear();
    processor_->truncate(peer_->last_zxid());
  }
  switch (change.role) {
    case quorum::Role::kLooking:
      processor_->set_role(ReplicaRole::kLooking, 0, now_mono_ms_);
      break;
    case quorum::Role::kLeading:
      processor_->set_role(ReplicaRole::kLeader, make_zxid(change.epoch, 0), now_mono_ms_);
      leader_since_mono_ms_ = now_mono_ms_;
      break;
    case quorum::Role::kFollowing:
    case quorum::Role::kObserving:
      processor_->set_role(ReplicaRole::kLearner, 0, now_mono_ms_);
      break;
  }
  if (change.role == quorum::Role::kLooking) {
    RK_INFO("%s (epoch %lld, last zxid 0x%llx)", role_name(change.role), static_cast<long long>(change.epoch),
            static_cast<unsigned long long>(peer_->last_zxid()));
  } else {
    RK_INFO("%s: serving in epoch %lld with leader %lld, last zxid 0x%llx", role_name(change.role),
            static_cast<long long>(change.epoch), static_cast<long long>(change.leader),
            static_cast<unsigned long long>(peer_->last_zxid()));
  }
}

void Replica::fail(const char* what, const Status& status) {
  // The member's durable state is no longer known to match what the protocol was told:
  // stop, and let a restart recover from disk.
  RK_ERROR("%s: %s; stopping", what, status.message().c_str());
  std::_Exit(3);
}

quorum::StateImage Replica::capture() { return storage_.capture_image(*processor_, now_wall_ms_); }

// ---- status

ReplicaStatus Replica::status() const {
  ReplicaStatus s;
  s.serving = peer_->serving() && processor_->role() != ReplicaRole::kLooking;
  s.leader = peer_->leader();
  s.epoch = peer_->epoch();
  s.quorum_size = peer_->voter_count();  // ZooKeeper's zk_quorum_size: the voting members
  const char* phase = s.serving ? "broadcast" : "synchronization";
  switch (peer_->role()) {
    case quorum::Role::kLooking:
      s.mode = "";
      s.peer_state = "looking";
      s.serving = false;
      break;
    case quorum::Role::kLeading:
      s.mode = "leader";
      s.peer_state = std::string("leading - ") + phase;
      break;
    case quorum::Role::kFollowing:
      s.mode = "follower";
      s.peer_state = std::string("following - ") + phase;
      break;
    case quorum::Role::kObserving:
      s.mode = "observer";
      s.peer_state = std::string("observing - ") + phase;
      break;
  }
  auto counts = peer_->learner_counts();
  s.learners = counts.learners;
  s.synced_followers = counts.synced_followers;
  s.synced_observers = counts.synced_observers;
  s.leader_since_mono_ms = leader_since_mono_ms_;
  return s;
}

void Replica::metrics(std::vector<std::pair<std::string, std::string>>& out) const {
  for (const PeerNet::LinkStats& link : net_->stats()) {
    std::string prefix = "peer_" + std::to_string(link.id) + "_";
    out.emplace_back(prefix + "connected", (link.quorum_connected && link.election_connected) ? "1" : "0");
    out.emplace_back(prefix + "frames_out", std::to_string(link.frames_out));
    out.emplace_back(prefix + "frames_in", std::to_string(link.frames_in));
    out.emplace_back(prefix + "bytes_out", std::to_string(link.bytes_out));
    out.emplace_back(prefix + "bytes_in", std::to_string(link.bytes_in));
  }
}

}  // namespace rk
