// A leader's side of discovery, synchronization and broadcast (quorum/PROTOCOL.md). Lives
// while its Peer is LEADING, on the peer's thread; every call says whether to step down.
#pragma once

#include <vector>

#include "quorum/peer_core.h"
#include "quorum/sync_plan.h"

namespace rk::quorum {

// Owned by a Peer while LEADING; called on the peer's thread only.
class Leader {
 public:
  explicit Leader(PeerCore& core) : core_(core) {}

  enum class Outcome { kStay, kStepDown };

  Outcome start();
  Outcome on_message(ServerId from, const Message& message);
  Outcome on_tick();
  void on_durable();

  bool established() const { return phase_ == Phase::kBroadcast; }
  bool can_propose() const { return established() && !counter_exhausted(); }
  Epoch epoch() const { return epoch_; }
  Zxid next_zxid();
  void propose(std::vector<Txn> txns);

  // For the four-letter words: learners connected, and those synchronized (voters, observers).
  struct LearnerCounts {
    size_t learners = 0;
    size_t synced_followers = 0;
    size_t synced_observers = 0;
  };
  LearnerCounts learner_counts() const;

 private:
  enum class Phase { kDiscovery, kEpochAcks, kNewLeaderAcks, kBroadcast };
  enum class Stage { kInfo, kEpochSent, kEpochAcked, kSyncing, kSynced };

  struct Learner {
    ServerId id = 0;
    bool voter = false;
    uint64_t token = 0;
    Stage stage = Stage::kInfo;
    Epoch accepted_epoch = 0;
    Epoch current_epoch = 0;
    Zxid last_zxid = 0;
    Zxid acked_zxid = 0;
    int32_t quiet_ticks = 0;
  };

  Outcome on_follower_info(ServerId from, const msg::FollowerInfo& m);
  Outcome on_ack_epoch(Learner& l, const msg::AckEpoch& m);
  void on_ack_new_leader(Learner& l, const msg::AckNewLeader& m);
  void on_ack(Learner& l, const msg::Ack& m);

  Outcome advance();  // takes every phase step the gathered answers allow
  bool pick_epoch();
  bool finish_discovery();
  void establish();
  void sync(Learner& l);
  void update_commit();
  bool has_live_quorum() const;

  Learner* find(ServerId id);
  bool promised(ServerId id) const;  // it sent us AckEpoch for epoch_
  size_t voters_at_least(Stage stage) const;  // ourselves included
  bool counter_exhausted() const { return counter_ >= kCounterMax; }
  bool streaming(const Learner& l) const { return l.stage == Stage::kSyncing || l.stage == Stage::kSynced; }

  static constexpr int64_t kCounterMax = 0xffffffffLL;

  PeerCore& core_;
  Phase phase_ = Phase::kDiscovery;
  Epoch epoch_ = 0;              // 0 until picked
  Zxid initial_zxid_ = 0;        // the last zxid of the epoch's initial history
  int64_t counter_ = 0;          // the low half of the last zxid handed out
  int32_t ticks_ = 0;
  std::vector<Learner> learners_;
  std::vector<ServerId> promised_;  // every learner that acked epoch_ (repeats allowed)
};

}  // namespace rk::quorum
