// The four-letter words' text, following ZooKeeper 3.8's server/command/*.java and the
// dump/toString methods they call (ServerStats, ServerCnxn, ExpiryQueue, DataTree, ...).
#include "server/admin.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>

namespace rk {
namespace {

constexpr std::string_view kNotServing =
    "This ZooKeeper instance is not currently serving requests\n";

constexpr std::string_view kKnownWords[] = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                            "gtmk", "hash", "isro", "mntr", "ruok", "srst",
                                            "srvr", "stat", "stmk", "wchc", "wchp", "wchs"};

// Long.toHexString: two's complement, no leading zeros.
std::string java_hex(int64_t value) {
  char buf[17];
  auto end = std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(value), 16).ptr;
  return std::string(buf, end);
}

// Double.toString: plain decimal with at least one fraction digit for 1e-3 <= |v| < 1e7,
// otherwise "d.dddE<exp>"; the shortest digits that read back as the same double.
std::string java_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific).ptr;
  std::string_view sci(buf, end - buf);  // "d[.ddd]e[+-]xx"
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());

  std::string out = v < 0 ? "-" : "";
  double magnitude = std::fabs(v);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      if (digits.size() <= size_t(exponent) + 1) digits.append(exponent + 2 - digits.size(), '0');
      out += digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    } else {
      out += "0." + std::string(-exponent - 1, '0') + digits;
    }
    return out;
  }
  std::string fraction = digits.size() > 1 ? digits.substr(1) : "0";
  return out + digits[0] + "." + fraction + "E" + std::to_string(exponent);
}

// AvgMinMaxCounter.getAvg: total / count, then BigDecimal HALF_UP to 4 decimals.
double average_latency(int64_t total_ms, int64_t count) {
  if (count <= 0 || total_ms < 0) return 0.0;
  double avg = static_cast<double>(total_ms) / static_cast<double>(count);
  // glibc prints the exact binary value, so the 5th decimal alone decides HALF_UP.
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.40f", avg);
  std::string text(buf);
  size_t keep = text.find('.') + 5;
  bool round_up = text[keep] >= '5';
  text.resize(keep);
  for (size_t i = text.size(); round_up && i-- > 0;) {  // decimal increment with carry
    if (text[i] == '.') continue;
    round_up = text[i] == '9';
    text[i] = round_up ? '0' : char(text[i] + 1);
  }
  if (round_up) text.insert(text.begin(), '1');
  return std::strtod(text.c_str(), nullptr);
}

// java.util.Date.toString: "EEE MMM dd HH:mm:ss zzz yyyy" in the local time zone.
std::string java_date(int64_t wall_ms) {
  std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Z %Y", &local);
  return std::string(buf, n);
}

void line(std::string& out, std::string_view text) {
  out += text;
  out += '\n';
}

// ServerCnxn.dumpConnectionInfo.
void connection_info(std::string& out, const ConnectionSnapshot& c, bool brief) {
  out += " " + c.remote_address + "[";
  out += c.interest_ops == 0 ? "0" : java_hex(static_cast<uint32_t>(c.interest_ops));
  out += "](queued=" + std::to_string(c.outstanding_requests);
  out += ",recved=" + std::to_string(c.packets_received);
  out += ",sent=" + std::to_string(c.packets_sent);
  if (!brief && c.session_id != 0) {
    out += ",sid=0x" + java_hex(c.session_id);
    out += ",lop=" + c.last_operation;
    out += ",est=" + std::to_string(c.established_wall_ms);
    out += ",to=" + std::to_string(c.session_timeout_ms);
    if (c.last_cxid >= 0) out += ",lcxid=0x" + java_hex(c.last_cxid);
    out += ",lzxid=0x" + java_hex(c.last_zxid);
    out += ",lresp=" + std::to_string(c.last_response_mono_ms);
    out += ",llat=" + std::to_string(c.last_latency_ms);
    out += ",minlat=" + std::to_string(c.min_latency_ms);
    int64_t avg = c.latency_count == 0 ? 0 : c.latency_total_ms / c.latency_count;
    out += ",avglat=" + std::to_string(avg);
    out += ",maxlat=" + std::to_string(c.max_latency_ms);
  }
  out += ")";
}

bool is_leader(const ServerSnapshot& s) { return s.mode == "leader"; }
bool is_learner(const ServerSnapshot& s) { return s.mode == "follower" || s.mode == "observer"; }
bool is_quorum_member(const ServerSnapshot& s) { return is_leader(s) || is_learner(s); }

std::string proposal_sizes(const ServerSnapshot& s) {
  return std::to_string(s.last_proposal_size) + "/" + std::to_string(s.min_proposal_size) + "/" +
         std::to_string(s.max_proposal_size);
}

