// Rendering of a run's result.
#include "bench/rkbench/report.h"

#include <cstdio>
#include <string>
#include <sys/stat.h>

namespace rkbench {
namespace {

double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

double per_op_us(double seconds, uint64_t ops) { return ops ? seconds * 1e6 / ops : 0; }

struct Quantile {
  const char* name;
  double q;
};
constexpr Quantile kQuantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};

}  // namespace

uint64_t Report::error_total() const {
  uint64_t total = 0;
  for (uint64_t n : errors) total += n;
  return total;
}

const char* error_name(int code) {
  switch (code) {
    case -1: return "SystemError";
    case -4: return "ConnectionLoss";
    case -5: return "MarshallingError";
    case -6: return "Unimplemented";
    case -7: return "OperationTimeout";
    case -8: return "BadArguments";
    case -101: return "NoNode";
    case -102: return "NoAuth";
    case -103: return "BadVersion";
    case -108: return "NoChildrenForEphemerals";
    case -110: return "NodeExists";
    case -111: return "NotEmpty";
    case -112: return "SessionExpired";
    case -125: return "QuotaExceeded";
    case -127: return "ThrottledOp";
    default: return "other";
  }
}

void print_text(const Options& o, const Report& r) {
  std::printf("rkbench %s:%d  conns=%d depth=%d threads=%d  mix=%s  value=%zuB keys=%llu%s\n",
              o.host.c_str(), o.port, o.connections, o.depth, o.threads, mix_string(o).c_str(),
              o.value_bytes, static_cast<unsigned long long>(o.keys),
              o.rate_ops_s > 0 ? ("  rate=" + std::to_string(static_cast<long>(o.rate_ops_s)) +
                                  "/s (open loop)").c_str()
                               : "");
  if (!r.failure.empty()) std::printf("FAILED: %s\n", r.failure.c_str());
  if (o.setup && o.uses_keys())
    std::printf("setup     %llu keys created in %.2f s (%.0f/s), %llu errors\n",
                static_cast<unsigned long long>(r.setup_created), r.setup_s,
                r.setup_s > 0 ? r.setup_created / r.setup_s : 0.0,
                static_cast<unsigned long long>(r.setup_errors));
  if (o.setup_only) return;
  std::printf("ops       %llu in %.2f s = %.0f ops/s\n",
              static_cast<unsigned long long>(r.completed), r.window_s, r.ops_per_s());
  std::printf("latency   ");
  for (const auto& q : kQuantiles) std::printf("%s %.1f  ", q.name, us(r.latency.quantile_ns(q.q)));
  std::printf("mean %.1f us\n", r.latency.mean_ns() / 1000.0);
  std::printf("errors    ");
  if (r.error_total() == 0) std::printf("none");
  for (size_t i = 0; i < r.errors.size(); i++)
    if (r.errors[i] > 0)
      std::printf("%d %s: %llu  ", -static_cast<int>(i), error_name(-static_cast<int>(i)),
                  static_cast<unsigned long long>(r.errors[i]));
  std::printf("\n");
  std::printf("client    cpu %.2f s = %.3f us/op\n", r.client_cpu_s,
              per_op_us(r.client_cpu_s, r.completed));
  if (r.server_cpu_s >= 0)
    std::printf("server    pid %d cpu %.2f s = %.2f us/op\n", o.server_pid, r.server_cpu_s,
                per_op_us(r.server_cpu_s, r.completed));
}

bool write_json(const Options& o, const Report& r, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "{\n  \"label\": \"%s\",\n  \"host\": \"%s\", \"port\": %d,\n", o.label.c_str(),
               o.host.c_str(), o.port);
  std::fprintf(f, "  \"connections\": %d, \"depth\": %d, \"threads\": %d,\n", o.connections,
               o.depth, o.threads);
  std::fprintf(f, "  \"mix\": \"%s\", \"value_bytes\": %zu, \"keys\": %llu, \"rate_ops_s\": %.1f,\n",
               mix_string(o).c_str(), o.value_bytes, static_cast<unsigned long long>(o.keys),
               o.rate_ops_s);
  std::fprintf(f, "  \"setup_created\": %llu, \"setup_errors\": %llu, \"setup_s\": %.3f,\n",
               static_cast<unsigned long long>(r.setup_created),
               static_cast<unsigned long long>(r.setup_errors), r.setup_s);
  std::fprintf(f, "  \"ops\": %llu, \"window_s\": %.3f, \"ops_per_s\": %.1f,\n",
               static_cast<unsigned long long>(r.completed), r.window_s, r.ops_per_s());
  std::fprintf(f, "  \"latency_us\": {");
  for (const auto& q : kQuantiles)
    std::fprintf(f, "\"%s\": %.1f, ", q.name, us(r.latency.quantile_ns(q.q)));
  std::fprintf(f, "\"mean\": %.1f},\n", r.latency.mean_ns() / 1000.0);
  std::fprintf(f, "  \"errors\": {");
  bool first = true;
  for (size_t i = 0; i < r.errors.size(); i++) {
    if (r.errors[i] == 0) continue;
    std::fprintf(f, "%s\"%d\": %llu", first ? "" : ", ", -static_cast<int>(i),
                 static_cast<unsigned long long>(r.errors[i]));
    first = false;
  }
  std::fprintf(f, "},\n  \"lost\": %llu,\n", static_cast<unsigned long long>(r.lost));
  std::fprintf(f, "  \"client_cpu_s\": %.3f, \"client_cpu_us_per_op\": %.4f,\n", r.client_cpu_s,
               per_op_us(r.client_cpu_s, r.completed));
  if (r.server_cpu_s >= 0)
    std::fprintf(f, "  \"server_pid\": %d, \"server_cpu_s\": %.3f, \"server_cpu_us_per_op\": %.3f,\n",
                 o.server_pid, r.server_cpu_s, per_op_us(r.server_cpu_s, r.completed));
  std::fprintf(f, "  \"failure\": \"%s\"\n}\n", r.failure.c_str());
  return std::fclose(f) == 0;
}

bool append_csv(const Options& o, const Report& r, const std::string& path) {
  struct stat st;
  bool fresh = ::stat(path.c_str(), &st) != 0 || st.st_size == 0;
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return false;
  if (fresh)
    std::fprintf(f, "label,mix,value_bytes,connections,depth,rate_ops_s,ops,window_s,ops_per_s,"
                    "p50_us,p90_us,p99_us,p999_us,max_us,errors,client_cpu_us_per_op,"
                    "server_cpu_us_per_op,setup_created,setup_s\n");
  std::string mix = mix_string(o);  // commas would split the CSV field
  for (char& ch : mix) if (ch == ',') ch = ';';
  std::fprintf(f, "%s,%s,%zu,%d,%d,%.1f,%llu,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%llu,%.4f,%.3f,%llu,%.3f\n",
               o.label.c_str(), mix.c_str(), o.value_bytes, o.connections, o.depth,
               o.rate_ops_s, static_cast<unsigned long long>(r.completed), r.window_s,
               r.ops_per_s(), us(r.latency.quantile_ns(0.5)), us(r.latency.quantile_ns(0.9)),
               us(r.latency.quantile_ns(0.99)), us(r.latency.quantile_ns(0.999)),
               us(r.latency.max_ns()), static_cast<unsigned long long>(r.error_total()),
               per_op_us(r.client_cpu_s, r.completed),
               r.server_cpu_s >= 0 ? per_op_us(r.server_cpu_s, r.completed) : -1.0,
               static_cast<unsigned long long>(r.setup_created), r.setup_s);
  return std::fclose(f) == 0;
}

}  // namespace rkbench
