// ServerSnapshot from live state. Clocks: the engine's session deadlines are monotonic;
// dump prints wall-clock deadlines, so they are shifted by (wall - mono) at the moment of
// the snapshot.
#include "server/four_letter.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "base/clock.h"
#include "engine/data_tree.h"
#include "engine/session_table.h"
#include "engine/watch_manager.h"
#include "server/server.h"

namespace rk {
namespace {

// NIOServerCnxnFactory's sessionless connection timeout, also its expiry bucket width.
constexpr int64_t kSessionlessTimeoutMs = 10000;

int64_t round_up(int64_t value, int64_t step) { return (value / step + 1) * step; }

int64_t count_open_fds() {
  int64_t n = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++n;
    closedir(dir);
    n -= 3;  // ".", ".." and the directory's own fd
  }
  return n;
}

int64_t max_fds() {
  rlimit limit{};
  return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<int64_t>(limit.rlim_cur) : 0;
}

// Bytes of the regular files directly in `dir` (ZooKeeper's `dirs` sums its snapshot and log
// files the same way).
int64_t dir_bytes(const std::string& dir) {
  int64_t total = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* entry = readdir(d)) {
    struct stat st {};
    std::string path = dir + "/" + entry->d_name;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
  }
  closedir(d);
  return total;
}

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

// The account the server runs as (a service manager usually sets no USER).
std::string user_name() {
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  return env_or("USER", "?");
}

std::vector<std::pair<std::string, std::string>> environment(const ServerConfig& config) {
  utsname uts{};
  uname(&uts);
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  char cwd[4096] = "";
  if (getcwd(cwd, sizeof(cwd)) == nullptr) cwd[0] = 0;
  return {
      {"zookeeper.version", std::string(kZooKeeperCompatVersion) + "-ringkeeper-" + kVersion},
      {"host.name", host},
      {"ringkeeper.version", kVersion},
      {"os.name", uts.sysname},
      {"os.arch", uts.machine},
      {"os.version", uts.release},
      {"user.name", user_name()},
      {"user.home", env_or("HOME", "?")},
      {"user.dir", cwd},
      {"config.file", config.source_path},
  };
}

}  // namespace

FourLetterWords::FourLetterWords(const ServerConfig& config)
    : config_(config),
      whitelist_(config.four_letter_words.begin(), config.four_letter_words.end()),
      started_mono_ms_(mono_ms()) {}

std::string FourLetterWords::run(std::string_view cmd, Processor& processor,
                                 std::vector<std::pair<std::string, std::string>> metrics,
                                 const ReplicaStatus* replica) {
  FourLetterEffects effects;
  ServerSnapshot s = snapshot(processor, replica);
  for (auto& metric : metrics) s.extra_metrics.push_back(std::move(metric));
  std::string text = run_four_letter(cmd, s, whitelist_, &effects);
  if (effects.reset_server_stats) processor.reset_server_stats();
  if (effects.reset_connection_stats) processor.reset_connection_stats();
  return text;
}

ConfSnapshot FourLetterWords::conf() const {
  ConfSnapshot conf;
  conf.client_port = config_.client_port;
  conf.data_dir = config_.data_dir;
  conf.data_log_dir = config_.data_log_dir;
  conf.tick_time_ms = config_.tick_time_ms;
  conf.max_client_cnxns = config_.max_client_cnxns;
  conf.min_session_timeout_ms = config_.min_session_timeout_ms;
  conf.max_session_timeout_ms = config_.max_session_timeout_ms;
  conf.server_id = config_.is_quorum() ? config_.my_id : 0;
  conf.quorum = config_.is_quorum();
  conf.init_limit = config_.init_limit_ticks;
  conf.sync_limit = config_.sync_limit_ticks;
  conf.election_alg = config_.election_alg;
  return conf;
}

