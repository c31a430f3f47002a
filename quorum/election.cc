// Vote bookkeeping for one member.
#include "quorum/election.h"

namespace rk::quorum {

void Election::start(ServerId my_id, std::optional<Vote> self) {
  my_id_ = my_id;
  self_ = self;
  ++round_;
  votes_.clear();
  vote_ = self.value_or(Vote{});
  if (self_) votes_[my_id_] = vote_;
}

msg::Notification Election::notification() const { return msg::Notification{vote_, round_, Role::kLooking}; }

Election::Reaction Election::on_looking_vote(ServerId from, const msg::Notification& n) {
  Reaction r;
  if (!ensemble_.is_voter(from)) return r;
  if (n.round < round_) {
    r.answer = true;
    return r;
  }
  if (n.round > round_) {
    round_ = n.round;
    votes_.clear();
    vote_ = self_ && vote_above(*self_, n.vote) ? *self_ : n.vote;
    r.broadcast = true;
  } else if (vote_above(n.vote, vote_) || (!self_ && vote_.leader == 0)) {
    vote_ = n.vote;
    r.broadcast = true;
  }
  votes_[from] = n.vote;
  if (self_) votes_[my_id_] = vote_;
  r.decided = decision();
  return r;
}

std::optional<ServerId> Election::decision() const {
  if (vote_.leader == 0 || !ensemble_.is_voter(vote_.leader)) return std::nullopt;
  size_t agreeing = 0;
  for (const auto& [id, v] : votes_) agreeing += v == vote_ ? 1 : 0;
  if (agreeing < ensemble_.quorum()) return std::nullopt;
  return vote_.leader;
}

}  // namespace rk::quorum
