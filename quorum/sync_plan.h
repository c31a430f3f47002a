// How a leader brings one learner's history to its own (quorum/PROTOCOL.md § Synchronization).
// Pure: decided from the leader's history tail and the learner's last zxid.
#pragma once

#include "quorum/history.h"
#include "quorum/messages.h"

namespace rk::quorum {

struct SyncPlan {
  msg::SyncMode mode = msg::SyncMode::kDiff;
  Zxid from_zxid = 0;  // kDiff / kTrunc: the learner holds the leader's history up to here
};

inline SyncPlan plan_sync(const History& leader, Zxid learner_last_zxid) {
  Zxid common = leader.floor(learner_last_zxid);
  if (common == learner_last_zxid) return {msg::SyncMode::kDiff, common};
  // The learner has txns the leader lacks. Each epoch sits in a log as one gapless run and
  // the leader holds every committed txn, so if `common` is in the learner's last epoch the
  // learner holds it too and can be cut back to it. Otherwise the learner's log may not
  // hold `common` at all: send the state instead.
  if (common > 0 && zxid_epoch(common) == zxid_epoch(learner_last_zxid)) return {msg::SyncMode::kTrunc, common};
  return {msg::SyncMode::kSnap, 0};
}

}  // namespace rk::quorum
