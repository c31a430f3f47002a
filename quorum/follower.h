// A learner's side (follower or observer) of discovery, synchronization and broadcast
// (quorum/PROTOCOL.md). Lives while its Peer follows one leader, on the peer's thread; every
// call says whether to go back to LOOKING.
#pragma once

#include "quorum/peer_core.h"

namespace rk::quorum {

// Owned by a Peer while FOLLOWING or OBSERVING; called on the peer's thread only.
class Follower {
 public:
  Follower(PeerCore& core, ServerId leader, uint64_t token, bool observer)
      : core_(core), leader_(leader), token_(token), observer_(observer) {}

  enum class Outcome { kStay, kLook };

  void start();
  Outcome on_message(const Message& message);  // from the leader only
  Outcome on_tick();
  void on_durable();

  ServerId leader() const { return leader_; }
  Epoch epoch() const { return epoch_; }
  bool serving() const { return phase_ == Phase::kBroadcast; }

 private:
  enum class Phase { kAwaitNewEpoch, kAwaitNewLeader, kAwaitDurable, kBroadcast };

  Outcome on_new_epoch(const msg::NewEpoch& m);
  Outcome on_new_leader(const msg::NewLeader& m);
  Outcome on_proposal(const msg::Proposal& m);
  Outcome on_ping(const msg::Ping& m);
  bool take_sync(const msg::NewLeader& m);
  void append(const std::vector<Txn>& txns, TxnBatch batch);
  void learn_commit(Zxid leader_commit_zxid);
  void finish_sync_when_durable();

  void send_follower_info();
  void send_ack_epoch();
  bool synced() const { return phase_ == Phase::kAwaitDurable || phase_ == Phase::kBroadcast; }

  PeerCore& core_;
  const ServerId leader_;
  const uint64_t token_;
  const bool observer_;
  Phase phase_ = Phase::kAwaitNewEpoch;
  Epoch epoch_ = 0;
  Zxid sync_zxid_ = 0;    // the end of the leader's history as synchronization sent it
  Zxid acked_zxid_ = 0;   // the last durable zxid we told the leader about
  int32_t ticks_ = 0;     // since we started following
  int32_t quiet_ticks_ = 0;
};

}  // namespace rk::quorum
