// Membership lookups: ensembles are small (kVotersMax), so a linear scan is the fastest map.
#include "quorum/ensemble.h"

#include "base/assert.h"
#include "quorum/commit_point.h"

namespace rk::quorum {

Ensemble::Ensemble(std::vector<Member> members) : members_(std::move(members)) {
  for (const Member& m : members_) voter_count_ += m.observer ? 0 : 1;
  RK_ASSERT(voter_count_ >= 1 && voter_count_ <= kVotersMax);
}

bool Ensemble::contains(ServerId id) const {
  for (const Member& m : members_)
    if (m.id == id) return true;
  return false;
}

bool Ensemble::is_voter(ServerId id) const {
  for (const Member& m : members_)
    if (m.id == id) return !m.observer;
  return false;
}

}  // namespace rk::quorum
