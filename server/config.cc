// zoo.cfg parsing: java.util.Properties syntax, then ZooKeeper's keys, defaults and checks
// (QuorumPeerConfig and the system properties ZooKeeper reads), then dataDir/myid.
#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace rk {
namespace {

// ---------------------------------------------------------------------------------------------
// java.util.Properties.load: natural lines end at \n, \r or \r\n; leading blanks are skipped;
// '#' or '!' first starts a comment; an odd number of trailing backslashes joins the next line
// (its leading blanks dropped); the key ends at the first unescaped '=', ':' or blank; escapes
// \t \n \r \f \uXXXX, any other \c is c. Bytes pass through unchanged (Java reads Latin-1,
// which would mangle UTF-8 paths; plain ASCII files read the same either way).

struct RawEntry {
  std::string key;
  std::string value;
  int line = 0;  // where the logical line starts, 1-based
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string_view skip_blanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_blank(s[i])) ++i;
  return s.substr(i);
}

// Java's String.trim(): everything <= ' ' at both ends.
std::string_view trim(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end && static_cast<unsigned char>(s[begin]) <= ' ') ++begin;
  while (end > begin && static_cast<unsigned char>(s[end - 1]) <= ' ') --end;
  return s.substr(begin, end - begin);
}

class NaturalLines {
 public:
  explicit NaturalLines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line, int& number) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find_first_of("\r\n", pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    number = ++line_;
    pos_ = end;
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;  // "\n" alone, or "\r\n"
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 0;
};

bool ends_in_continuation(std::string_view s) {
  size_t backslashes = 0;
  while (backslashes < s.size() && s[s.size() - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

void append_utf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// Resolves escapes; nullopt on a malformed \uXXXX (Java throws there too).
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      if (s[i] != '\\') out += s[i];
      continue;
    }
    char c = s[++i];
    if (c == 'u') {
      if (i + 4 >= s.size()) return std::nullopt;
      uint32_t code = 0;
      auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 5, code, 16);
      if (ec != std::errc() || end != s.data() + i + 5) return std::nullopt;
      append_utf8(out, code);
      i += 4;
      continue;
    }
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
  }
  return out;
}

// Splits one logical line into its raw (still escaped) key and value.
std::pair<std::string_view, std::string_view> split_key_value(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] != '=' && s[i] != ':' && !is_blank(s[i])) i += s[i] == '\\' ? 2 : 1;
  i = std::min(i, s.size());
  std::string_view key = s.substr(0, i);
  size_t j = i;
  while (j < s.size() && is_blank(s[j])) ++j;
  if (j < s.size() && (s[j] == '=' || s[j] == ':')) ++j;
  while (j < s.size() && is_blank(s[j])) ++j;
  return {key, s.substr(j)};
}

