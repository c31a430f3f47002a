// Doorbell: wakes a consumer thread that went to sleep on an eventfd, ringing only when the
// consumer said it sleeps. The data travels in an SpscRing; this only carries "look again".
#pragma once

#include <atomic>
#include <cstdint>

#include "base/status.h"

namespace rk {

// The consumer (owner) sleeps; any number of producer threads may ring().
//
// Lost-wakeup-free protocol:
//   consumer: prepare_sleep(); if (its queues are non-empty || it must stop) cancel_sleep();
//             else { block: wait(timeout_ms), or a read of fd() armed in an io_uring;
//                    then cancel_sleep(); }
//   producer: publish into the queue (release); ring();
// prepare_sleep() and ring() each put a seq_cst fence between their store and their load, so
// either the consumer's re-check sees the item or the producer sees `sleeping` and writes.
// A write that races with cancel_sleep() leaves a count in the eventfd: the next wait returns
// at once (a spurious wakeup, never a lost one).
class Doorbell {
 public:
  Doorbell() = default;
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Creates the eventfd (non-blocking, close-on-exec).
  Status open();
  int fd() const { return fd_; }

  // Consumer side.
  void prepare_sleep();
  void cancel_sleep() { sleeping_.store(false, std::memory_order_relaxed); }
  // Blocks until rung or timeout_ms passes (-1: no timeout), without io_uring. Returns true
  // if it was rung (the count is consumed). Call between prepare_sleep() and cancel_sleep().
  bool wait(int timeout_ms);
  // Consumes a pending count without blocking; true if there was one.
  bool consume();

  // Producer side, any thread: writes the eventfd only if the consumer sleeps, at most once
  // per sleep. Returns true if it wrote.
  bool ring();
  // Writes unconditionally (shutdown paths, tests).
  void ring_always();

 private:
  int fd_ = -1;
  std::atomic<bool> sleeping_{false};
};

}  // namespace rk
