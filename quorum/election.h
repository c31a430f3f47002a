// Fast leader election among voters (quorum/PROTOCOL.md § Election): rounds, votes, the
// quorum that decides. Helpers only compute; the Peer sends what they return.
#pragma once

#include <map>
#include <optional>

#include "quorum/ensemble.h"
#include "quorum/messages.h"

namespace rk::quorum {

// One LOOKING spell's votes. Owned by a Peer, on its thread.
class Election {
 public:
  explicit Election(const Ensemble& ensemble) : ensemble_(ensemble) {}

  // Starts a new round voting for `self` (a voter's own candidacy; observers pass nothing
  // and only listen).
  void start(ServerId my_id, std::optional<Vote> self);

  struct Reaction {
    bool broadcast = false;  // our vote changed: send it to every voter
    bool answer = false;     // the sender is behind: send our vote back to it alone
    std::optional<ServerId> decided;  // a quorum agrees on this leader
  };
  // A Notification from a LOOKING voter.
  Reaction on_looking_vote(ServerId from, const msg::Notification& n);

  msg::Notification notification() const;
  // The leader a quorum of this round's votes agrees on, if any (a lone voter agrees with
  // itself at once).
  std::optional<ServerId> decision() const;

 private:
  const Ensemble& ensemble_;
  ServerId my_id_ = 0;
  std::optional<Vote> self_;  // empty for an observer
  Vote vote_;
  int64_t round_ = 0;
  std::map<ServerId, Vote> votes_;  // this round's, from LOOKING voters (ours included)
};

}  // namespace rk::quorum