// StatCommand (stat lists the clients, srvr does not) with ServerStats.toString.
std::string stat_text(const ServerSnapshot& s, bool with_clients) {
  std::string out;
  line(out, "Zookeeper version: " + s.version);
  if (s.read_only) line(out, "READ-ONLY mode; serving only read-only clients");
  if (with_clients) {
    line(out, "Clients:");
    for (const ConnectionSnapshot& c : s.connections) {
      connection_info(out, c, true);
      out += '\n';
    }
    out += '\n';
  }
  line(out, "Latency min/avg/max: " + std::to_string(s.latency_min_ms) + "/" +
                java_double(average_latency(s.latency_total_ms, s.latency_count)) + "/" +
                std::to_string(s.latency_max_ms));
  line(out, "Received: " + std::to_string(s.packets_received));
  line(out, "Sent: " + std::to_string(s.packets_sent));
  line(out, "Connections: " + std::to_string(s.alive_connections));
  line(out, "Outstanding: " + std::to_string(s.outstanding_requests));
  line(out, "Zxid: 0x" + java_hex(s.last_zxid));
  line(out, "Mode: " + s.mode);
  line(out, "Node count: " + std::to_string(s.node_count));
  if (is_leader(s)) line(out, "Proposal sizes last/min/max: " + proposal_sizes(s));
  return out;
}

std::string cons_text(const ServerSnapshot& s) {
  std::string out;
  for (const ConnectionSnapshot& c : s.connections) {
    connection_info(out, c, false);
    out += '\n';
  }
  out += '\n';
  return out;
}

// MonitorCommand: dumpMonitorValues, then the gauges in the order the server registers them.
std::string mntr_text(const ServerSnapshot& s) {
  std::string out;
  auto put = [&out](std::string_view key, const std::string& value) {
    out += "zk_";
    out += key;
    out += '\t';
    out += value;
    out += '\n';
  };
  auto put_int = [&put](std::string_view key, int64_t value) { put(key, std::to_string(value)); };
  put("version", s.version);
  put("server_state", s.mode);
  if (is_quorum_member(s) && !s.peer_state.empty()) put("peer_state", s.peer_state);
  put("avg_latency", java_double(average_latency(s.latency_total_ms, s.latency_count)));
  put_int("max_latency", s.latency_max_ms);
  put_int("min_latency", s.latency_min_ms);
  put_int("packets_received", s.packets_received);
  put_int("packets_sent", s.packets_sent);
  put_int("num_alive_connections", s.alive_connections);
  put_int("outstanding_requests", s.outstanding_requests);
  put_int("uptime", s.uptime_ms);
  put_int("znode_count", s.node_count);
  put_int("watch_count", s.watch_count);
  put_int("ephemerals_count", s.ephemerals_count);
  put_int("approximate_data_size", s.approximate_data_size);
  put_int("global_sessions", s.global_sessions);
  put_int("local_sessions", s.local_sessions);
  put_int("open_file_descriptor_count", s.open_file_descriptor_count);
  put_int("max_file_descriptor_count", s.max_file_descriptor_count);
  put("connection_drop_probability", java_double(s.connection_drop_probability));
  put_int("last_client_response_size", s.last_client_response_size);
  put_int("max_client_response_size", s.max_client_response_size);
  put_int("min_client_response_size", s.min_client_response_size);
  put_int("outstanding_tls_handshake", s.outstanding_tls_handshake);
  put_int("auth_failed_count", s.auth_failed_count);
  put_int("non_mtls_remote_conn_count", s.non_mtls_remote_conn_count);
  put_int("non_mtls_local_conn_count", s.non_mtls_local_conn_count);
  if (is_quorum_member(s)) put_int("quorum_size", s.quorum_size);
  if (is_leader(s)) {
    put_int("learners", s.learners);
    put_int("synced_followers", s.synced_followers);
    put_int("synced_non_voting_followers", s.synced_non_voting_followers);
    put_int("synced_observers", s.synced_observers);
    put_int("pending_syncs", s.pending_syncs);
    put_int("leader_uptime", s.leader_uptime_ms);
    put_int("last_proposal_size", s.last_proposal_size);
    put_int("max_proposal_size", s.max_proposal_size);
    put_int("min_proposal_size", s.min_proposal_size);
  } else if (s.mode == "follower") {
    put_int("synced_observers", s.synced_observers);
  }
  for (const auto& [key, value] : s.extra_metrics) put(key, value);
  return out;
}

