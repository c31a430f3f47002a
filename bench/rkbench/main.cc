// rkbench: a pipelined load generator speaking the ZooKeeper client protocol. Creates the
// parent nodes, starts the workers, samples CPU time (its own and the server's) around the
// measured window, merges and reports.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "bench/rkbench/connection.h"
#include "bench/rkbench/options.h"
#include "bench/rkbench/report.h"
#include "bench/rkbench/worker.h"

namespace rkbench {
namespace {

double own_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of every thread of `pid`, from /proc/PID/stat fields 14 and 15; < 0 if
// the process cannot be read.
double process_cpu_s(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; i++) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Creates /rkbench and /rkbench/c (NodeExists is fine) on a session of its own.
std::string create_parents(const Options& o) {
  Connection c(-1, 1);
  std::string error = c.open(o.host, o.port, o.session_timeout_ms);
  if (!error.empty()) return error;
  int32_t xid = 1;
  for (const char* path : {"/rkbench", "/rkbench/c"}) {
    encode_create(xid++, path, "", 0, c.out_);
    int32_t err = c.call_blocking();
    if (err != 0 && err != -110) return std::string("create ") + path + ": error " + std::to_string(err);
  }
  encode_header_only(xid, Op::kCloseSession, c.out_);
  c.call_blocking();
  return {};
}


void sleep_until_ns(int64_t deadline_ns) {
  int64_t left = deadline_ns - now_ns();
  if (left > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(left));
}

int run(const Options& o) {
  Report report;
  if (std::string error = create_parents(o); !error.empty()) {
    std::fprintf(stderr, "rkbench: %s:%d: %s\n", o.host.c_str(), o.port, error.c_str());
    return 1;
  }
  RunClock clock(o.threads, static_cast<int64_t>(o.warmup_s * 1e9),
                 static_cast<int64_t>(o.duration_s * 1e9));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; t++) {
    int first = o.connections * t / o.threads;
    int last = o.connections * (t + 1) / o.threads;
    workers.push_back(std::make_unique<Worker>(o, t, first, last - first, clock));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  // Sample at the start of the measured window, then once every worker has drained.
  clock.load_started.wait(false);
  sleep_until_ns(clock.measure_start_ns);
  double client_cpu_start = own_cpu_s();
  double server_cpu_start = o.server_pid > 0 ? process_cpu_s(o.server_pid) : -1;
  for (int drained = clock.drained.load(); drained < o.threads; drained = clock.drained.load())
    clock.drained.wait(drained);
  report.client_cpu_s = own_cpu_s() - client_cpu_start;
  if (server_cpu_start >= 0) {
    double end = process_cpu_s(o.server_pid);
    report.server_cpu_s = end >= 0 ? end - server_cpu_start : -1;
  }
  clock.close_now = true;
  for (auto& t : threads) t.join();

  report.errors.assign(kErrorCodesMax + 1, 0);
  int64_t last_ns = 0;
  for (auto& w : workers) {
    WorkerResult& r = w->result();
    report.latency.merge(r.latency);
    report.completed += r.completed;
    for (size_t i = 0; i < r.errors.size(); i++) report.errors[i] += r.errors[i];
    report.lost += r.lost;
    report.setup_created += r.setup_created;
    report.setup_errors += r.setup_errors;
    last_ns = std::max(last_ns, r.last_completion_ns);
    if (!r.failure.empty() && report.failure.empty()) report.failure = r.failure;
  }
  report.setup_s = (clock.setup_end_ns - clock.setup_start_ns) / 1e9;
  report.window_s = last_ns > clock.measure_start_ns ? (last_ns - clock.measure_start_ns) / 1e9 : 0;

  if (!o.quiet) print_text(o, report);
  if (!o.json_path.empty() && !write_json(o, report, o.json_path))
    std::fprintf(stderr, "rkbench: cannot write %s\n", o.json_path.c_str());
  if (!o.csv_path.empty() && !append_csv(o, report, o.csv_path))
    std::fprintf(stderr, "rkbench: cannot write %s\n", o.csv_path.c_str());
  if (!report.failure.empty()) {
    std::fprintf(stderr, "rkbench: %s\n", report.failure.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rkbench

int main(int argc, char** argv) { return rkbench::run(rkbench::parse_options(argc, argv)); }