Result<std::vector<RawEntry>> read_properties(std::string_view text, std::string_view source) {
  std::vector<RawEntry> entries;
  NaturalLines lines(text);
  std::string_view natural;
  int number = 0;
  while (lines.next(natural, number)) {
    natural = skip_blanks(natural);
    if (natural.empty() || natural[0] == '#' || natural[0] == '!') continue;
    const int first_line = number;
    std::string logical(natural);
    while (ends_in_continuation(logical)) {
      logical.pop_back();
      if (!lines.next(natural, number)) break;
      logical += skip_blanks(natural);
    }
    auto [raw_key, raw_value] = split_key_value(logical);
    std::optional<std::string> key = unescape(raw_key);
    std::optional<std::string> value = unescape(raw_value);
    if (!key || !value) {
      return Status::error(std::string(source) + ":" + std::to_string(first_line) +
                           ": malformed \\uxxxx escape");
    }
    entries.push_back({std::string(trim(*key)), std::string(trim(*value)), first_line});
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Values.

struct Ctx {
  std::string_view source;
  ServerConfig* config = nullptr;
  std::map<std::string, int, std::less<>> line_of;  // key -> line it was (last) set on
  int32_t min_session_timeout_ms = -1;              // -1 = derive from tickTime
  int32_t max_session_timeout_ms = -1;
  std::map<int64_t, int> member_line;               // server id -> its server.N line

  std::string at(int line) const {
    return line > 0 ? std::string(source) + ":" + std::to_string(line) : std::string(source);
  }
  std::string at_key(std::string_view key) const {
    auto it = line_of.find(key);
    return at(it == line_of.end() ? 0 : it->second) + ": " + std::string(key);
  }
  void warn(int line, const std::string& message) {
    config->warnings.push_back(at(line) + ": " + message);
  }
};

Status value_error(const Ctx& ctx, const RawEntry& e, std::string_view expected) {
  return Status::error(ctx.at(e.line) + ": " + e.key + ": expected " + std::string(expected) +
                       ", got \"" + e.value + "\"");
}

// Java's Integer.parseInt (optional sign, decimal); with `allow_hex`, also Integer.decode's
// 0x/0X/# prefixes, used where ZooKeeper reads the value as a system property.
std::optional<int64_t> parse_integer(std::string_view s, bool allow_hex = false) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (allow_hex && (s.starts_with("0x") || s.starts_with("0X"))) {
    base = 16;
    s.remove_prefix(2);
  } else if (allow_hex && s.starts_with("#")) {
    base = 16;
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -value : value;
}

constexpr std::string_view kPositive = "a positive integer";
constexpr std::string_view kNonNegative = "a non-negative integer";
constexpr std::string_view kPort = "a port number (1-65535)";

template <typename T>
Status parse_int(const Ctx& ctx, const RawEntry& e, int64_t min, int64_t max,
                 std::string_view expected, T& out, bool allow_hex = false) {
  std::optional<int64_t> value = parse_integer(e.value, allow_hex);
  if (!value || *value < min || *value > max) return value_error(ctx, e, expected);
  out = static_cast<T>(*value);
  return Status::ok();
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// QuorumPeerConfig.parseBoolean: "true"/"false", any case; anything else is an error.
Status parse_bool(const Ctx& ctx, const RawEntry& e, bool& out) {
  if (equals_ignore_case(e.value, "true")) {
    out = true;
  } else if (equals_ignore_case(e.value, "false")) {
    out = false;
  } else {
    return value_error(ctx, e, "true or false");
  }
  return Status::ok();
}

// Relative paths resolve against the working directory, as java.io.File does.
std::string absolute_path(std::string_view path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(path), error);
  return (error ? std::filesystem::path(path) : absolute).lexically_normal().string();
}

Status parse_dir(const Ctx& ctx, const RawEntry& e, std::string& out) {
  if (e.value.empty()) return value_error(ctx, e, "a directory");
  out = absolute_path(e.value);
  return Status::ok();
}

// Every command ZooKeeper's FourLetterCommands knows; "*" in the whitelist means all of them.
constexpr std::string_view kFourLetterWords[] = {
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst",
    "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"};

void add_unique(std::vector<std::string>& list, std::string_view word) {
  if (std::find(list.begin(), list.end(), word) == list.end()) list.emplace_back(word);
}

Status parse_whitelist(Ctx& ctx, const RawEntry& e, std::vector<std::string>& out) {
  out.clear();
  std::string_view rest = e.value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view word = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (word.empty()) continue;
    if (word == "*") {
      for (std::string_view known : kFourLetterWords) add_unique(out, known);
    } else if (std::find(std::begin(kFourLetterWords), std::end(kFourLetterWords), word) ==
               std::end(kFourLetterWords)) {
      ctx.warn(e.line, e.key + ": unknown four-letter word \"" + std::string(word) + "\" ignored");
    } else {
      add_unique(out, word);
    }
  }
  add_unique(out, "srvr");  // ZooKeeper always allows it: zkServer.sh status depends on it
  return Status::ok();
}

Status parse_log_level(const Ctx& ctx, const RawEntry& e, LogLevel& out) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"debug", LogLevel::kDebug},
      {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},
      {"error", LogLevel::kError}};
  for (const auto& [name, level] : kLevels) {
    if (equals_ignore_case(e.value, name)) {
      out = level;
      return Status::ok();
    }
  }
  return value_error(ctx, e, "one of debug, info, warn, error");
}

