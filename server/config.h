// ServerConfig: an operator's zoo.cfg (ZooKeeper's keys, defaults and validation rules) parsed
// into one value, plus the ensemble membership from server.N lines and dataDir/myid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/status.h"
#include "wal/zero_fill.h"

namespace rk {

// server.N's role; ZooKeeper calls it LearnerType.
enum class PeerRole { kParticipant, kObserver };

// One server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddr:]clientPort].
struct QuorumMember {
  int64_t id = 0;  // N
  std::string host;
  uint16_t quorum_port = 0;
  uint16_t election_port = 0;
  PeerRole role = PeerRole::kParticipant;
  std::string client_address;  // empty when the line gives none (then: all interfaces)
  uint16_t client_port = 0;    // 0 when the line has no ";clientPort" part
};

// A key as written in the file, kept in file order for the `conf` four-letter word.
struct ConfigEntry {
  std::string key;
  std::string value;
};

// Immutable after load_config; read by main and handed (by const&) to whoever needs it.
struct ServerConfig {
  std::string source_path;  // the file it came from ("" for parse_config on a string)

  // Time and storage.
  int32_t tick_time_ms = 3000;     // tickTime
  std::string data_dir;            // dataDir (required), made absolute against the cwd
  std::string data_log_dir;        // dataLogDir, defaults to data_dir
  int64_t pre_alloc_size_kib = 65536;  // preAllocSize
  int64_t snap_count = 100000;         // snapCount
  bool force_sync = true;              // forceSync (yes/no)
  int64_t fsync_warning_threshold_ms = 1000;  // fsync.warningthresholdms
  int32_t snap_retain_count = 3;       // autopurge.snapRetainCount, never below 3
  int32_t purge_interval_hours = 0;    // autopurge.purgeInterval, 0 = never

  // Clients.
  uint16_t client_port = 0;             // clientPort; 0 = not set (server.N may carry it)
  std::string client_port_address;      // clientPortAddress; empty = all interfaces
  int32_t max_client_cnxns = 60;        // maxClientCnxns per client IP, 0 = unlimited
  int32_t min_session_timeout_ms = 0;   // resolved: 2 x tickTime when not set
  int32_t max_session_timeout_ms = 0;   // resolved: 20 x tickTime when not set
  int64_t jute_max_buffer_bytes = 0xfffff;  // jute.maxbuffer / zookeeper.jute.maxbuffer
  // 4lw.commands.whitelist with "*" expanded; always holds "srvr" (zkServer.sh status needs it).
  std::vector<std::string> four_letter_words = {"srvr"};

  // Ensemble.
  int32_t init_limit_ticks = 0;  // initLimit (required with server.N lines)
  int32_t sync_limit_ticks = 0;  // syncLimit (required with server.N lines)
  int32_t election_alg = 3;      // electionAlg: only 3 (fast leader election) exists
  PeerRole peer_type = PeerRole::kParticipant;  // peerType
  bool standalone_enabled = true;               // standaloneEnabled
  bool reconfig_enabled = false;                // reconfigEnabled
  bool sync_enabled = true;                     // syncEnabled (observers persist txns)
  std::vector<QuorumMember> members;            // server.N lines, sorted by id
  int64_t my_id = -1;  // dataDir/myid (0..255); -1 when not read

  // Features.
  bool digest_enabled = true;           // digest.enabled
  bool extended_types_enabled = false;  // extendedTypesEnabled (TTL nodes)
  std::string super_digest;             // DigestAuthenticationProvider.superDigest
  int64_t container_check_interval_ms = 60000;  // znode.container.checkIntervalMs

  // Admin server: parsed, but no HTTP admin runs yet.
  bool admin_enable_server = true;    // admin.enableServer (ZooKeeper's default; warns when set)
  uint16_t admin_server_port = 8080;  // admin.serverPort

  // Ours.
  int32_t reactor_threads = 0;       // ringkeeper.reactorThreads; 0 = one per core
  ZeroFill txn_log_zero_fill = ZeroFill::kDevice;  // ringkeeper.txnLogZeroFill: device|writes
  LogLevel log_level = LogLevel::kInfo;  // ringkeeper.logLevel

  std::vector<ConfigEntry> entries;   // every key=value as read, in file order
  std::vector<std::string> warnings;  // "file:line: ..." for unknown/ignored keys etc.

  // ZooKeeper's isDistributed(): server.N lines with more than one participant, or with
  // standaloneEnabled=false. A lone server.N line otherwise runs standalone, as in ZooKeeper.
  bool is_quorum() const;
  // This server's own server.N entry (id == my_id); RK_ASSERTs is_quorum().
  const QuorumMember& self() const;
  // Whether `cmd` ("srvr", "ruok", ...) is allowed by 4lw.commands.whitelist.
  bool four_letter_word_allowed(std::string_view cmd) const;
};

// Reads and parses `path`, then, when is_quorum(), reads dataDir/myid and takes this server's
// client port/address from its server.N line when it has one (read_my_id).
// Warnings are logged (RK_WARN) and also kept in ServerConfig::warnings.
Result<ServerConfig> load_config(const std::string& path);

// Parses zoo.cfg text; `source_name` prefixes messages ("zoo.cfg:7: tickTime: ..."). Does not
// touch the file system except to make relative dirs absolute, and does not read myid.
Result<ServerConfig> parse_config(std::string_view text, std::string_view source_name);

// Reads `<data_dir>/myid` into config.my_id, checks it names one of config.members, and merges
// that member's ";[addr:]port" into client_port/client_port_address as ZooKeeper does.
Status read_my_id(ServerConfig& config);

}  // namespace rk
