// One simulated member's disk and process, and the lookups the simulator's parts share.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/quorum/sim.h"

namespace rk::quorum::sim {

inline std::string encode(const std::vector<Entry>& entries) {
  std::string bytes(entries.size() * sizeof(Entry), '\0');
  if (!entries.empty()) std::memcpy(bytes.data(), entries.data(), bytes.size());
  return bytes;
}

inline Entry entry_of(const Txn& t) { return Entry{t.zxid, std::stoull(t.data)}; }

inline bool sorted_contains(const std::vector<Entry>& v, const Entry& e) {
  auto it = std::lower_bound(v.begin(), v.end(), e.zxid, [](const Entry& x, Zxid z) { return x.zxid < z; });
  return it != v.end() && *it == e;
}

inline bool log_contains(const std::vector<Txn>& log, size_t count, const Entry& e) {
  auto end = log.begin() + static_cast<std::ptrdiff_t>(count);
  auto it = std::lower_bound(log.begin(), end, e.zxid, [](const Txn& t, Zxid z) { return t.zxid < z; });
  return it != end && entry_of(*it) == e;
}

// One member: what its disk keeps across crashes, and what dies with the process.
struct Sim::Node final : StateSource {
  ServerId id = 0;
  bool observer = false;
  bool up = true;
  int64_t restart_at = -1;
  uint64_t incarnation = 0;
  // Durable.
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
  Zxid snap_zxid = 0;
  std::vector<Entry> snap;
  std::vector<Txn> log;
  size_t durable_count = 0;
  uint64_t generation = 0;  // bumped when the log is cut or replaced: older flushes are void
  // Lost in a crash.
  std::unique_ptr<Peer> peer;
  std::vector<Entry> state;
  struct Pending {
    Zxid zxid;
    uint64_t value;
    Epoch epoch;
  };
  std::vector<Pending> pending;  // client writes proposed here, not acknowledged yet

  Zxid state_zxid() const { return state.empty() ? snap_zxid : std::max(snap_zxid, state.back().zxid); }
  StateImage capture() override {
    return StateImage{state_zxid(), std::make_shared<const std::string>(encode(state))};
  }
};

}  // namespace rk::quorum::sim
