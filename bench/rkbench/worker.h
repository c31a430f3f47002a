// A worker thread: owns a share of the connections and one epoll instance, and runs the
// phases of a benchmark over them: key set-up, load (closed or open loop), session close.
#pragma once

#include <array>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/rkbench/connection.h"
#include "bench/rkbench/histogram.h"
#include "bench/rkbench/options.h"

namespace rkbench {

int64_t now_ns();

// Error codes are counted for -kErrorCodesMax < code <= 0; anything else in the last slot.
inline constexpr int kErrorCodesMax = 130;

// What one worker measured. Merged by the main thread.
struct WorkerResult {
  Histogram latency;
  uint64_t completed = 0;                  // replies in the measured window (any err)
  std::vector<uint64_t> errors = std::vector<uint64_t>(kErrorCodesMax + 1, 0);  // by -code
  uint64_t lost = 0;                        // requests on connections that failed
  uint64_t setup_created = 0;
  uint64_t setup_errors = 0;
  int64_t last_completion_ns = 0;
  std::string failure;                      // a connection could not be opened
};

struct RunClock;
// Barrier completions: the last worker to arrive stamps the phase times for everyone.
struct MarkSetupStart {
  RunClock* clock;
  void operator()() noexcept;
};
struct MarkLoadStart {
  RunClock* clock;
  void operator()() noexcept;
};

// State shared by the workers and the main thread; times are CLOCK_MONOTONIC ns.
struct RunClock {
  RunClock(int workers, int64_t warmup_ns, int64_t duration_ns);
  const int64_t warmup_ns;
  const int64_t duration_ns;  // 0: bounded by the op count only
  std::atomic<int64_t> setup_start_ns{0};
  std::atomic<int64_t> setup_end_ns{0};
  std::atomic<int64_t> measure_start_ns{0};
  std::atomic<int64_t> measure_end_ns{0};  // no new request is issued from here on
  std::atomic<int> drained{0};             // workers done with the load phase
  std::atomic<bool> close_now{false};      // main thread has sampled; close sessions
  std::atomic<bool> load_started{false};
  std::barrier<MarkSetupStart> ready;      // every session open
  std::barrier<MarkLoadStart> setup_done;  // every key created
};

class Worker {
 public:
  Worker(const Options& options, int index, int first_conn, int conn_count, RunClock& clock);
  ~Worker();
  void run();
  WorkerResult& result() { return result_; }

 private:
  enum class Phase { kSetup, kLoad, kClose };

  bool open_all();
  // Runs one phase until it issues nothing more and every answer is in (or the drain
  // deadline passes).
  void pump(Phase phase);
  // Issues what the phase allows on `c` at `now` (closed loop: up to depth; open loop: up to
  // depth of the sends due). Returns the requests issued.
  size_t refill(Phase phase, Connection& c, int64_t now);
  void issue_setup(Connection& c, int64_t now);
  void issue_load(Connection& c, int64_t start_ns);
  void read_replies(Phase phase, Connection& c);
  void complete(Phase phase, Connection& c, const ReplyHeader& h, int64_t now);
  void fail(Connection& c);
  void send_pings(int64_t now);
  bool phase_exhausted(Phase phase, int64_t now) const;
  std::string_view key_path(uint64_t key);
  std::string_view create_path(const Connection& c, uint64_t n);
  uint64_t next_random() {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }

  const Options& options_;
  int index_;
  RunClock& clock_;
  std::vector<std::unique_ptr<Connection>> conns_;
  int epoll_fd_ = -1;
  WorkerResult result_;
  std::string value_;
  std::array<uint32_t, kMixOpCount> cumulative_{};
  uint64_t rng_;
  size_t in_flight_ = 0;
  uint64_t setup_next_key_ = 0;
  uint64_t setup_end_key_ = 0;
  uint64_t measured_issued_ = 0;
  uint64_t measured_quota_ = 0;  // 0: unbounded
  int64_t open_interval_ns_ = 0;
  int64_t next_ping_check_ns_ = 0;
  std::vector<uint64_t> multi_keys_;
  std::string create_prefix_;
  char key_buf_[64];
  char create_buf_[160];
};

}  // namespace rkbench
