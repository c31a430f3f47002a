// The engine: turns client requests into txns and answers, and applies committed txns to the
// tree. Pure and deterministic: no I/O, no clock, no threads. Owned by the engine core thread.
//
// The flow, driven by the owner (server/engine_core):
//   handle(in)      validate a request against the tree plus every still-uncommitted change;
//                   writes become Txns with the next zxid, handed to out.log(); reads are
//                   answered at once through out.send(), unless their session has writes in
//                   flight (per-session FIFO: they wait behind those writes).
//   commit(zxid)    every logged txn with zxid <= `zxid` is durable: apply in order, send the
//                   replies, fire watches (a watch event always precedes the reply that
//                   observes its change, on the same connection).
//   tick(now)       expire sessions (closeSession txns), remove expired TTL nodes and empty
//                   containers (delete txns), as ZooKeeper's session tracker and container
//                   manager do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/request.h"
#include "engine/txn.h"

namespace rk {

struct EngineConfig {
  int64_t server_id = 0;               // top byte of session ids: myid (1 standalone)
  int32_t tick_ms = 2000;
  int32_t min_session_timeout_ms = -1;  // -1: 2 * tick_ms
  int32_t max_session_timeout_ms = -1;  // -1: 20 * tick_ms
  bool extended_types_enabled = false;  // zookeeper.extendedTypesEnabled: TTL nodes
  std::string super_digest;             // DigestAuthenticationProvider.superDigest "user:hash"
  int32_t max_buffer_bytes = 0xfffff;   // jute.maxbuffer
  int64_t container_check_interval_ms = 60000;  // znode.container.checkIntervalMs
};

// Where the engine's results go. Implemented by the owner of the engine.
class EngineOutput {
 public:
  virtual ~EngineOutput() = default;
  virtual void send(Outbound&& message) = 0;  // to the reactor that owns message.conn
  // The same for a message already on the heap, which the owner keeps as it is (the hot
  // path: replies are filled in place and never moved). By default it is moved into send().
  virtual void send_owned(std::unique_ptr<Outbound> message) { send(std::move(*message)); }
  virtual void log(const Txn& txn) = 0;       // append to the txn log (zxids strictly rising)

  // A learner of an ensemble (ReplicaRole::kLearner) hands these to its leader; a standalone
  // engine or a leader never calls them.
  virtual void forward_write(SessionId session, const std::vector<Id>& ids, const Request& request) {
    (void)session, (void)ids, (void)request;
  }
  virtual void forward_session(SessionId session, int32_t timeout_ms) { (void)session, (void)timeout_ms; }
  virtual void forward_sync(SessionId session, int32_t xid) { (void)session, (void)xid; }
};

// What the engine is in an ensemble (server/replica drives it):
//   kStandalone  no ensemble: zxids count from the log, commits come from its durability.
//   kLooking     no leader is serving: client connections are closed and new ones refused.
//   kLeader      an established leader: writes become txns (zxids of its epoch), also the
//                learners' forwarded ones; it expires sessions and sweeps containers.
//   kLearner     a synchronized follower or observer: reads are local, writes, new sessions
//                and syncs go to the leader; txns arrive through learn() and apply at commit().
enum class ReplicaRole : uint8_t { kStandalone, kLooking, kLeader, kLearner };

class DataTree;
class SessionTable;
class WatchManager;
using WatcherId = uint64_t;

// One client connection as the four-letter words show it (`cons`).
struct ConnectionStats {
  ConnRef conn;
  std::string remote;         // "ip:port"
  SessionId session_id = 0;
  int32_t timeout_ms = 0;     // negotiated
  int64_t established_wall_ms = 0;
  uint64_t queued = 0;        // requests received and not answered yet
  uint64_t received = 0;      // packets
  uint64_t sent = 0;          // packets (replies and watch events)
  // FinalRequestProcessor's short names: GETD, CREA, PING, ... (static strings, op_short_name)
  std::string_view last_op = "NA";
  int32_t last_cxid = -1;
  Zxid last_zxid = -1;
  int64_t last_response_wall_ms = 0;
  int64_t last_latency_ms = 0;
  int64_t latency_min_ms = 0;
  int64_t latency_max_ms = 0;
  int64_t latency_total_ms = 0;
  uint64_t latency_count = 0;
};

class Processor {
 public:
  Processor(const EngineConfig& config, int64_t now_mono_ms, EngineOutput& out);
  ~Processor();

  void handle(Inbound&& in, int64_t now_wall_ms, int64_t now_mono_ms);
  // Latencies of the replies it sends are measured against the time of the latest handle()
  // or tick().
  void commit(Zxid durable_zxid);
  void tick(int64_t now_wall_ms, int64_t now_mono_ms);

