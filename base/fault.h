// Named fault points: places in the I/O paths where a test (or an operator, through the
// environment) can make a syscall or a completion fail with a chosen errno. Disarmed, a check
// is one relaxed atomic load.
//
// Spec syntax (RINGKEEPER_FAULTS at process start, or arm_faults() in tests), comma-separated:
//   <point>=<errno>                       every hit fails
//   <point>=<errno>@after:<n>             the first n hits pass, every later hit fails
//   <point>=<errno>@while-file:<path>     hits fail while <path> exists
//   <errno> is eio, enospc, edquot, erofs, eagain, eintr, or a number.
// Example: RINGKEEPER_FAULTS=wal.datasync=eio@after:200,wal.prepare_segment=enospc
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rk {

// One named point. Lives for the whole process (a registry owns it); any thread may check it.
class FaultPoint {
 public:
  explicit FaultPoint(std::string name) : name_(std::move(name)) {}

  // 0 when the point does not fire, otherwise the errno to inject (positive).
  int check() {
    if (!armed_.load(std::memory_order_relaxed)) [[likely]] return 0;
    return check_armed();
  }
  const std::string& name() const { return name_; }

  enum class Mode { kAlways, kAfter, kWhileFile };
  void arm(int err, Mode mode, uint64_t after_hits, std::string file);
  void disarm();

 private:
  int check_armed();

  const std::string name_;
  std::atomic<bool> armed_{false};
  std::mutex mutex_;  // guards the rest; taken only while armed
  int err_ = 0;
  Mode mode_ = Mode::kAlways;
  uint64_t after_hits_ = 0;
  uint64_t hits_ = 0;
  std::string file_;
};

// The point with this name (created on first use). The first call also arms points from
// RINGKEEPER_FAULTS. Call sites keep the reference: `static FaultPoint& f = fault_point(..)`.
FaultPoint& fault_point(std::string_view name);

// Arms points from a spec (syntax above). Unknown errno names or bad syntax are an error.
Status arm_faults(std::string_view spec);
void disarm_fault(std::string_view name);
void disarm_all_faults();

}  // namespace rk
