// The state a peer's roles share: its log tail, epochs, durable and commit points, and the
// outbox of effects. Owned by one Peer, on its thread; Leader and Follower borrow it.
#pragma once

#include <vector>

#include "base/assert.h"
#include "quorum/effects.h"
#include "quorum/ensemble.h"
#include "quorum/history.h"

namespace rk::quorum {

struct PeerConfig {
  ServerId id = 0;
  std::vector<Member> members;
  int32_t init_limit_ticks = 10;  // zoo.cfg initLimit: to finish discovery + sync
  int32_t sync_limit_ticks = 5;   // zoo.cfg syncLimit: silence tolerated while serving
  size_t history_committed_max = 1000;  // committed txns kept in memory for DIFFs
  // Rises across restarts of this member (the owner keeps a boot counter): tells a
  // learner's new connection from messages of an older one.
  uint64_t incarnation = 0;
};

// Owned by one Peer; its Leader or Follower borrows it on the same thread.
struct PeerCore {
  PeerCore(const PeerConfig& c, const Ensemble& e, StateSource& s, Zxid base_zxid)
      : config(c), ensemble(e), state(s), history(base_zxid) {}

  const PeerConfig& config;
  const Ensemble& ensemble;
  StateSource& state;
  std::vector<Effect> outbox;

  History history;
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
  Zxid durable_zxid = 0;
  Zxid commit_zxid = 0;  // applied up to here (the last Commit emitted, or the snapshot)

  void send(ServerId to, Message message) { outbox.push_back(effect::Send{to, std::move(message)}); }
  void persist_epochs() { outbox.push_back(effect::PersistEpoch{accepted_epoch, current_epoch}); }
  void role_changed(Role role, Epoch epoch, ServerId leader) {
    outbox.push_back(effect::RoleChanged{role, epoch, leader});
  }
  // Applies up to `zxid` if that is news; committed txns are never above the log's end.
  void commit(Zxid zxid) {
    if (zxid <= commit_zxid) return;
    RK_ASSERT(zxid <= history.last_zxid());
    commit_zxid = zxid;
    outbox.push_back(effect::Commit{zxid});
  }
};

}  // namespace rk::quorum
