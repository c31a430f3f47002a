// Command-line settings of the load generator, parsed and checked once at start-up.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace rkbench {

// The operations a workload mixes, in the order of --mix weights.
enum class MixOp : uint8_t { kCreate, kSetData, kGetData, kExists, kGetChildren, kDelete, kMulti };
inline constexpr size_t kMixOpCount = 7;
const char* mix_op_name(MixOp op);

struct Options {
  std::string host = "127.0.0.1";
  int port = 2181;
  int connections = 16;
  int depth = 32;            // outstanding requests per connection
  int threads = 1;
  double duration_s = 10.0;  // measured window (after warm-up)
  double warmup_s = 2.0;
  uint64_t ops_max = 0;      // 0: no bound other than the duration
  std::array<uint32_t, kMixOpCount> weights{};  // by MixOp
  size_t value_bytes = 100;
  uint64_t keys = 1000;          // /rkbench/k0 .. k<keys-1>
  bool setup = true;             // pre-create the keys before the run
  bool setup_only = false;       // create the keys, report, exit
  bool sequential = false;       // create with the SEQUENTIAL flag
  bool ephemeral = false;        // create with the EPHEMERAL flag
  int multi_ops = 4;             // sub-operations per multi
  bool multi_create = false;     // multi of creates instead of setData
  double rate_ops_s = 0;         // > 0: open loop at this offered rate
  int session_timeout_ms = 30000;
  int server_pid = 0;
  std::string json_path;
  std::string csv_path;
  std::string label;
  bool quiet = false;
  std::string tag;  // makes this run's created names unique

  uint32_t weight_total() const;
  bool uses_keys() const;
};

// Parses argv; prints usage and exits on --help or a bad argument.
Options parse_options(int argc, char** argv);
std::string mix_string(const Options& options);

}  // namespace rkbench
