// What a peer asks its owner to do (quorum/PROTOCOL.md § What the owner must do). The owner
// drains them in order after every call into the peer.
#pragma once

#include <variant>

#include "quorum/messages.h"

namespace rk::quorum {

namespace effect {

struct Send {
  ServerId to = 0;
  Message message;
};

// Append to the local log; durability comes back through Peer::on_durable.
struct Append {
  TxnBatch txns;
};

// Cut every logged txn above `zxid`; durable before the next effect is acted on.
struct Truncate {
  Zxid zxid = 0;
};

// Replace the applied state with the image and the whole log with `txns` (which follow
// image.zxid). The image and the txns become durable together, replacing the old state and
// log at once, before the next effect is acted on: the old log may hold committed txns
// above image.zxid that must never be missing from both.
struct InstallSnapshot {
  StateImage image;
  TxnBatch txns;
};

// Apply every logged txn up to `zxid`.
struct Commit {
  Zxid zxid = 0;
};

// Make both epochs durable before acting on any later effect.
struct PersistEpoch {
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
};

// Entered LOOKING, or started serving as follower / observer / leader of `epoch`.
struct RoleChanged {
  Role role = Role::kLooking;
  Epoch epoch = 0;
  ServerId leader = 0;
};

}  // namespace effect

using Effect = std::variant<effect::Send, effect::Append, effect::Truncate, effect::InstallSnapshot, effect::Commit,
                            effect::PersistEpoch, effect::RoleChanged>;

// The applied state, captured for a learner too far behind for a DIFF. Implemented by the
// owner; called on the peer's thread.
class StateSource {
 public:
  virtual ~StateSource() = default;
  // The applied state and its zxid: the last Commit the owner carried out.
  virtual StateImage capture() = 0;
};

}  // namespace rk::quorum
