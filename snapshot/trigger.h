// When to start a snapshot: after a number of txns drawn at random in
// (snapCount/2 + 1, snapCount], drawn anew for each snapshot, so the members of an ensemble
// do not all snapshot at the same moment (ZooKeeper's SyncRequestProcessor randRoll).
#pragma once

#include <cstdint>

namespace rk {

// Owned by the engine thread. Deterministic: the caller supplies the seed, nothing here
// reads an RNG or a clock.
class SnapshotTrigger {
 public:
  SnapshotTrigger(int64_t snap_count, uint64_t seed) : snap_count_(snap_count), state_(seed) { restart(); }

  // True once `txns_since_last` (txns logged since the last snapshot started) reaches the
  // threshold.
  bool should_start(uint64_t txns_since_last) const { return txns_since_last >= threshold_; }

  // A snapshot started: draw the next threshold.
  void restart() {
    // Thresholds lo+1 .. hi; with a snapCount too small for that range, every hi txns.
    const int64_t lo = snap_count_ / 2 + 1;
    const int64_t hi = snap_count_ < 1 ? 1 : snap_count_;
    if (hi <= lo) {
      threshold_ = static_cast<uint64_t>(hi);
      return;
    }
    threshold_ = static_cast<uint64_t>(lo) + 1 + next_random() % static_cast<uint64_t>(hi - lo);
  }

  uint64_t threshold() const { return threshold_; }

 private:
  // splitmix64: small, fast, and every seed gives a well-mixed sequence.
  uint64_t next_random() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  int64_t snap_count_;
  uint64_t state_;
  uint64_t threshold_ = 0;
};

}  // namespace rk
