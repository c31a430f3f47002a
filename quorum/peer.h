// One ensemble member's replication protocol as a pure state machine (quorum/PROTOCOL.md):
// no I/O, no clock, no RNG. The owner feeds it messages, ticks and its log's durability,
// and carries out the effects it leaves in the outbox, in order, after every call.
#pragma once

#include <optional>
#include <vector>

#include "quorum/effects.h"
#include "quorum/election.h"
#include "quorum/follower.h"
#include "quorum/leader.h"
#include "quorum/peer_core.h"

namespace rk::quorum {

// What survives a restart: the persisted epochs, the snapshot the applied state restarts
// from, and the durable log above it.
struct PersistedState {
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
  Zxid snapshot_zxid = 0;
  std::vector<Txn> log;  // zxids strictly rising, all above snapshot_zxid
};

// Owned by one thread (the engine core once wired); every call comes from it.
class Peer {
 public:
  Peer(PeerConfig config, const PersistedState& persisted, StateSource& state);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void start();  // enter LOOKING
  void on_message(ServerId from, const Message& message);
  void on_tick();
  void on_durable(Zxid durable_zxid);  // the local log made everything up to here durable
  // The owner's transport lost its connection from `from`: a learner whose leader that is
  // goes back to LOOKING at once instead of after syncLimit ticks of silence.
  void on_link_lost(ServerId from);

  // Leader only: a serving leader assigns zxids, then proposes them, in order, in batches.
  // False while not an established leader, or once the epoch's zxid counter is used up (the
  // leader then steps down at its next tick).
  bool can_propose() const;
  Zxid next_zxid();
  void propose(std::vector<Txn> txns);

  // Moves the effects out; the owner carries them out in order.
  std::vector<Effect> take_effects();

  Role role() const { return role_; }
  ServerId id() const { return config_.id; }
  ServerId leader() const;  // 0 when none is known
  Epoch epoch() const;      // of the role held; currentEpoch when LOOKING
  Epoch accepted_epoch() const { return core_.accepted_epoch; }
  Epoch current_epoch() const { return core_.current_epoch; }
  Zxid last_zxid() const { return core_.history.last_zxid(); }
  Zxid durable_zxid() const { return core_.durable_zxid; }
  Zxid commit_zxid() const { return core_.commit_zxid; }
  bool serving() const;  // LOOKING: false; learner: synchronized; leader: established
  // Leader only (zeros otherwise): its learners, for the four-letter words.
  Leader::LearnerCounts learner_counts() const;
  size_t voter_count() const { return ensemble_.voter_count(); }

 private:
  void look();
  void follow(ServerId leader);
  void lead();
  void on_notification(ServerId from, const msg::Notification& n);
  void broadcast_vote();
  msg::Notification my_notification() const;

  const PeerConfig config_;
  const Ensemble ensemble_;
  const bool observer_;
  PeerCore core_;
  Election election_;
  Role role_ = Role::kLooking;
  uint32_t attempt_ = 0;
  std::optional<Leader> leader_;
  std::optional<Follower> follower_;
};

}  // namespace rk::quorum
