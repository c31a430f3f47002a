// Doorbell: an eventfd plus a `sleeping` flag; see doorbell.h for the protocol.
#include "base/doorbell.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rk {

Doorbell::~Doorbell() {
  if (fd_ >= 0) ::close(fd_);
}

Status Doorbell::open() {
  RK_ASSERT(fd_ < 0);
  fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) return Status::error(std::string("eventfd: ") + std::strerror(errno));
  return Status::ok();
}

void Doorbell::prepare_sleep() {
  sleeping_.store(true, std::memory_order_seq_cst);
  // Orders the store above before the caller's re-check of its queues (store-load).
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool Doorbell::wait(int timeout_ms) {
  RK_ASSERT(fd_ >= 0);
  pollfd pfd{fd_, POLLIN, 0};
  int n = ::poll(&pfd, 1, timeout_ms);
  if (n <= 0) return false;  // timeout, or EINTR: the caller re-checks and sleeps again
  return consume();
}

bool Doorbell::consume() {
  uint64_t count = 0;
  return ::read(fd_, &count, sizeof(count)) == sizeof(count);
}

bool Doorbell::ring() {
  // Orders the caller's publish before the load of `sleeping` (store-load).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!sleeping_.load(std::memory_order_relaxed)) return false;
  // Several producers may see `sleeping`: only the one that clears it writes.
  if (!sleeping_.exchange(false, std::memory_order_acq_rel)) return false;
  ring_always();
  return true;
}

void Doorbell::ring_always() {
  RK_ASSERT(fd_ >= 0);
  uint64_t one = 1;
  // Only EAGAIN (counter at its maximum) can fail here, and then it is already readable.
  ssize_t ignored = ::write(fd_, &one, sizeof(one));
  (void)ignored;
}

}  // namespace rk
