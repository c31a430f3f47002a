// The commit point of a leader: the highest zxid durable on a quorum of voters. Pure and
// allocation-free; called on every ack, so it must stay cheap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <span>

#include "base/assert.h"
#include "engine/types.h"

namespace rk::quorum {

inline constexpr size_t kVotersMax = 32;

// The quorum-th highest of `durable_zxids` (one entry per voter: the leader's durable zxid
// and each voter's acked zxid, 0 for a voter not synchronized): at least `quorum` voters hold
// everything up to it durably, and no higher zxid has that property.
inline Zxid commit_point(std::span<const Zxid> durable_zxids, size_t quorum) {
  RK_ASSERT(quorum >= 1 && quorum <= durable_zxids.size() && durable_zxids.size() <= kVotersMax);
  std::array<Zxid, kVotersMax> sorted;
  std::copy(durable_zxids.begin(), durable_zxids.end(), sorted.begin());
  auto end = sorted.begin() + static_cast<std::ptrdiff_t>(durable_zxids.size());
  auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(quorum - 1);
  std::nth_element(sorted.begin(), nth, end, std::greater<Zxid>());
  return *nth;
}

}  // namespace rk::quorum