// ZooKeeperServer.dumpConf (+ QuorumZooKeeperServer.dumpConf and QuorumMaj.toString).
std::string conf_text(const ServerSnapshot& s) {
  const ConfSnapshot& c = s.conf;
  std::string out;
  line(out, "clientPort=" + std::to_string(c.client_port));
  line(out, "secureClientPort=" + std::to_string(c.secure_client_port));
  line(out, "dataDir=" + c.data_dir);
  line(out, "dataDirSize=" + std::to_string(s.data_dir_size));
  line(out, "dataLogDir=" + c.data_log_dir);
  line(out, "dataLogSize=" + std::to_string(s.log_dir_size));
  line(out, "tickTime=" + std::to_string(c.tick_time_ms));
  line(out, "maxClientCnxns=" + std::to_string(c.max_client_cnxns));
  line(out, "minSessionTimeout=" + std::to_string(c.min_session_timeout_ms));
  line(out, "maxSessionTimeout=" + std::to_string(c.max_session_timeout_ms));
  line(out, "clientPortListenBacklog=" + std::to_string(c.client_port_listen_backlog));
  line(out, "serverId=" + std::to_string(c.server_id));
  if (!c.quorum) return out;
  line(out, "initLimit=" + std::to_string(c.init_limit));
  line(out, "syncLimit=" + std::to_string(c.sync_limit));
  line(out, "electionAlg=" + std::to_string(c.election_alg));
  line(out, "electionPort=" + c.election_port);
  line(out, "quorumPort=" + c.quorum_port);
  line(out, "peerType=" + std::to_string(c.peer_type));
  line(out, "membership: ");
  for (const auto& [key, value] : c.members) line(out, key + "=" + value);
  out += "version=" + java_hex(c.config_version);  // QuorumMaj.toString ends without a newline
  return out;
}

// WatchCommand: wchs summary, wchp by path, wchc by session; each ends with one more newline.
std::string watch_text(const ServerSnapshot& s, std::string_view cmd) {
  std::string out;
  if (cmd == "wchs") {
    line(out, std::to_string(s.watching_connections) + " connections watching " +
                  std::to_string(s.watched_paths) + " paths");
    out += "Total watches:" + std::to_string(s.watch_total);
  } else if (cmd == "wchp") {
    for (const auto& [path, sessions] : s.watches_by_path) {
      line(out, path);
      for (SessionId id : sessions) line(out, "\t0x" + java_hex(id));
    }
  } else {
    for (const auto& [id, paths] : s.watches_by_session) {
      line(out, "0x" + java_hex(id));
      for (const std::string& path : paths) line(out, "\t" + path);
    }
  }
  out += '\n';
  return out;
}

// ExpiryQueue.dump for the connections: "Sets (buckets)/(elements):", buckets by time.
void connection_expiry_dump(std::string& out, const ServerSnapshot& s) {
  std::map<int64_t, std::vector<const ConnectionSnapshot*>> buckets;
  for (const ConnectionSnapshot& c : s.connections) buckets[c.expire_at_wall_ms].push_back(&c);
  line(out, "Connections Sets (" + std::to_string(buckets.size()) + ")/(" +
                std::to_string(s.connections.size()) + "):");
  for (const auto& [expire_at_wall_ms, members] : buckets) {
    line(out, std::to_string(members.size()) + " expire at " + java_date(expire_at_wall_ms) + ":");
    // NIOServerCnxn.toString, not the cons line.
    for (const ConnectionSnapshot* c : members) {
      line(out, "\tip: " + c->remote_address + " sessionId: 0x" + java_hex(c->session_id));
    }
  }
}

// DumpCommand: sessions (SessionTrackerImpl or LearnerSessionTracker), ephemerals, connections.
std::string dump_text(const ServerSnapshot& s) {
  std::string out;
  line(out, "SessionTracker dump:");
  if (is_learner(s)) {
    line(out, "Global Sessions(" + std::to_string(s.learner_sessions.size()) + "):");
    auto sessions = s.learner_sessions;
    std::sort(sessions.begin(), sessions.end());  // TreeSet<Long>: signed order
    for (const auto& [id, timeout_ms] : sessions) {
      line(out, "0x" + java_hex(id) + "\t" + std::to_string(timeout_ms) + "ms");
    }
  } else {
    size_t tracked = 0;
    for (const SessionExpiryBucket& b : s.session_buckets) tracked += b.sessions.size();
    auto buckets = s.session_buckets;
    std::sort(buckets.begin(), buckets.end(), [](const auto& a, const auto& b) {
      return a.expire_at_wall_ms < b.expire_at_wall_ms;
    });
    line(out, "Session Sets (" + std::to_string(buckets.size()) + ")/(" + std::to_string(tracked) +
                  "):");
    for (const SessionExpiryBucket& b : buckets) {
      line(out, std::to_string(b.sessions.size()) + " expire at " + java_date(b.expire_at_wall_ms) +
                    ":");
      for (SessionId id : b.sessions) line(out, "\t0x" + java_hex(id));
    }
  }
  line(out, "ephemeral nodes dump:");
  line(out, "Sessions with Ephemerals (" + std::to_string(s.ephemerals_by_session.size()) + "):");
  for (const auto& [id, paths] : s.ephemerals_by_session) {
    line(out, "0x" + java_hex(id) + ":");
    for (const std::string& path : paths) line(out, "\t" + path);
  }
  line(out, "Connections dump:");
  connection_expiry_dump(out, s);
  return out;
}

