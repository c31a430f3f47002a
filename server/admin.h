// The four-letter words (ruok, srvr, stat, mntr, cons, ...): their text, laid out byte for byte
// as ZooKeeper 3.8 prints it, from a plain snapshot of the server's state.
//
// The caller gathers a ServerSnapshot on the thread that owns the state (the engine thread),
// then calls run_four_letter(); the functions here read nothing else (no clock, no I/O), so
// the output is a pure function of the snapshot and tests can pin it down exactly.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/types.h"

namespace rk {

// One client connection as cons/stat/dump show it (ServerCnxn's counters).
struct ConnectionSnapshot {
  std::string remote_address;      // as Java prints an InetSocketAddress: "/127.0.0.1:40312"
  int32_t interest_ops = 1;        // SelectionKey bits: 1 read, 4 write (printed in hex)
  int64_t outstanding_requests = 0;
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  SessionId session_id = 0;        // 0 until the handshake completes: then no session fields
  std::string last_operation = "NA";  // last_operation_name() of the last answered request
  int64_t established_wall_ms = 0;
  int32_t session_timeout_ms = 0;
  int64_t last_cxid = -1;          // -1 before the first request (then "lcxid" is omitted)
  Zxid last_zxid = -1;
  int64_t last_response_mono_ms = 0;  // ZooKeeper prints its monotonic clock here, not wall
  int64_t last_latency_ms = 0;
  int64_t min_latency_ms = 0;      // 0 when nothing was answered yet
  int64_t max_latency_ms = 0;
  int64_t latency_total_ms = 0;    // avglat = total / count, integer division as ZooKeeper
  int64_t latency_count = 0;
  // dump's "Connections" expiry queue: the idle deadline bucket of this connection (wall ms;
  // NIOServerCnxnFactory: last activity + session timeout, rounded up to the next multiple
  // of its check interval).
  int64_t expire_at_wall_ms = 0;
};

// One bucket of the session expiry queue (dump), deadline as wall-clock milliseconds.
struct SessionExpiryBucket {
  int64_t expire_at_wall_ms = 0;
  std::vector<SessionId> sessions;
};

// conf: ZooKeeperServer.dumpConf, plus QuorumZooKeeperServer's lines when `quorum`.
struct ConfSnapshot {
  int32_t client_port = 0;
  int32_t secure_client_port = -1;
  std::string data_dir;             // absolute paths
  std::string data_log_dir;
  int32_t tick_time_ms = 0;
  int32_t max_client_cnxns = 0;
  int32_t min_session_timeout_ms = 0;
  int32_t max_session_timeout_ms = 0;
  int32_t client_port_listen_backlog = -1;
  int64_t server_id = 0;
  bool quorum = false;
  int32_t init_limit = 0;
  int32_t sync_limit = 0;
  int32_t election_alg = 3;
  std::string election_port;        // ports joined with '|' when there are several
  std::string quorum_port;
  int32_t peer_type = 0;            // 0 participant, 1 observer
  // "server.1" -> "host:2888:3888:participant;0.0.0.0:2181", in id order.
  std::vector<std::pair<std::string, std::string>> members;
  int64_t config_version = 0;       // printed in hex as "version=..."
};

// Everything the four-letter words print. Counters are as ZooKeeper's ServerStats keeps
// them; latencies are milliseconds.
struct ServerSnapshot {
  bool serving = true;       // false while no ZooKeeperServer runs (e.g. during election)
  bool read_only = false;
  std::string version;       // full version line: "3.8.0-<revision>, built on <date>"
  std::string mode;          // standalone, leader, follower, observer, read-only
  std::string peer_state;    // quorum only, e.g. "leading - broadcast"; empty: no mntr line
  Zxid last_zxid = 0;

  int64_t latency_min_ms = 0;
  int64_t latency_max_ms = 0;
  int64_t latency_total_ms = 0;
  int64_t latency_count = 0;
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int64_t alive_connections = 0;
  int64_t outstanding_requests = 0;
  int64_t uptime_ms = 0;

