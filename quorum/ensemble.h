// Who is in the ensemble and what a quorum is. Fixed for the life of a peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quorum/messages.h"

namespace rk::quorum {

struct Member {
  ServerId id = 0;
  bool observer = false;
};

// Immutable after construction; shared read-only by a peer's parts.
class Ensemble {
 public:
  explicit Ensemble(std::vector<Member> members);

  const std::vector<Member>& members() const { return members_; }
  bool contains(ServerId id) const;
  bool is_voter(ServerId id) const;
  size_t voter_count() const { return voter_count_; }
  size_t quorum() const { return voter_count_ / 2 + 1; }

 private:
  std::vector<Member> members_;
  size_t voter_count_ = 0;
};

}  // namespace rk::quorum
