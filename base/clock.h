// Time sources. The engine never reads a clock itself: the owner of the engine passes the
// time in, so tests and simulations control it.
#pragma once

#include <cstdint>
#include <ctime>

namespace rk {

// Wall-clock milliseconds since the epoch (ZooKeeper's ctime/mtime).
inline int64_t wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// Monotonic milliseconds (session expiry, timeouts).
inline int64_t mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

inline int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace rk
