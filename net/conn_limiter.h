// ConnLimiter: counts open client connections per client IP across all reactors, for
// ZooKeeper's maxClientCnxns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rk {

// Shared by every reactor of a server; any thread. A mutex is fine: it is taken on accept and
// close only, never per request.
class ConnLimiter {
 public:
  // max_per_ip: ZooKeeper's maxClientCnxns; 0 = no limit.
  explicit ConnLimiter(int32_t max_per_ip = 0) : max_per_ip_(max_per_ip) {}
  int32_t max_per_ip() const { return max_per_ip_; }

  // Counts one more connection from `ip` unless that would exceed the limit.
  bool try_acquire(std::string_view ip);
  // Undoes one successful try_acquire().
  void release(std::string_view ip);
  size_t count(std::string_view ip) const;

 private:
  const int32_t max_per_ip_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> open_by_ip_;
};

}  // namespace rk
