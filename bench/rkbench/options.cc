// Parsing of the load generator's command line.
#include "bench/rkbench/options.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

namespace rkbench {
namespace {

constexpr const char* kMixNames[kMixOpCount] = {"create", "set", "get", "exists",
                                                "children", "delete", "multi"};

const char* const kUsage =
    "usage: rkbench [options]\n"
    "  --host H              server address (127.0.0.1)\n"
    "  --port P              client port (2181)\n"
    "  --connections N       sessions (16)\n"
    "  --depth M             outstanding requests per connection (32)\n"
    "  --threads T           worker threads, connections spread over them (1)\n"
    "  --duration S          measured seconds (10)\n"
    "  --warmup S            seconds run before measuring (2)\n"
    "  --ops N               stop after N measured operations (0: duration only)\n"
    "  --mix OP=W,...        weights of create,set,get,exists,children,delete,multi\n"
    "                        (create=1); e.g. get=90,set=10\n"
    "  --value-size B        bytes written by create/set (100)\n"
    "  --keys K              key space /rkbench/k0..k<K-1> for set/get/exists/children (1000)\n"
    "  --no-setup            do not pre-create the keys\n"
    "  --setup-only          pre-create the keys, report the load rate, exit\n"
    "  --sequential          create with the SEQUENTIAL flag\n"
    "  --ephemeral           create with the EPHEMERAL flag\n"
    "  --multi-ops K         sub-operations per multi (4)\n"
    "  --multi-create        multi of creates (default: multi of setData on keys)\n"
    "  --rate R              open loop: offer R ops/s in total, latency from schedule\n"
    "  --session-timeout MS  requested session timeout (30000)\n"
    "  --server-pid PID      report the server's CPU time per op (/proc/PID/stat)\n"
    "  --json FILE           write the result as JSON\n"
    "  --csv FILE            append the result as a CSV line (header if the file is new)\n"
    "  --label TEXT          a label carried into the JSON/CSV output\n"
    "  --quiet               no text report\n";

[[noreturn]] void usage_error(const char* what, const char* arg) {
  std::fprintf(stderr, "rkbench: %s%s%s\n%s", what, arg ? ": " : "", arg ? arg : "", kUsage);
  std::exit(2);
}

double to_double(const char* text, const char* flag) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || v < 0) usage_error("bad number for", flag);
  return v;
}

uint64_t to_u64(const char* text, const char* flag) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage_error("bad integer for", flag);
  return v;
}

void parse_mix(std::string_view text, Options& o) {
  o.weights.fill(0);
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t eq = item.find_first_of("=:");
    if (eq == std::string_view::npos) usage_error("mix item needs OP=WEIGHT", nullptr);
    std::string_view name = item.substr(0, eq);
    std::string weight(item.substr(eq + 1));
    size_t i = 0;
    while (i < kMixOpCount && name != kMixNames[i]) i++;
    if (i == kMixOpCount) usage_error("unknown op in --mix", std::string(name).c_str());
    o.weights[i] = static_cast<uint32_t>(to_u64(weight.c_str(), "--mix"));
  }
}

void check(const Options& o) {
  if (o.connections < 1 || o.depth < 1 || o.threads < 1) usage_error("counts must be >= 1", nullptr);
  if (o.threads > o.connections) usage_error("more threads than connections", nullptr);
  if (o.weight_total() == 0 && !o.setup_only) usage_error("--mix has no positive weight", nullptr);
  if (o.duration_s <= 0 && o.ops_max == 0) usage_error("need --duration or --ops", nullptr);
  if (o.value_bytes > 1000000) usage_error("--value-size above jute.maxbuffer", nullptr);
  if (o.keys == 0 && o.uses_keys()) usage_error("--keys must be >= 1", nullptr);
  if (o.multi_ops < 1 || o.multi_ops > 1000) usage_error("--multi-ops out of 1..1000", nullptr);
  // Sequential names are chosen by the server; delete would need them read back.
  if (o.sequential && o.weights[static_cast<size_t>(MixOp::kDelete)] > 0)
    usage_error("--sequential cannot be combined with delete", nullptr);
}

}  // namespace

const char* mix_op_name(MixOp op) { return kMixNames[static_cast<size_t>(op)]; }

uint32_t Options::weight_total() const {
  uint32_t total = 0;
  for (uint32_t w : weights) total += w;
  return total;
}

bool Options::uses_keys() const {
  auto w = [&](MixOp op) { return weights[static_cast<size_t>(op)] > 0; };
  return setup_only || w(MixOp::kSetData) || w(MixOp::kGetData) || w(MixOp::kExists) ||
         w(MixOp::kGetChildren) || (w(MixOp::kMulti) && !multi_create);
}

std::string mix_string(const Options& o) {
  std::string out;
  for (size_t i = 0; i < kMixOpCount; i++) {
    if (o.weights[i] == 0) continue;
    if (!out.empty()) out += ',';
    out += kMixNames[i];
    out += '=';
    out += std::to_string(o.weights[i]);
  }
  return out;
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.weights[static_cast<size_t>(MixOp::kCreate)] = 1;
  for (int i = 1; i < argc; i++) {
    std::string_view flag = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error("missing value for", argv[i]);
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") { std::fputs(kUsage, stdout); std::exit(0); }
    else if (flag == "--host") o.host = value();
    else if (flag == "--port") o.port = static_cast<int>(to_u64(value(), "--port"));
    else if (flag == "--connections") o.connections = static_cast<int>(to_u64(value(), "--connections"));
    else if (flag == "--depth") o.depth = static_cast<int>(to_u64(value(), "--depth"));
    else if (flag == "--threads") o.threads = static_cast<int>(to_u64(value(), "--threads"));
    else if (flag == "--duration") o.duration_s = to_double(value(), "--duration");
    else if (flag == "--warmup") o.warmup_s = to_double(value(), "--warmup");
    else if (flag == "--ops") o.ops_max = to_u64(value(), "--ops");
    else if (flag == "--mix") parse_mix(value(), o);
    else if (flag == "--value-size") o.value_bytes = to_u64(value(), "--value-size");
    else if (flag == "--keys") o.keys = to_u64(value(), "--keys");
    else if (flag == "--no-setup") o.setup = false;
    else if (flag == "--setup-only") o.setup_only = true;
    else if (flag == "--sequential") o.sequential = true;
    else if (flag == "--ephemeral") o.ephemeral = true;
    else if (flag == "--multi-ops") o.multi_ops = static_cast<int>(to_u64(value(), "--multi-ops"));
    else if (flag == "--multi-create") o.multi_create = true;
    else if (flag == "--rate") o.rate_ops_s = to_double(value(), "--rate");
    else if (flag == "--session-timeout") o.session_timeout_ms = static_cast<int>(to_u64(value(), "--session-timeout"));
    else if (flag == "--server-pid") o.server_pid = static_cast<int>(to_u64(value(), "--server-pid"));
    else if (flag == "--json") o.json_path = value();
    else if (flag == "--csv") o.csv_path = value();
    else if (flag == "--label") o.label = value();
    else if (flag == "--quiet") o.quiet = true;
    else usage_error("unknown option", argv[i]);
  }
  if (o.setup_only) o.setup = true;
  check(o);
  char tag[32];
  std::snprintf(tag, sizeof tag, "%x%x", static_cast<unsigned>(::getpid()),
                static_cast<unsigned>(std::time(nullptr) & 0xfffff));
  o.tag = tag;
  return o;
}

}  // namespace rkbench