ServerSnapshot FourLetterWords::snapshot(Processor& processor, const ReplicaStatus* replica) const {
  const Processor::Stats& stats = processor.stats();
  ServerSnapshot s;
  s.version = std::string(kZooKeeperCompatVersion) + "-ringkeeper-" + kVersion +
              ", built on " + __DATE__;
  s.mode = "standalone";
  if (replica != nullptr) {
    s.mode = replica->mode;
    s.serving = replica->serving;
    s.peer_state = replica->peer_state;
    s.quorum_size = static_cast<int64_t>(replica->quorum_size);
    s.learners = static_cast<int64_t>(replica->learners);
    s.synced_followers = static_cast<int64_t>(replica->synced_followers);
    s.synced_observers = static_cast<int64_t>(replica->synced_observers);
    s.synced_non_voting_followers = 0;
    if (replica->mode == "leader") s.leader_uptime_ms = mono_ms() - replica->leader_since_mono_ms;
  }
  s.last_zxid = stats.last_zxid;
  s.latency_min_ms = stats.latency_min_ms;
  s.latency_max_ms = stats.latency_max_ms;
  s.latency_total_ms = stats.latency_total_ms;
  s.latency_count = static_cast<int64_t>(stats.latency_count);
  s.packets_received = static_cast<int64_t>(stats.packets_received);
  s.packets_sent = static_cast<int64_t>(stats.packets_sent);
  for (Reactor* reactor : reactors_) {
    s.alive_connections += static_cast<int64_t>(reactor->counters().connections_open);
  }
  s.outstanding_requests = static_cast<int64_t>(stats.outstanding_requests);
  s.uptime_ms = mono_ms() - started_mono_ms_;
  // ZooKeeper's node table holds the root twice (as "" and "/"), and its counts say so.
  s.node_count = static_cast<int64_t>(stats.node_count) + 1;
  s.approximate_data_size = stats.approximate_data_size;
  s.ephemerals_count = static_cast<int64_t>(stats.ephemeral_count);
  s.global_sessions = static_cast<int64_t>(stats.session_count);
  s.open_file_descriptor_count = count_open_fds();
  s.max_file_descriptor_count = max_fds();

  s.watch_count = static_cast<int64_t>(stats.watch_count);
  s.watch_total = s.watch_count;
  s.watched_paths = static_cast<int64_t>(stats.watched_paths);
  s.watching_connections = static_cast<int64_t>(stats.watchers);
  const WatchManager& watches = processor.watches();
  for (auto& [watcher, paths] : watches.by_watcher()) {
    s.watches_by_session.emplace_back(processor.watcher_session(watcher), paths);
  }
  for (auto& [path, watchers] : watches.by_path()) {
    std::vector<SessionId> sessions;
    for (WatcherId w : watchers) sessions.push_back(processor.watcher_session(w));
    s.watches_by_path.emplace_back(path, std::move(sessions));
  }

  const int64_t wall_minus_mono = wall_ms() - mono_ms();
  std::map<SessionId, int64_t> session_deadline;
  for (const Session& session : processor.sessions().all()) {
    session_deadline[session.id] = session.expire_at_ms + wall_minus_mono;
  }
  for (const ConnectionStats& c : stats.connections) {
    ConnectionSnapshot conn;
    // NIOServerCnxnFactory expires an idle connection with its session; one still in its
    // handshake after the sessionless timeout.
    auto deadline = session_deadline.find(c.session_id);
    conn.expire_at_wall_ms = deadline != session_deadline.end()
                                 ? deadline->second
                                 : round_up(wall_ms() + kSessionlessTimeoutMs, kSessionlessTimeoutMs);
    conn.remote_address = "/" + c.remote;
    conn.outstanding_requests = static_cast<int64_t>(c.queued);
    conn.packets_received = static_cast<int64_t>(c.received);
    conn.packets_sent = static_cast<int64_t>(c.sent);
    conn.session_id = c.session_id;
    conn.last_operation = c.last_op;
    conn.established_wall_ms = c.established_wall_ms;
    conn.session_timeout_ms = c.timeout_ms;
    conn.last_cxid = c.last_cxid;
    conn.last_zxid = c.last_zxid;
    conn.last_response_mono_ms = c.last_response_wall_ms;
    conn.last_latency_ms = c.last_latency_ms;
    conn.min_latency_ms = c.latency_min_ms;
    conn.max_latency_ms = c.latency_max_ms;
    conn.latency_total_ms = c.latency_total_ms;
    conn.latency_count = static_cast<int64_t>(c.latency_count);
    s.connections.push_back(std::move(conn));
  }

  std::map<int64_t, std::vector<SessionId>> buckets;
  for (const Session& session : processor.sessions().all()) {
    buckets[session.expire_at_ms + wall_minus_mono].push_back(session.id);
  }
  for (auto& [at, ids] : buckets) s.session_buckets.push_back({at, std::move(ids)});
  for (auto& [session, paths] : processor.tree().all_ephemerals()) {
    s.ephemerals_by_session.emplace_back(
        session, std::vector<std::string>(paths.begin(), paths.end()));
  }
  std::sort(s.ephemerals_by_session.begin(), s.ephemerals_by_session.end());

  s.data_dir_size = dir_bytes(config_.data_dir);
  s.log_dir_size = dir_bytes(config_.data_log_dir);
  s.conf = conf();
  s.environment = environment(config_);
  return s;
}

}  // namespace rk