  // Start-up, before any handle() or replay(): installs a tree loaded from a snapshot,
  // re-creates its sessions with a fresh timeout counted from `now_mono_ms` (as ZooKeeper
  // does on load: the time they were down does not count against them), and takes `zxid`,
  // the snapshot's start zxid, as the last processed and logged one. The log's txns after
  // `zxid` follow through replay(). The tree's extended-types setting must match the config.
  void restore(DataTree&& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions, Zxid zxid,
               int64_t now_mono_ms);

  // Replays a txn read back from storage at start-up (idempotent; no replies, no watches).
  void replay(const Txn& txn);

  // The txn log failed (full disk, I/O error): nothing logged after the last committed txn
  // will commit. Uncommitted writes are answered `err` (a handshake waiting for its session
  // is closed), and new writes are answered `err` at once; reads go on. Session expiry and
  // container sweeps wait. resume_writes() once the log works again (aborted closeSession
  // txns are issued again).
  void refuse_writes(Err err);
  void resume_writes();
  bool writes_refused() const;

  // ---- Ensemble (see ReplicaRole). None of these is called on a standalone engine.
  // Enters `role`. Leaving a serving role closes every client connection (clients reconnect
  // to a serving member; sessions live on). A leader numbers its txns after `zxid_base`
  // (its epoch << 32) and gives every session a fresh timeout from now, as a new leader's
  // session tracker does.
  void set_role(ReplicaRole role, Zxid zxid_base, int64_t now_mono_ms);
  ReplicaRole role() const;
  // Leader: a learner's client write, new session and session activity.
  void handle_forwarded_write(SessionId session, std::vector<Id> ids, Request&& request,
                              int64_t now_wall_ms, int64_t now_mono_ms);
  void handle_forwarded_session(SessionId session, int32_t timeout_ms, int64_t now_wall_ms,
                                int64_t now_mono_ms);
  void touch_session(SessionId session, int32_t timeout_ms, int64_t now_mono_ms);
  // Learner: a txn of the leader's history, logged and not yet committed; commit() applies
  // it. A txn made from one of this member's forwarded requests answers that client.
  void learn(Txn&& txn);
  // Learner: the leader's answer to forward_sync: the sync completes once everything up to
  // `zxid` is applied here.
  void sync_reply(SessionId session, int32_t xid, Zxid zxid);
  // Learner: sessions with client activity since the last call (id, timeout), for the leader.
  void take_touched(std::vector<std::pair<SessionId, int32_t>>& out);
  // Drops every uncommitted txn above `zxid` (the leader's TRUNC).
  void truncate(Zxid zxid);
  // Replaces the applied state with a leader's snapshot (SNAP); nothing uncommitted stays.
  // Client connections must be gone (a member synchronizes while not serving).
  void reset_state(DataTree&& tree, const std::vector<std::pair<SessionId, int32_t>>& sessions,
                   Zxid zxid, int64_t now_mono_ms);

  Zxid last_logged_zxid() const;     // highest zxid handed to out.log()
  Zxid last_processed_zxid() const;  // highest zxid applied to the tree

  // Read-only views for the four-letter words and metrics.
  struct Stats;
  const Stats& stats() const;  // refreshed on each call
  const DataTree& tree() const;
  const WatchManager& watches() const;
  const SessionTable& sessions() const;
  // The session a watcher (connection) belongs to, 0 if unknown (wchc / wchp print these).
  SessionId watcher_session(WatcherId watcher) const;
  // srst: packet counts and latencies back to zero (ServerStats.reset).
  void reset_server_stats();
  // crst: every connection's counters back to their start values (ServerCnxn.resetStats).
  void reset_connection_stats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Server-wide counters. Latencies are request receipt to reply, in the engine's clock.
struct Processor::Stats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  int64_t latency_min_ms = 0;  // 0 until the first reply
  int64_t latency_max_ms = 0;
  int64_t latency_total_ms = 0;
  uint64_t latency_count = 0;
  double latency_avg_ms() const {
    return latency_count == 0 ? 0.0 : static_cast<double>(latency_total_ms) / latency_count;
  }
  size_t outstanding_requests = 0;  // received, not answered
  Zxid last_zxid = 0;               // last processed (applied) zxid
  Zxid last_logged_zxid = 0;
  size_t node_count = 0;
  int64_t approximate_data_size = 0;
  size_t ephemeral_count = 0;
  size_t watch_count = 0;
  size_t watched_paths = 0;
  size_t watchers = 0;
  size_t session_count = 0;
  std::vector<ConnectionStats> connections;
};

}  // namespace rk
