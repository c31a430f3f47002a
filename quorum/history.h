// The tail of a member's log kept in memory: every txn above the commit point and up to a
// bounded number of committed ones below it, so a leader can plan DIFF/TRUNC/SNAP and send
// DIFFs. Owned by one Peer.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "engine/txn.h"

namespace rk::quorum {

// Owned by one Peer (its PeerCore), on the peer's thread.
class History {
 public:
  // An empty tail above `base_zxid` (a snapshot's zxid, or 0 for an empty history).
  explicit History(Zxid base_zxid = 0) : base_zxid_(base_zxid) {}

  Zxid base_zxid() const { return base_zxid_; }
  Zxid last_zxid() const { return txns_.empty() ? base_zxid_ : txns_.back().zxid; }
  size_t size() const { return txns_.size(); }

  void reset(Zxid base_zxid);
  void append(const Txn& txn);  // zxids strictly rising
  void truncate(Zxid zxid);     // drops every txn above zxid (zxid >= base)

  // The highest zxid held (base included) that is <= zxid; -1 when zxid is below the base.
  Zxid floor(Zxid zxid) const;
  std::vector<Txn> after(Zxid zxid) const;  // the txns above zxid (zxid >= base)

  // Forgets committed txns beyond `committed_max`, never one above `commit_zxid`.
  void trim(Zxid commit_zxid, size_t committed_max);

 private:
  Zxid base_zxid_ = 0;
  std::deque<Txn> txns_;
};

}  // namespace rk::quorum
