// A whole ensemble in one process, driven from one seed: a lossy, delaying, partitionable
// network, logs whose durability lags behind appends, crashes that lose the unsynced tail,
// and clients that write to whoever leads. Every step ends with the ensemble's promises
// checked; a failing seed replays exactly.
//
// The replicated state is a list of applied txns. A txn is an rk::Txn of type kSetData whose
// data is a unique value (a decimal counter); a member's state is the sequence of
// (zxid, value) it applied.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "quorum/peer.h"

namespace rk::quorum::sim {

struct Entry {
  Zxid zxid = 0;
  uint64_t value = 0;
  bool operator==(const Entry&) const = default;
};

struct SimOptions {
  uint64_t seed = 1;
  int voters = 3;
  int observers = 0;
  // Fault rates (per time unit, per message); the seed picks them when `randomize` is set.
  bool randomize = true;
  double loss = 0;
  double reorder = 0;
  double duplicate = 0;         // off unless a test asks: TCP does not duplicate
  int64_t delay_max = 3;        // time units a message may take, at least 1
  int64_t flush_delay_max = 4;  // time units a log append takes to become durable
  double crash_rate = 0;
  double kill_rate = 0;         // per kill point (after a truncate, snapshot or epoch write)
  double partition_rate = 0;
  double client_rate = 0.3;     // write batches submitted per time unit
  int64_t tick_units = 10;      // time units per peer tick
  int32_t init_limit_ticks = 10;
  int32_t sync_limit_ticks = 5;
  size_t history_committed_max = 200;
};

// Counts of what happened, for targeted tests to assert on.
struct SimStats {
  uint64_t elections_won = 0;
  uint64_t snapshots_installed = 0;
  uint64_t truncations = 0;
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t proposed = 0;
  uint64_t acked = 0;
};

// Owns every member, the network and the disks; single-threaded, driven by the test.
class Sim {
 public:
  explicit Sim(const SimOptions& options);
  ~Sim();

  // The random run: `fault_steps` time units of faults and writes, then settle().
  bool run(int64_t fault_steps, int64_t settle_steps_max);
  void step();  // one time unit
  bool run_for(int64_t steps);  // false once a check failed
  // Heals the network, restarts every member, stops faults and writes, and runs until the
  // ensemble converges (then proves a new write commits) or `steps_max` pass.
  bool settle(int64_t steps_max);

  // Controls for targeted tests.
  void crash(ServerId id);
  void restart(ServerId id);
  void isolate(std::vector<ServerId> minority);  // cut `minority` off from the rest
  void heal();
  void set_client_rate(double rate) { options_.client_rate = rate; }
  void set_duplicate(double rate) { options_.duplicate = rate; }
  void set_faults(double crash_rate, double partition_rate, double loss);
  int submit_to(ServerId id, int txns);  // proposes on `id` if it can: txns proposed
  bool wait_for(const std::function<bool()>& done, int64_t steps_max);

  // Views.
  ServerId serving_leader() const;  // the established leader of the highest epoch, 0 if none
  const Peer* peer(ServerId id) const;  // null while down
  const std::vector<Entry>& applied(ServerId id) const;
  const std::vector<Entry>& canon() const { return canon_; }
  const std::vector<Entry>& acked() const { return acked_; }
  const SimStats& stats() const { return stats_; }
  int64_t now() const { return now_; }
  const std::string& failure() const { return failure_; }
  std::string describe() const;  // one line per member, for failure messages

 private:
  struct Node;
  struct Packet;
  struct Flush;

  Node& node(ServerId id) { return *nodes_[static_cast<size_t>(id - 1)]; }
  const Node& node(ServerId id) const { return *nodes_[static_cast<size_t>(id - 1)]; }
  void pick_rates();
  PeerConfig config_for(const Node& n) const;
  void boot(Node& n);
  void drain(Node& n);
  void carry_out(Node& n, const Effect& e);
  void send(ServerId from, ServerId to, const Message& m);
  void append(Node& n, const std::vector<Txn>& txns);
  void truncate(Node& n, Zxid zxid);
  void install(Node& n, const effect::InstallSnapshot& s);
  void commit(Node& n, Zxid zxid);
  void apply(Node& n, const Entry& e);
  void persist(Node& n, const effect::PersistEpoch& p);
  void role_changed(Node& n, const effect::RoleChanged& r);
  void schedule_flush(Node& n);
  void kill_point(Node& n);
  void check_quorum_durable(const Entry& e);

  void deliver_due();
  void complete_flushes();
  void tick_due();
  void inject_faults();
  void write_clients();
  bool converged(std::string* why) const;

  bool durable_at(const Node& n, const Entry& e) const;
  bool holds(const Node& n, const Entry& e) const;
  void fail(const std::string& what);
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(double p) { return p > 0 && static_cast<double>(rng_() % 1000000) < p * 1e6; }

  SimOptions options_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Member> members_;
  std::vector<Packet> packets_;  // a heap by delivery time
  std::vector<Flush> flushes_;
  std::map<std::pair<ServerId, ServerId>, int64_t> link_last_at_;  // FIFO per link
  uint64_t packet_seq_ = 0;
  std::vector<int> group_;  // partition group per member index
  int64_t heal_at_ = -1;
  uint64_t value_counter_ = 0;
  std::vector<Entry> canon_;  // the longest applied sequence any member reached
  std::vector<Entry> acked_;  // acknowledged writes
  std::map<Epoch, ServerId> leaders_;  // established leader per epoch
  SimStats stats_;
  std::string failure_;
};

// RK_SIM_SEED if set, else `fallback`.
uint64_t seed_from_env(uint64_t fallback);

}  // namespace rk::quorum::sim