  int64_t node_count = 0;
  int64_t approximate_data_size = 0;
  int64_t ephemerals_count = 0;
  int64_t global_sessions = 0;
  int64_t local_sessions = 0;
  int64_t open_file_descriptor_count = 0;
  int64_t max_file_descriptor_count = 0;
  double connection_drop_probability = 0.0;
  int32_t last_client_response_size = -1;
  int32_t max_client_response_size = -1;
  int32_t min_client_response_size = -1;
  int64_t outstanding_tls_handshake = 0;
  int64_t auth_failed_count = 0;
  int64_t non_mtls_remote_conn_count = 0;
  int64_t non_mtls_local_conn_count = 0;

  // Quorum members only (mode leader/follower/observer).
  int64_t quorum_size = 0;
  // Leader only.
  int64_t learners = 0;
  int64_t synced_followers = 0;
  int64_t synced_non_voting_followers = 0;
  int64_t synced_observers = 0;
  int64_t pending_syncs = 0;
  int64_t leader_uptime_ms = 0;
  int32_t last_proposal_size = -1;
  int32_t min_proposal_size = -1;
  int32_t max_proposal_size = -1;
  // Appended to mntr as "zk_<name>\t<value>", for metrics of our own (fsync latency, ...).
  std::vector<std::pair<std::string, std::string>> extra_metrics;

  // wchs, mntr zk_watch_count, wchc, wchp.
  int64_t watch_count = 0;
  int64_t watching_connections = 0;
  int64_t watched_paths = 0;
  int64_t watch_total = 0;
  std::vector<std::pair<SessionId, std::vector<std::string>>> watches_by_session;
  std::vector<std::pair<std::string, std::vector<SessionId>>> watches_by_path;

  std::vector<ConnectionSnapshot> connections;
  // dump: the expiry queue on standalone/leader; the id -> timeout list on learners.
  std::vector<SessionExpiryBucket> session_buckets;
  std::vector<std::pair<SessionId, int32_t>> learner_sessions;
  std::vector<std::pair<SessionId, std::vector<std::string>>> ephemerals_by_session;

  int64_t data_dir_size = 0;
  int64_t log_dir_size = 0;
  ConfSnapshot conf;
  std::vector<std::pair<std::string, std::string>> environment;  // envi, in print order
  int64_t trace_mask = 0;                                 // gtmk; stmk echoes the new mask
  std::vector<std::pair<Zxid, int64_t>> digest_log;       // hash: zxid -> tree digest
};

// What a command asks the caller to do besides sending the text.
struct FourLetterEffects {
  bool reset_server_stats = false;      // srst: latency and packet counters (and proposal sizes)
  bool reset_connection_stats = false;  // crst: every connection's counters
};

// True for the words ZooKeeper recognises at the start of a connection (conf cons crst dirs
// dump envi gtmk hash isro mntr ruok srst srvr stat stmk wchc wchp wchs). Any other 4 bytes
// are the length prefix of a normal session handshake.
bool is_four_letter_word(std::string_view cmd);

// The text ZooKeeper 3.8 answers to `cmd`. `whitelist` holds the enabled words; "*" enables
// all, and "srvr" is always enabled (zkServer.sh status depends on it). A known word that is
// not enabled gets "<cmd> is not executed because it is not in the whitelist.\n"; a word that
// is_four_letter_word() rejects gets "". For stmk the caller reads the 8-byte mask that
// follows, applies it, and passes it in `s.trace_mask`.
std::string run_four_letter(std::string_view cmd, const ServerSnapshot& s,
                            const std::set<std::string>& whitelist,
                            FourLetterEffects* effects = nullptr);

// The "lop" name ZooKeeper's FinalRequestProcessor records for a request type ("GETD", ...).
const char* last_operation_name(OpCode op);

}  // namespace rk
