// The simulator: one seeded RNG decides every delay, loss and fault, so a seed is a replay.
#include "tests/quorum/sim.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tests/quorum/sim_node.h"

namespace rk::quorum::sim {
namespace {

// What an always-on assert inside the protocol prints before the process dies: the seed.
char g_replay_line[160];

void print_replay_on_abort(int) {
  ssize_t ignored = write(2, g_replay_line, std::strlen(g_replay_line));
  (void)ignored;
}

std::vector<Entry> decode(const std::string& bytes) {
  std::vector<Entry> entries(bytes.size() / sizeof(Entry));
  if (!entries.empty()) std::memcpy(entries.data(), bytes.data(), bytes.size());
  return entries;
}

}  // namespace

uint64_t seed_from_env(uint64_t fallback) {
  const char* s = std::getenv("RK_SIM_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10) : fallback;
}

struct Sim::Packet {
  int64_t at = 0;
  uint64_t seq = 0;
  ServerId from = 0;
  ServerId to = 0;
  uint64_t to_incarnation = 0;  // a crash breaks the connection: later deliveries are lost
  Message message;
};

struct Sim::Flush {
  int64_t at = 0;
  ServerId id = 0;
  uint64_t generation = 0;
  size_t count = 0;  // log entries it makes durable
};

namespace {
struct PacketLater {
  template <class P>
  bool operator()(const P& a, const P& b) const {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
};
}  // namespace

Sim::Sim(const SimOptions& options) : options_(options), rng_(options.seed) {
  std::snprintf(g_replay_line, sizeof(g_replay_line), "replay: RK_SIM_SEED=%llu (voters %d, observers %d)\n",
                static_cast<unsigned long long>(options.seed), options.voters, options.observers);
  signal(SIGABRT, print_replay_on_abort);
  if (options_.randomize) pick_rates();
  int count = options_.voters + options_.observers;
  for (int i = 1; i <= count; ++i) members_.push_back(Member{i, i > options_.voters});
  group_.assign(static_cast<size_t>(count), 0);
  for (const Member& m : members_) {
    auto n = std::make_unique<Node>();
    n->id = m.id;
    n->observer = m.observer;
    nodes_.push_back(std::move(n));
  }
  for (auto& n : nodes_) boot(*n);
}

Sim::~Sim() = default;

void Sim::pick_rates() {
  const double losses[] = {0, 0.005, 0.02};
  const double reorders[] = {0, 0, 0.01};
  const double crashes[] = {0.001, 0.003, 0.006};
  const double partitions[] = {0, 0.001, 0.003};
  const double clients[] = {0.05, 0.2, 0.5};
  const double kills[] = {0, 0.02, 0.05};
  const size_t histories[] = {8, 50, 1000};
  options_.loss = losses[below(3)];
  options_.reorder = reorders[below(3)];
  options_.delay_max = 1 + static_cast<int64_t>(below(6));
  options_.flush_delay_max = 1 + static_cast<int64_t>(below(20));
  options_.crash_rate = crashes[below(3)];
  options_.kill_rate = kills[below(3)];
  options_.partition_rate = partitions[below(3)];
  options_.client_rate = clients[below(3)];
  options_.history_committed_max = histories[below(3)];
}

PeerConfig Sim::config_for(const Node& n) const {
  PeerConfig c;
  c.id = n.id;
  c.members = members_;
  c.init_limit_ticks = options_.init_limit_ticks;
  c.sync_limit_ticks = options_.sync_limit_ticks;
  c.history_committed_max = options_.history_committed_max;
  c.incarnation = n.incarnation;
  return c;
}

// A (re)start: the process keeps only its disk.
void Sim::boot(Node& n) {
  n.up = true;
  n.restart_at = -1;
  ++n.incarnation;
  n.state = n.snap;
  n.pending.clear();
  PersistedState persisted{n.accepted_epoch, n.current_epoch, n.snap_zxid,
                           std::vector<Txn>(n.log.begin(), n.log.begin() + static_cast<std::ptrdiff_t>(n.durable_count))};
  n.peer = std::make_unique<Peer>(config_for(n), persisted, n);
  n.peer->start();
  drain(n);
}

void Sim::crash(ServerId id) {
  Node& n = node(id);
  if (!n.up) return;
  n.up = false;
  n.peer.reset();
  n.state.clear();
  n.pending.clear();
  n.log.resize(n.durable_count);  // the unsynced tail is lost
  ++n.generation;
  ++stats_.crashes;
}

// A crash right after a durable step: the windows between persisting one thing and the
// next are where ordering mistakes lose data.
void Sim::kill_point(Node& n) {
  if (!chance(options_.kill_rate)) return;
  crash(n.id);
  n.restart_at = now_ + 30 + static_cast<int64_t>(below(300));
}

void Sim::restart(ServerId id) {
  if (!node(id).up) boot(node(id));
}

void Sim::drain(Node& n) {
  while (n.up && failure_.empty()) {
    std::vector<Effect> effects = n.peer->take_effects();
    if (effects.empty()) return;
    for (const Effect& e : effects) {
      carry_out(n, e);
      if (!n.up) return;  // killed at a kill point: the rest of the effects die with it
    }
  }
}

void Sim::carry_out(Node& n, const Effect& e) {
  if (const auto* s = std::get_if<effect::Send>(&e)) {
    send(n.id, s->to, s->message);
  } else if (const auto* a = std::get_if<effect::Append>(&e)) {
    append(n, *a->txns);
  } else if (const auto* t = std::get_if<effect::Truncate>(&e)) {
    truncate(n, t->zxid);
    kill_point(n);
  } else if (const auto* i = std::get_if<effect::InstallSnapshot>(&e)) {
    install(n, *i);
    kill_point(n);
  } else if (const auto* c = std::get_if<effect::Commit>(&e)) {
    commit(n, c->zxid);
  } else if (const auto* p = std::get_if<effect::PersistEpoch>(&e)) {
    persist(n, *p);
    kill_point(n);
  } else if (const auto* r = std::get_if<effect::RoleChanged>(&e)) {
    role_changed(n, *r);
  }
}

void Sim::send(ServerId from, ServerId to, const Message& m) {
  const Node& dest = node(to);
  if (group_[static_cast<size_t>(from - 1)] != group_[static_cast<size_t>(to - 1)] || !dest.up) return;
  if (chance(options_.loss)) return;
  int64_t at = now_ + 1 + static_cast<int64_t>(below(static_cast<uint64_t>(options_.delay_max)));
  int64_t& last = link_last_at_[{from, to}];
  if (!chance(options_.reorder)) at = std::max(at, last);  // a stream keeps its order
  last = std::max(last, at);
  packets_.push_back(Packet{at, ++packet_seq_, from, to, dest.incarnation, m});
  std::push_heap(packets_.begin(), packets_.end(), PacketLater{});
  if (chance(options_.duplicate)) {
    int64_t again = at + 1 + static_cast<int64_t>(below(static_cast<uint64_t>(options_.delay_max) * 4));
    packets_.push_back(Packet{again, ++packet_seq_, from, to, dest.incarnation, m});
    std::push_heap(packets_.begin(), packets_.end(), PacketLater{});
  }
}

void Sim::schedule_flush(Node& n) {
  int64_t at = now_ + 1 + static_cast<int64_t>(below(static_cast<uint64_t>(options_.flush_delay_max)));
  flushes_.push_back(Flush{at, n.id, n.generation, n.log.size()});
}

void Sim::append(Node& n, const std::vector<Txn>& txns) {
  for (const Txn& t : txns) {
    if (!n.log.empty() && t.zxid <= n.log.back().zxid) return fail("append out of order at " + std::to_string(n.id));
    if (t.zxid <= n.snap_zxid) return fail("append below the snapshot at " + std::to_string(n.id));
    n.log.push_back(t);
  }
  schedule_flush(n);
}

void Sim::truncate(Node& n, Zxid zxid) {
  auto cut = std::upper_bound(n.log.begin(), n.log.end(), zxid, [](Zxid z, const Txn& t) { return z < t.zxid; });
  size_t keep = static_cast<size_t>(cut - n.log.begin());
  for (size_t i = keep; i < n.log.size(); ++i) {
    Entry e = entry_of(n.log[i]);
    if (sorted_contains(canon_, e)) return fail("truncate cut a committed txn at " + std::to_string(n.id));
  }
  n.log.resize(keep);
  n.durable_count = std::min(n.durable_count, keep);
  ++n.generation;
  if (n.durable_count < n.log.size()) schedule_flush(n);
  ++stats_.truncations;
}

void Sim::install(Node& n, const effect::InstallSnapshot& s) {
  std::vector<Entry> image = decode(*s.image.bytes);
  for (size_t i = 0; i < image.size(); ++i)
    if (i >= canon_.size() || !(canon_[i] == image[i])) return fail("snapshot is not a committed prefix");
  n.snap = image;
  n.snap_zxid = s.image.zxid;
  n.log = *s.txns;
  n.durable_count = n.log.size();  // image and txns durable together
  ++n.generation;
  n.state = image;
  ++stats_.snapshots_installed;
  // Replacing a log must not leave a committed txn above the image durable on fewer voters.
  auto above = std::upper_bound(canon_.begin(), canon_.end(), s.image.zxid,
                                [](Zxid z, const Entry& e) { return z < e.zxid; });
  for (; above != canon_.end() && failure_.empty(); ++above) check_quorum_durable(*above);
}

void Sim::commit(Node& n, Zxid zxid) {
  Zxid from = n.state_zxid();
  auto it = std::upper_bound(n.log.begin(), n.log.end(), from, [](Zxid z, const Txn& t) { return z < t.zxid; });
  for (; it != n.log.end() && it->zxid <= zxid && failure_.empty(); ++it) apply(n, entry_of(*it));
  if (n.state_zxid() != zxid) return fail("commit of a zxid not in the log at " + std::to_string(n.id));
  // Acknowledge the client writes this leader committed in its own epoch.
  if (n.peer->role() != Role::kLeading) return;
  size_t done = 0;
  for (const Node::Pending& p : n.pending) {
    if (p.zxid > zxid) break;
    if (p.epoch == n.peer->epoch()) {
      acked_.push_back(Entry{p.zxid, p.value});
      ++stats_.acked;
    }
    ++done;
  }
  n.pending.erase(n.pending.begin(), n.pending.begin() + static_cast<std::ptrdiff_t>(done));
}

void Sim::deliver_due() {
  while (!packets_.empty() && packets_.front().at <= now_ && failure_.empty()) {
    std::pop_heap(packets_.begin(), packets_.end(), PacketLater{});
    Packet p = std::move(packets_.back());
    packets_.pop_back();
    Node& dest = node(p.to);
    bool cut = group_[static_cast<size_t>(p.from - 1)] != group_[static_cast<size_t>(p.to - 1)];
    if (!dest.up || dest.incarnation != p.to_incarnation || cut) continue;
    dest.peer->on_message(p.from, p.message);
    drain(dest);
  }
}

void Sim::complete_flushes() {
  std::vector<Flush> due;
  std::erase_if(flushes_, [&](const Flush& f) {
    if (f.at > now_) return false;
    due.push_back(f);
    return true;
  });
  for (const Flush& f : due) {
    Node& n = node(f.id);
    if (!n.up || f.generation != n.generation || f.count <= n.durable_count) continue;
    n.durable_count = f.count;
    n.peer->on_durable(n.log[f.count - 1].zxid);
    drain(n);
  }
}

void Sim::tick_due() {
  for (auto& n : nodes_) {
    if (!n->up || (now_ + n->id * 3) % options_.tick_units != 0) continue;
    n->peer->on_tick();
    drain(*n);
  }
}

void Sim::inject_faults() {
  for (auto& n : nodes_)
    if (!n->up && n->restart_at >= 0 && n->restart_at <= now_) boot(*n);
  if (chance(options_.crash_rate)) {
    // Half the crashes hit the leader: that is where the protocol's hard cases start.
    ServerId leader = serving_leader();
    Node& n = leader != 0 && below(2) == 0 ? node(leader) : *nodes_[below(nodes_.size())];
    if (n.up) {
      crash(n.id);
      n.restart_at = now_ + 30 + static_cast<int64_t>(below(300));
      // The crashed member's connections close: most members hear of it at once (a server
      // sees the socket end), the rest only through silence.
      for (auto& other : nodes_) {
        if (!other->up || below(4) == 0) continue;
        other->peer->on_link_lost(n.id);
        drain(*other);
      }
    }
  }
  if (heal_at_ >= 0 && now_ >= heal_at_) heal();
  if (heal_at_ < 0 && chance(options_.partition_rate)) {
    for (int& g : group_) g = static_cast<int>(below(3));
    heal_at_ = now_ + 50 + static_cast<int64_t>(below(500));
    ++stats_.partitions;
  }
}

void Sim::isolate(std::vector<ServerId> minority) {
  std::fill(group_.begin(), group_.end(), 0);
  for (ServerId id : minority) group_[static_cast<size_t>(id - 1)] = 1;
  heal_at_ = -1;
  ++stats_.partitions;
}

void Sim::heal() {
  std::fill(group_.begin(), group_.end(), 0);
  heal_at_ = -1;
}

void Sim::set_faults(double crash_rate, double partition_rate, double loss) {
  options_.crash_rate = crash_rate;
  options_.partition_rate = partition_rate;
  options_.loss = loss;
}

int Sim::submit_to(ServerId id, int txns) {
  Node& n = node(id);
  if (!n.up || !n.peer->can_propose()) return 0;
  std::vector<Txn> batch;
  for (int i = 0; i < txns; ++i) {
    Zxid zxid = n.peer->next_zxid();
    Txn t = make_txn(1, static_cast<int32_t>(value_counter_), zxid, now_, OpCode::kSetData);
    t.path = "/k" + std::to_string(below(8));
    t.data = std::to_string(++value_counter_);
    n.pending.push_back(Node::Pending{zxid, value_counter_, n.peer->epoch()});
    batch.push_back(std::move(t));
  }
  n.peer->propose(std::move(batch));
  stats_.proposed += static_cast<uint64_t>(txns);
  drain(n);
  return txns;
}

// Clients write to whoever serves as leader (a deposed leader that does not know it yet
// included: its writes must simply never be acknowledged).
void Sim::write_clients() {
  if (!chance(options_.client_rate)) return;
  std::vector<ServerId> leaders;
  for (const auto& n : nodes_)
    if (n->up && n->peer->can_propose()) leaders.push_back(n->id);
  if (leaders.empty()) return;
  submit_to(leaders[below(leaders.size())], 1 + static_cast<int>(below(3)));
}

void Sim::step() {
  ++now_;
  inject_faults();
  deliver_due();
  complete_flushes();
  tick_due();
  write_clients();
}

bool Sim::run_for(int64_t steps) {
  for (int64_t i = 0; i < steps && failure_.empty(); ++i) step();
  return failure_.empty();
}

bool Sim::wait_for(const std::function<bool()>& done, int64_t steps_max) {
  for (int64_t i = 0; i < steps_max && failure_.empty(); ++i) {
    if (done()) return true;
    step();
  }
  return failure_.empty() && done();
}

ServerId Sim::serving_leader() const {
  ServerId best = 0;
  Epoch best_epoch = -1;
  for (const auto& n : nodes_) {
    if (!n->up || !n->peer->can_propose() || n->peer->epoch() <= best_epoch) continue;
    best = n->id;
    best_epoch = n->peer->epoch();
  }
  return best;
}

const Peer* Sim::peer(ServerId id) const { return node(id).peer.get(); }
const std::vector<Entry>& Sim::applied(ServerId id) const { return node(id).state; }

bool Sim::settle(int64_t steps_max) {
  set_faults(0, 0, 0);
  options_.reorder = 0;
  options_.duplicate = 0;
  options_.kill_rate = 0;
  options_.client_rate = 0;
  heal();
  for (auto& n : nodes_) restart(n->id);
  std::string why;
  if (!wait_for([&] { return converged(&why); }, steps_max)) {
    fail("no convergence after faults stopped: " + why);
    return false;
  }
  // A leader exists in deed: a new write commits and reaches everyone.
  size_t acked_before = acked_.size();
  submit_to(serving_leader(), 1);
  if (!wait_for([&] { return acked_.size() > acked_before && converged(&why); }, steps_max)) {
    fail("a write after convergence did not commit everywhere: " + why);
    return false;
  }
  for (const Entry& e : acked_)
    if (!sorted_contains(canon_, e)) return fail("acknowledged zxid " + std::to_string(e.zxid) + " lost"), false;
  return true;
}

bool Sim::run(int64_t fault_steps, int64_t settle_steps_max) {
  return run_for(fault_steps) && settle(settle_steps_max);
}

}  // namespace rk::quorum::sim
