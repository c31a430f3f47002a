// The messages members of an ensemble exchange (quorum/PROTOCOL.md § Messages). Plain values:
// the transport frames them; the protocol core only reads and builds them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/txn.h"
#include "engine/types.h"

namespace rk::quorum {

using ServerId = int64_t;
using Epoch = int64_t;
using TxnBatch = std::shared_ptr<const std::vector<Txn>>;  // shared by every copy of a proposal

enum class Role : uint8_t { kLooking, kFollowing, kLeading, kObserving };

// A member's whole applied state at a committed zxid, opaque to the protocol (SNAP).
struct StateImage {
  Zxid zxid = 0;
  std::shared_ptr<const std::string> bytes;
};

// A vote: the candidate, its currentEpoch and last zxid. Compared (epoch, zxid, leader).
struct Vote {
  ServerId leader = 0;
  Epoch epoch = 0;
  Zxid zxid = 0;
  bool operator==(const Vote&) const = default;
};

inline bool vote_above(const Vote& a, const Vote& b) {
  if (a.epoch != b.epoch) return a.epoch > b.epoch;
  if (a.zxid != b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

namespace msg {

struct Notification {
  Vote vote;
  int64_t round = 0;
  Role sender_role = Role::kLooking;
};

struct FollowerInfo {
  uint64_t token = 0;
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
  Zxid last_zxid = 0;
};

struct NewEpoch {
  uint64_t token = 0;
  Epoch epoch = 0;
};

struct AckEpoch {
  uint64_t token = 0;
  Epoch epoch = 0;
  Epoch current_epoch = 0;
  Zxid last_zxid = 0;
};

enum class SyncMode : uint8_t { kDiff, kTrunc, kSnap };

// Synchronization and NEWLEADER in one message: after it the learner's history is the
// leader's up to the last txn carried.
struct NewLeader {
  uint64_t token = 0;
  Epoch epoch = 0;
  SyncMode mode = SyncMode::kDiff;
  Zxid prev_zxid = 0;  // kDiff: the learner's last zxid; kTrunc: cut everything above it
  StateImage image;    // kSnap: txns follow image.zxid
  std::vector<Txn> txns;
  Zxid commit_zxid = 0;
};

struct AckNewLeader {
  uint64_t token = 0;
  Epoch epoch = 0;
  Zxid durable_zxid = 0;
};

struct Proposal {
  uint64_t token = 0;
  Epoch epoch = 0;
  Zxid prev_zxid = 0;  // the leader's last zxid before this batch
  TxnBatch txns;
  Zxid commit_zxid = 0;
};

struct Ack {
  uint64_t token = 0;
  Epoch epoch = 0;
  Zxid durable_zxid = 0;
};

struct Commit {
  uint64_t token = 0;
  Epoch epoch = 0;
  Zxid commit_zxid = 0;
};

struct Ping {
  uint64_t token = 0;
  Epoch epoch = 0;
  Zxid last_zxid = 0;
  Zxid commit_zxid = 0;
};

}  // namespace msg

using Message = std::variant<msg::Notification, msg::FollowerInfo, msg::NewEpoch, msg::AckEpoch, msg::NewLeader,
                             msg::AckNewLeader, msg::Proposal, msg::Ack, msg::Commit, msg::Ping>;

}  // namespace rk::quorum
