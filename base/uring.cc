// Uring set-up: flag fallback, feature and opcode probe, and the wait/submit helpers.
#include "base/uring.h"

#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/log.h"

namespace rk {
namespace {

struct FlagSet {
  unsigned flags;
  const char* name;
};

// Best first. DEFER_TASKRUN needs SINGLE_ISSUER (6.1); SINGLE_ISSUER alone 6.0; COOP 5.19.
constexpr FlagSet kFlagSets[4] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN,
     "SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN"},
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, "SINGLE_ISSUER|COOP_TASKRUN"},
    {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
    {0, "no setup flags"},
};

static_assert(kFlagSets[3].flags == 0, "the last set is the flag-less fallback");

// (major, minor) of the running kernel, or (0, 0) if uname cannot be parsed.
std::pair<int, int> kernel_version() {
  utsname name{};
  int major = 0, minor = 0;
  if (uname(&name) == 0 && std::sscanf(name.release, "%d.%d", &major, &minor) == 2) {
    return {major, minor};
  }
  return {0, 0};
}

bool kernel_at_least(std::pair<int, int> have, int major, int minor) {
  return have.first > major || (have.first == major && have.second >= minor);
}

Status check_opcodes(io_uring* ring, std::span<const uint8_t> required_ops) {
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) return Status::error("io_uring opcode probe failed");
  for (uint8_t op : required_ops) {
    if (!io_uring_opcode_supported(probe, op)) {
      io_uring_free_probe(probe);
      return Status::error("io_uring opcode " + std::to_string(op) + " not supported");
    }
  }
  io_uring_free_probe(probe);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Uring>> Uring::create(const std::string& name, unsigned sq_entries,
                                             unsigned cq_entries,
                                             std::span<const uint8_t> required_ops,
                                             UringCompletions completions) {
  RK_ASSERT(cq_entries >= sq_entries);
  // COOP_TASKRUN and DEFER_TASKRUN both hold completions back until the owner enters the
  // kernel, and SINGLE_ISSUER ties the ring to the creating thread: kAtOnce wants neither.
  const std::span<const FlagSet> flag_sets =
      completions == UringCompletions::kAtOnce ? std::span<const FlagSet>(&kFlagSets[3], 1)
                                               : std::span<const FlagSet>(kFlagSets);
  std::unique_ptr<Uring> uring(new Uring());
  int rc = -EINVAL;
  const FlagSet* chosen = nullptr;
  for (const FlagSet& set : flag_sets) {
    io_uring_params params{};
    params.flags = set.flags | IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries;
    rc = io_uring_queue_init_params(sq_entries, &uring->ring_, &params);
    if (rc == 0) {
      chosen = &set;
      break;
    }
    if (rc != -EINVAL) break;  // not a flag problem: no point trying weaker sets
    RK_WARN("io_uring %s: kernel refused %s, trying a weaker set", name.c_str(), set.name);
  }
  if (chosen == nullptr) {
    return Status::error("io_uring_setup failed: " + std::string(std::strerror(-rc)) +
                         " (io_uring disabled by sysctl kernel.io_uring_disabled or seccomp?)");
  }
  uring->initialised_ = true;
  const unsigned features = uring->ring_.features;
  if (!(features & IORING_FEAT_NODROP) || !(features & IORING_FEAT_EXT_ARG)) {
    return Status::error("io_uring lacks FEAT_NODROP or FEAT_EXT_ARG (kernel older than 5.11)");
  }
  if (Status st = check_opcodes(&uring->ring_, required_ops); !st) return st;

  const auto version = kernel_version();
  uring->caps_.setup_flags = chosen->flags;
  uring->caps_.defer_taskrun = (chosen->flags & IORING_SETUP_DEFER_TASKRUN) != 0;
  uring->caps_.multishot_accept = kernel_at_least(version, 5, 19);
  uring->caps_.multishot_recv = kernel_at_least(version, 6, 0);
  RK_INFO("io_uring %s: %s, sq %u cq %u, kernel %d.%d, accept %s, recv %s", name.c_str(),
          chosen->name, sq_entries, cq_entries, version.first, version.second,
          uring->caps_.multishot_accept ? "multishot" : "one-shot (re-armed)",
          uring->caps_.multishot_recv ? "multishot" : "one-shot (re-armed)");
  return uring;
}

Uring::~Uring() {
  if (initialised_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* Uring::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe != nullptr) return sqe;
  // Full: hand the queued entries to the kernel (the only submit outside the loop's own).
  io_uring_submit(&ring_);
  sqe = io_uring_get_sqe(&ring_);
  RK_ASSERT(sqe != nullptr);
  return sqe;
}

void Uring::submit() {
  // -EBUSY / -EAGAIN (completion backlog) are retried on the next loop iteration after the
  // loop has reaped; nothing is lost because the SQEs stay queued.
  int rc = io_uring_submit_and_get_events(&ring_);
  if (rc < 0 && rc != -EBUSY && rc != -EAGAIN && rc != -EINTR) {
    RK_ERROR("io_uring_submit: %s", std::strerror(-rc));
  }
}

void Uring::submit_and_wait(int timeout_ms) {
  io_uring_cqe* cqe = nullptr;
  int rc;
  if (timeout_ms < 0) {
    rc = io_uring_submit_and_wait(&ring_, 1);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
    RK_ERROR("io_uring wait: %s", std::strerror(-rc));
  }
}

}  // namespace rk
