// Uring: one io_uring instance, set up with the best flags this kernel accepts (probed, with a
// log line saying what was chosen), plus the few ring operations our event loops need.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/status.h"

namespace rk {

// What the ring and the kernel turned out to support.
struct UringCaps {
  unsigned setup_flags = 0;       // IORING_SETUP_* actually in effect
  bool defer_taskrun = false;     // completions arrive only when we enter the kernel
  bool multishot_accept = false;  // kernel >= 5.19; otherwise re-arm a plain accept
  bool multishot_recv = false;    // kernel >= 6.0; otherwise re-arm a plain recv
};

// How completions reach the ring's owner.
enum class UringCompletions {
  // Posted when the owner enters the kernel (DEFER_TASKRUN when the kernel has it): best for
  // event loops that always block in io_uring_enter.
  kOnEnter,
  // Posted as soon as the I/O finishes, signalling a registered eventfd, without the owner
  // entering the kernel; no SINGLE_ISSUER, so the ring may be set up on another thread than
  // the one that later drives it. For rings whose owner sleeps on something else.
  kAtOnce,
};

// Owned by the thread that created it: with SINGLE_ISSUER no other thread may submit.
class Uring {
 public:
  // Tries SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN, then weaker sets, and logs the choice.
  // Fails (with the reason) if io_uring is unavailable or an opcode in required_ops or a
  // feature we rely on (NODROP, EXT_ARG) is missing. cq_entries >= sq_entries, powers of two.
  // kAtOnce uses no setup flags at all (see UringCompletions).
  static Result<std::unique_ptr<Uring>> create(
      const std::string& name, unsigned sq_entries, unsigned cq_entries,
      std::span<const uint8_t> required_ops,
      UringCompletions completions = UringCompletions::kOnEnter);
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  io_uring* raw() { return &ring_; }
  const UringCaps& caps() const { return caps_; }

  // Never null: when the submission queue is full it submits what is queued first.
  io_uring_sqe* get_sqe();
  // Submits everything queued and collects finished work, without waiting.
  void submit();
  // Submits, then blocks until at least one completion or timeout_ms (-1: no timeout).
  void submit_and_wait(int timeout_ms);

  // Calls f(const io_uring_cqe&) for up to max_cqes ready completions, then releases them.
  // f may queue new SQEs. Returns how many it handled.
  template <typename F>
  unsigned reap(unsigned max_cqes, F&& f) {
    unsigned head;
    io_uring_cqe* cqe;
    unsigned handled = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(*cqe);
      if (++handled == max_cqes) break;
    }
    io_uring_cq_advance(&ring_, handled);
    return handled;
  }

 private:
  Uring() = default;
  io_uring ring_{};
  UringCaps caps_;
  bool initialised_ = false;
};

}  // namespace rk