std::string envi_text(const ServerSnapshot& s) {
  std::string out;
  line(out, "Environment:");
  for (const auto& [key, value] : s.environment) line(out, key + "=" + value);
  return out;
}

std::string hash_text(const ServerSnapshot& s) {
  std::string out;
  for (const auto& [zxid, digest] : s.digest_log) {
    line(out, java_hex(zxid) + ": " + std::to_string(digest));
  }
  return out;
}

bool enabled(std::string_view cmd, const std::set<std::string>& whitelist) {
  return cmd == "srvr" || whitelist.count("*") > 0 || whitelist.count(std::string(cmd)) > 0;
}

// Words that answer even while no server runs (CommandExecutor's commands that do not
// check isZKServerRunning()).
std::string answer_any_time(std::string_view cmd, const ServerSnapshot& s) {
  if (cmd == "ruok") return "imok";
  if (cmd == "envi") return envi_text(s);
  if (cmd == "gtmk" || cmd == "stmk") return std::to_string(s.trace_mask);
  if (cmd == "isro") return !s.serving ? "null" : s.read_only ? "ro" : "rw";
  if (cmd == "hash") {
    // DigestCommand prints the not-serving message without a line end.
    return s.serving ? hash_text(s) : std::string(kNotServing.substr(0, kNotServing.size() - 1));
  }
  return {};
}

}  // namespace

bool is_four_letter_word(std::string_view cmd) {
  return std::find(std::begin(kKnownWords), std::end(kKnownWords), cmd) != std::end(kKnownWords);
}

std::string run_four_letter(std::string_view cmd, const ServerSnapshot& s,
                            const std::set<std::string>& whitelist, FourLetterEffects* effects) {
  if (!is_four_letter_word(cmd)) return {};
  if (!enabled(cmd, whitelist)) {
    return std::string(cmd) + " is not executed because it is not in the whitelist.\n";
  }
  if (cmd == "ruok" || cmd == "envi" || cmd == "gtmk" || cmd == "stmk" || cmd == "isro" ||
      cmd == "hash") {
    return answer_any_time(cmd, s);
  }
  if (!s.serving) return std::string(kNotServing);

  if (cmd == "srvr" || cmd == "stat") return stat_text(s, cmd == "stat");
  if (cmd == "cons") return cons_text(s);
  if (cmd == "mntr") return mntr_text(s);
  if (cmd == "conf") return conf_text(s);
  if (cmd == "dump") return dump_text(s);
  if (cmd == "dirs") {
    return "datadir_size: " + std::to_string(s.data_dir_size) + "\nlogdir_size: " +
           std::to_string(s.log_dir_size) + "\n";
  }
  if (cmd == "wchs" || cmd == "wchp" || cmd == "wchc") return watch_text(s, cmd);
  if (cmd == "srst") {
    if (effects != nullptr) effects->reset_server_stats = true;
    return "Server stats reset.\n";
  }
  if (cmd == "crst") {
    if (effects != nullptr) effects->reset_connection_stats = true;
    return "Connection stats reset.\n";
  }
  return {};  // every known word is handled above
}

const char* last_operation_name(OpCode op) {
  switch (op) {
    case OpCode::kPing: return "PING";
    case OpCode::kCreateSession: return "SESS";
    case OpCode::kMulti: return "MULT";
    case OpCode::kMultiRead: return "MLTR";
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer: return "CREA";
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return "DELE";
    case OpCode::kSetData: return "SETD";
    case OpCode::kReconfig: return "RECO";
    case OpCode::kSetAcl: return "SETA";
    case OpCode::kCloseSession: return "CLOS";
    case OpCode::kSync: return "SYNC";
    case OpCode::kCheck: return "CHEC";
    case OpCode::kExists: return "EXIS";
    case OpCode::kGetData: return "GETD";
    case OpCode::kSetWatches: return "SETW";
    case OpCode::kSetWatches2: return "STW2";
    case OpCode::kAddWatch: return "ADDW";
    case OpCode::kGetAcl: return "GETA";
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: return "GETC";
    case OpCode::kGetAllChildrenNumber: return "GETACN";
    case OpCode::kCheckWatches: return "CHKW";
    case OpCode::kRemoveWatches: return "REMW";
    case OpCode::kWhoAmI: return "HOMI";
    case OpCode::kGetEphemerals: return "GETE";
    default: return "NA";
  }
}

}  // namespace rk