Status parse_peer_type(const Ctx& ctx, const RawEntry& e, PeerRole& out) {
  if (equals_ignore_case(e.value, "participant")) {
    out = PeerRole::kParticipant;
  } else if (equals_ignore_case(e.value, "observer")) {
    out = PeerRole::kObserver;
  } else {
    return value_error(ctx, e, "participant or observer");
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]

constexpr std::string_view kMemberForm =
    "host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]";

// Splits "host:p1:p2..." where host may be a bracketed IPv6 literal ("[::1]:p1:p2").
std::optional<std::vector<std::string_view>> split_host_parts(std::string_view s) {
  std::vector<std::string_view> parts;
  if (s.starts_with("[")) {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.push_back(s.substr(1, close - 1));
    s.remove_prefix(close + 1);
    if (s.empty()) return parts;
    if (s[0] != ':') return std::nullopt;
    s.remove_prefix(1);
  }
  while (true) {
    size_t colon = s.find(':');
    parts.push_back(trim(s.substr(0, colon)));
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
  return parts;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  std::optional<int64_t> port = parse_integer(trim(s));
  if (!port || *port < 1 || *port > 65535) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

Result<QuorumMember> parse_member_address(std::string_view value, QuorumMember member) {
  size_t semicolon = value.find(';');
  std::string_view server_part = trim(value.substr(0, semicolon));
  std::string_view client_part =
      semicolon == std::string_view::npos ? std::string_view() : trim(value.substr(semicolon + 1));
  if (client_part.find(';') != std::string_view::npos) return Status::error("more than one ';'");
  if (server_part.find('|') != std::string_view::npos) {
    return Status::error("several addresses per server (multiAddress) are not supported");
  }
  auto parts = split_host_parts(server_part);
  if (!parts || parts->size() < 3 || parts->size() > 4 || (*parts)[0].empty()) {
    return Status::error("expected " + std::string(kMemberForm));
  }
  member.host = std::string((*parts)[0]);
  auto quorum_port = parse_port((*parts)[1]);
  auto election_port = parse_port((*parts)[2]);
  if (!quorum_port || !election_port) return Status::error("ports must be numbers 1-65535");
  if (*quorum_port == *election_port) {
    return Status::error("quorum and election ports must differ");
  }
  member.quorum_port = *quorum_port;
  member.election_port = *election_port;
  if (parts->size() == 4) {
    std::string_view role = (*parts)[3];
    if (equals_ignore_case(role, "observer")) {
      member.role = PeerRole::kObserver;
    } else if (!equals_ignore_case(role, "participant")) {
      return Status::error("unknown role \"" + std::string(role) + "\" (participant or observer)");
    }
  }
  if (semicolon == std::string_view::npos) return member;
  auto client = split_host_parts(client_part);
  if (!client || client->size() > 2) return Status::error("bad client address");
  auto client_port = parse_port(client->back());
  if (!client_port) return Status::error("client port must be a number 1-65535");
  member.client_port = *client_port;
  if (client->size() == 2) member.client_address = std::string((*client)[0]);
  return member;
}

Status parse_member(Ctx& ctx, const RawEntry& e) {
  std::optional<int64_t> id = parse_integer(std::string_view(e.key).substr(7));
  // Session ids carry the server id in their top byte, hence 0..255 (ZooKeeper's docs say
  // 1..255; 0 works there and is accepted here).
  if (!id || *id < 0 || *id > 255) {
    return Status::error(ctx.at(e.line) + ": " + e.key +
                         ": expected server.N with N a number from 0 to 255");
  }
  if (ctx.member_line.contains(*id)) {
    return Status::error(ctx.at(e.line) + ": " + e.key + ": server id " + std::to_string(*id) +
                         " already defined on line " + std::to_string(ctx.member_line[*id]));
  }
  QuorumMember member;
  member.id = *id;
  Result<QuorumMember> parsed = parse_member_address(e.value, member);
  if (!parsed) {
    return Status::error(ctx.at(e.line) + ": " + e.key + ": " + parsed.status().message() +
                         ", got \"" + e.value + "\"");
  }
  ctx.member_line[*id] = e.line;
  ctx.config->members.push_back(std::move(*parsed));
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// The key table. Several ZooKeeper settings are system properties that zoo.cfg sets by their
// name without the "zookeeper." prefix; operators also write the prefixed form, so both work.

using Apply = Status (*)(Ctx&, const RawEntry&, ServerConfig&);
struct KeyRule {
  std::string_view key;
  Apply apply;
};

const KeyRule kRules[] = {
    {"tickTime", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 1, INT32_MAX, kPositive, c.tick_time_ms); }},
    {"dataDir", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_dir(x, e, c.data_dir); }},
    {"dataLogDir", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_dir(x, e, c.data_log_dir); }},
    {"clientPort", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       // 0 is ZooKeeper's "not set" (the port may then come from server.N's ";port").
       return parse_int(x, e, 0, 65535, "a port number (1-65535)", c.client_port); }},
    {"clientPortAddress", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       if (e.value.empty()) return value_error(x, e, "a host name or address");
       c.client_port_address = e.value;
       return Status::ok(); }},
    {"maxClientCnxns", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 0, INT32_MAX, kNonNegative, c.max_client_cnxns); }},
    {"minSessionTimeout", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, -1, INT32_MAX, "-1 or a non-negative integer (ms)",
                        x.min_session_timeout_ms); }},
    {"maxSessionTimeout", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, -1, INT32_MAX, "-1 or a non-negative integer (ms)",
                        x.max_session_timeout_ms); }},
    {"initLimit", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 0, INT32_MAX, kNonNegative, c.init_limit_ticks); }},
    {"syncLimit", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 0, INT32_MAX, kNonNegative, c.sync_limit_ticks); }},
    {"preAllocSize", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 1, int64_t{1} << 26, "a positive size in KiB (at most 64 GiB)",
                        c.pre_alloc_size_kib); }},
    {"snapCount", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, INT32_MIN, INT32_MAX, "an integer", c.snap_count, true); }},
    {"autopurge.snapRetainCount", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, INT32_MIN, INT32_MAX, "an integer", c.snap_retain_count); }},
    {"autopurge.purgeInterval", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, INT32_MIN, INT32_MAX, "an integer (hours)",
                        c.purge_interval_hours); }},
    {"forceSync", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       if (equals_ignore_case(e.value, "yes")) c.force_sync = true;
       else if (equals_ignore_case(e.value, "no")) c.force_sync = false;
       else return value_error(x, e, "yes or no");
       return Status::ok(); }},
    {"fsync.warningthresholdms", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 0, INT64_MAX, kNonNegative, c.fsync_warning_threshold_ms, true); }},
    {"4lw.commands.whitelist", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_whitelist(x, e, c.four_letter_words); }},
    {"jute.maxbuffer", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 1, INT32_MAX, "a positive number of bytes",
                        c.jute_max_buffer_bytes, true); }},
    {"electionAlg", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 3, 3, "3 (the only election algorithm ZooKeeper supports)",
                        c.election_alg); }},
    {"peerType", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_peer_type(x, e, c.peer_type); }},
    {"standaloneEnabled", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.standalone_enabled); }},
    {"reconfigEnabled", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.reconfig_enabled); }},
    {"syncEnabled", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.sync_enabled); }},
    {"admin.enableServer", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.admin_enable_server); }},
    {"admin.serverPort", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 1, 65535, kPort, c.admin_server_port); }},
    {"digest.enabled", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.digest_enabled); }},
    {"extendedTypesEnabled", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_bool(x, e, c.extended_types_enabled); }},
    {"DigestAuthenticationProvider.superDigest", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       if (e.value.find(':') == std::string::npos) return value_error(x, e, "super:<digest>");
       c.super_digest = e.value;
       return Status::ok(); }},
    {"znode.container.checkIntervalMs", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 1, INT32_MAX, "a positive integer (ms)",
                        c.container_check_interval_ms, true); }},
    {"ringkeeper.reactorThreads", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_int(x, e, 0, 256, "an integer from 0 (one per core) to 256",
                        c.reactor_threads); }},
    {"ringkeeper.txnLogZeroFill", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       if (equals_ignore_case(e.value, "device")) c.txn_log_zero_fill = ZeroFill::kDevice;
       else if (equals_ignore_case(e.value, "writes")) c.txn_log_zero_fill = ZeroFill::kWrites;
       else return value_error(x, e, "device or writes");
       return Status::ok(); }},
    {"ringkeeper.logLevel", [](Ctx& x, const RawEntry& e, ServerConfig& c) {
       return parse_log_level(x, e, c.log_level); }},
};

