// ConnLimiter: per-IP connection counts under one mutex.
#include "net/conn_limiter.h"

#include "base/assert.h"

namespace rk {

bool ConnLimiter::try_acquire(std::string_view ip) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = open_by_ip_.try_emplace(std::string(ip), 0);
  if (max_per_ip_ > 0 && it->second >= static_cast<size_t>(max_per_ip_)) return false;
  ++it->second;
  return true;
}

void ConnLimiter::release(std::string_view ip) {
  std::lock_guard lock(mutex_);
  auto it = open_by_ip_.find(std::string(ip));
  RK_ASSERT(it != open_by_ip_.end() && it->second > 0);
  if (--it->second == 0) open_by_ip_.erase(it);
}

size_t ConnLimiter::count(std::string_view ip) const {
  std::lock_guard lock(mutex_);
  auto it = open_by_ip_.find(std::string(ip));
  return it == open_by_ip_.end() ? 0 : it->second;
}

}  // namespace rk
