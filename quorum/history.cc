// The in-memory log tail: binary searches over a deque sorted by zxid.
#include "quorum/history.h"

#include <algorithm>

#include "base/assert.h"

namespace rk::quorum {
namespace {

auto first_above(const std::deque<Txn>& txns, Zxid zxid) {
  return std::upper_bound(txns.begin(), txns.end(), zxid, [](Zxid z, const Txn& t) { return z < t.zxid; });
}

}  // namespace

void History::reset(Zxid base_zxid) {
  base_zxid_ = base_zxid;
  txns_.clear();
}

void History::append(const Txn& txn) {
  RK_ASSERT(txn.zxid > last_zxid());
  txns_.push_back(txn);
}

void History::truncate(Zxid zxid) {
  RK_ASSERT(zxid >= base_zxid_);
  txns_.erase(first_above(txns_, zxid), txns_.end());
}

Zxid History::floor(Zxid zxid) const {
  if (zxid < base_zxid_) return -1;
  auto it = first_above(txns_, zxid);
  return it == txns_.begin() ? base_zxid_ : std::prev(it)->zxid;
}

std::vector<Txn> History::after(Zxid zxid) const {
  RK_ASSERT(zxid >= base_zxid_);
  return std::vector<Txn>(first_above(txns_, zxid), txns_.end());
}

void History::trim(Zxid commit_zxid, size_t committed_max) {
  size_t committed = static_cast<size_t>(first_above(txns_, commit_zxid) - txns_.begin());
  while (committed > committed_max) {
    base_zxid_ = txns_.front().zxid;
    txns_.pop_front();
    --committed;
  }
}

}  // namespace rk::quorum