// Keys that read the same with a "zookeeper." prefix (ZooKeeper system properties).
constexpr std::string_view kPrefixedAliases[] = {
    "jute.maxbuffer", "extendedTypesEnabled", "DigestAuthenticationProvider.superDigest",
    "znode.container.checkIntervalMs", "digest.enabled", "fsync.warningthresholdms",
    "forceSync", "preAllocSize", "snapCount"};

std::string_view canonical_key(std::string_view key) {
  constexpr std::string_view kPrefix = "zookeeper.";
  if (!key.starts_with(kPrefix)) return key;
  std::string_view bare = key.substr(kPrefix.size());
  for (std::string_view alias : kPrefixedAliases) {
    if (bare == alias) return bare;
  }
  return key;
}

Status apply_entry(Ctx& ctx, const RawEntry& e) {
  std::string_view key = canonical_key(e.key);
  for (const KeyRule& rule : kRules) {
    if (rule.key == key) return rule.apply(ctx, e, *ctx.config);
  }
  if (key.starts_with("server.")) return parse_member(ctx, e);
  if (key.starts_with("group.") || key.starts_with("weight.")) {
    return Status::error(ctx.at(e.line) + ": " + e.key +
                         ": hierarchical quorums (group.N/weight.N) are not supported");
  }
  if (key == "dynamicConfigFile") {
    return Status::error(ctx.at(e.line) + ": " + e.key +
                         ": a separate dynamic config file is not supported; put the server.N "
                         "lines in this file");
  }
  if (key.starts_with("metricsProvider.")) {
    ctx.warn(e.line, e.key + ": metrics providers are not supported; ignored");
  } else {
    ctx.warn(e.line, "unknown key \"" + e.key + "\" ignored");
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Checks that need the whole file, in QuorumPeerConfig's order.

void apply_floors(Ctx& ctx, ServerConfig& c) {
  if (c.snap_retain_count < 3) {
    ctx.warn(ctx.line_of["autopurge.snapRetainCount"],
             "autopurge.snapRetainCount " + std::to_string(c.snap_retain_count) +
                 " is below the minimum; using 3");
    c.snap_retain_count = 3;
  }
  if (c.snap_count < 2) {
    ctx.warn(ctx.line_of["snapCount"],
             "snapCount " + std::to_string(c.snap_count) + " is below the minimum; using 2");
    c.snap_count = 2;
  }
  if (c.purge_interval_hours < 0) {
    ctx.warn(ctx.line_of["autopurge.purgeInterval"],
             "autopurge.purgeInterval is negative; purging disabled (0)");
    c.purge_interval_hours = 0;
  }
  if (c.admin_enable_server && ctx.line_of.contains("admin.enableServer")) {
    ctx.warn(ctx.line_of["admin.enableServer"],
             "admin.enableServer: the HTTP admin server is not available yet; not started");
  }
}

Status check_timeouts_and_dirs(Ctx& ctx, ServerConfig& c) {
  if (c.data_dir.empty()) {
    return Status::error(ctx.at(0) + ": dataDir is not set (it is required)");
  }
  if (c.data_log_dir.empty()) c.data_log_dir = c.data_dir;
  if (!c.client_port_address.empty() && c.client_port == 0) {
    return Status::error(ctx.at_key("clientPortAddress") + ": set but clientPort is not set");
  }
  const int64_t tick_ms = c.tick_time_ms;
  c.min_session_timeout_ms = static_cast<int32_t>(
      ctx.min_session_timeout_ms == -1 ? std::min<int64_t>(tick_ms * 2, INT32_MAX)
                                       : ctx.min_session_timeout_ms);
  c.max_session_timeout_ms = static_cast<int32_t>(
      ctx.max_session_timeout_ms == -1 ? std::min<int64_t>(tick_ms * 20, INT32_MAX)
                                       : ctx.max_session_timeout_ms);
  if (c.min_session_timeout_ms > c.max_session_timeout_ms) {
    const char* key = ctx.line_of.contains("minSessionTimeout") ? "minSessionTimeout"
                                                                : "maxSessionTimeout";
    return Status::error(ctx.at_key(key) + ": minSessionTimeout (" +
                         std::to_string(c.min_session_timeout_ms) +
                         " ms) must not be larger than maxSessionTimeout (" +
                         std::to_string(c.max_session_timeout_ms) + " ms)");
  }
  return Status::ok();
}

// QuorumPeerConfig.parseDynamicConfig's rules on the member counts.
Status check_members(Ctx& ctx, ServerConfig& c) {
  std::sort(c.members.begin(), c.members.end(),
            [](const QuorumMember& a, const QuorumMember& b) { return a.id < b.id; });
  size_t participants = std::count_if(c.members.begin(), c.members.end(), [](const auto& m) {
    return m.role == PeerRole::kParticipant;
  });
  size_t observers = c.members.size() - participants;
  const int first_line = c.members.empty() ? 0 : ctx.member_line.begin()->second;
  if (participants == 0) {
    if (!c.standalone_enabled) {
      return Status::error(ctx.at_key("standaloneEnabled") +
                           ": false requires at least one participant server.N line");
    }
    if (observers > 0) {
      return Status::error(ctx.at(first_line) + ": observers without participants");
    }
  } else if (participants == 1 && c.standalone_enabled) {
    if (observers > 0) return Status::error(ctx.at(first_line) + ": observers without a quorum");
    ctx.warn(first_line, "only one server.N line: running standalone (ignoring it)");
  } else if (participants <= 2) {
    ctx.warn(first_line, "no server failure will be tolerated: you need at least 3 servers");
  } else if (participants % 2 == 0) {
    ctx.warn(first_line, "non-optimal configuration: consider an odd number of servers");
  }
  if (c.is_quorum()) {
    if (c.init_limit_ticks == 0) return Status::error(ctx.at(0) + ": initLimit is not set");
    if (c.sync_limit_ticks == 0) return Status::error(ctx.at(0) + ": syncLimit is not set");
  }
  return Status::ok();
}

bool is_wildcard(std::string_view address) {
  return address.empty() || address == "0.0.0.0" || address == "::" || address == "0:0:0:0:0:0:0:0";
}

// QuorumPeerConfig.setupClientPort: this server's ";[addr:]port" wins over clientPort /
// clientPortAddress, which must agree with it when both are given.
Status merge_client_address(ServerConfig& config, QuorumMember& self) {
  if (self.client_port == 0) {
    self.client_port = config.client_port;
    self.client_address = config.client_port_address;
    return Status::ok();
  }
  if (config.client_port != 0) {
    bool agree = config.client_port == self.client_port &&
                 (is_wildcard(config.client_port_address) ||
                  config.client_port_address ==
                      (self.client_address.empty() ? "0.0.0.0" : self.client_address));
    if (!agree) {
      std::string ours = (config.client_port_address.empty() ? std::string("0.0.0.0")
                                                              : config.client_port_address) +
                         ":" + std::to_string(config.client_port);
      return Status::error(config.source_path + ": clientPort/clientPortAddress (" + ours +
                           ") differ from the client address on server." +
                           std::to_string(self.id));
    }
  }
  config.client_port = self.client_port;
  config.client_port_address = is_wildcard(self.client_address) ? "" : self.client_address;
  return Status::ok();
}

}  // namespace

bool ServerConfig::is_quorum() const {
  size_t participants = std::count_if(members.begin(), members.end(), [](const auto& m) {
    return m.role == PeerRole::kParticipant;
  });
  return !members.empty() && (!standalone_enabled || participants > 1);
}

const QuorumMember& ServerConfig::self() const {
  RK_ASSERT(is_quorum());
  auto it = std::find_if(members.begin(), members.end(),
                         [this](const QuorumMember& m) { return m.id == my_id; });
  RK_ASSERT(it != members.end());
  return *it;
}

bool ServerConfig::four_letter_word_allowed(std::string_view cmd) const {
  return std::find(four_letter_words.begin(), four_letter_words.end(), cmd) !=
         four_letter_words.end();
}

Result<ServerConfig> parse_config(std::string_view text, std::string_view source_name) {
  Result<std::vector<RawEntry>> raw = read_properties(text, source_name);
  if (!raw) return raw.status();
  ServerConfig config;
  config.source_path = std::string(source_name);
  Ctx ctx;
  ctx.source = source_name;
  ctx.config = &config;
  // Properties keeps the last value of a repeated key; so do we, in the position it had first.
  for (size_t i = 0; i < raw->size(); ++i) {
    RawEntry& e = (*raw)[i];
    auto earlier = std::find_if(config.entries.begin(), config.entries.end(),
                                [&](const ConfigEntry& c) { return c.key == e.key; });
    if (earlier != config.entries.end()) {
      ctx.warn(e.line, e.key + " set again (was on line " + std::to_string(ctx.line_of[e.key]) +
                           "); the later value wins");
      earlier->value = e.value;
    } else {
      config.entries.push_back({e.key, e.value});
    }
    ctx.line_of[e.key] = e.line;
    ctx.line_of[std::string(canonical_key(e.key))] = e.line;
  }
  for (const RawEntry& e : *raw) {
    if (ctx.line_of[e.key] != e.line) continue;  // superseded by a later line
    if (Status s = apply_entry(ctx, e); !s) return s;
  }
  apply_floors(ctx, config);
  if (Status s = check_timeouts_and_dirs(ctx, config); !s) return s;
  if (Status s = check_members(ctx, config); !s) return s;
  // With server.N lines the port may come from this server's ";port" (load_config checks).
  if (config.members.empty() && config.client_port == 0) {
    return Status::error(ctx.at(0) + ": clientPort is not set");
  }
  return config;
}

Status read_my_id(ServerConfig& config) {
  const std::string path = (std::filesystem::path(config.data_dir) / "myid").string();
  std::ifstream in(path);
  if (!in) {
    if (!config.is_quorum()) return Status::ok();  // a lone server.N line runs standalone
    return Status::error(path + ": cannot read myid (" + std::strerror(errno) +
                         "); it is required because " + config.source_path +
                         " lists server.N lines");
  }
  std::string first_line;
  std::getline(in, first_line);
  std::optional<int64_t> id = parse_integer(trim(first_line));
  if (!id || *id < 0 || *id > 255) {
    return Status::error(path + ": expected a server id from 0 to 255, got \"" + first_line + "\"");
  }
  auto self = std::find_if(config.members.begin(), config.members.end(),
                           [&](const QuorumMember& m) { return m.id == *id; });
  if (self == config.members.end()) {
    if (!config.is_quorum()) return Status::ok();
    return Status::error(path + ": myid " + std::to_string(*id) + " has no server." +
                         std::to_string(*id) + " line in " + config.source_path);
  }
  if (config.extended_types_enabled && *id > 254) {
    return Status::error(path + ": myid 255 is too large when extendedTypesEnabled=true "
                         "(at most 254)");
  }
  config.my_id = *id;
  if (self->role != config.peer_type) {
    config.warnings.push_back(config.source_path + ": peerType differs from server." +
                              std::to_string(*id) + "'s role; using the server.N role");
    config.peer_type = self->role;
  }
  return merge_client_address(config, *self);
}

Result<ServerConfig> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::error(path + ": cannot open config file (" + std::strerror(errno) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  Result<ServerConfig> config = parse_config(text.str(), path);
  if (!config) return config;
  if (!config->members.empty()) {
    if (Status s = read_my_id(*config); !s) return s;
  }
  if (config->client_port == 0) {
    return Status::error(path + ": clientPort is not set (neither clientPort nor a "
                         ";clientPort on this server's server.N line)");
  }
  for (const std::string& warning : config->warnings) RK_WARN("%s", warning.c_str());
  return config;
}

}  // namespace rk
