// Fault point registry and the RINGKEEPER_FAULTS parser.
#include "base/fault.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <deque>

#include "base/log.h"

namespace rk {
namespace {

struct Registry {
  std::mutex mutex;
  std::deque<FaultPoint> points;  // a deque never moves its elements: references stay valid
};

Registry& registry() {
  static Registry instance;
  return instance;
}

FaultPoint& find_or_add(std::string_view name) {
  Registry& reg = registry();
  std::lock_guard lock(reg.mutex);
  for (FaultPoint& point : reg.points) {
    if (point.name() == name) return point;
  }
  return reg.points.emplace_back(std::string(name));
}

bool parse_errno(std::string_view text, int& err) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"eio", EIO},       {"enospc", ENOSPC}, {"edquot", EDQUOT},
      {"erofs", EROFS},   {"eagain", EAGAIN}, {"eintr", EINTR},
  };
  for (const auto& [name, value] : kNames) {
    if (text == name) {
      err = value;
      return true;
    }
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), err);
  return ec == std::errc() && end == text.data() + text.size() && err > 0;
}

Status arm_one(std::string_view item) {
  const size_t eq = item.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::error("fault spec '" + std::string(item) + "': expected <point>=<errno>");
  }
  std::string_view name = item.substr(0, eq);
  std::string_view rest = item.substr(eq + 1);
  std::string_view trigger;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    trigger = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  int err = 0;
  if (!parse_errno(rest, err)) {
    return Status::error("fault spec '" + std::string(item) + "': unknown errno");
  }
  FaultPoint::Mode mode = FaultPoint::Mode::kAlways;
  uint64_t after_hits = 0;
  std::string file;
  if (trigger.starts_with("after:")) {
    std::string_view n = trigger.substr(6);
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), after_hits);
    if (ec != std::errc() || end != n.data() + n.size()) {
      return Status::error("fault spec '" + std::string(item) + "': bad after:<n>");
    }
    mode = FaultPoint::Mode::kAfter;
  } else if (trigger.starts_with("while-file:") && trigger.size() > 11) {
    file = std::string(trigger.substr(11));
    mode = FaultPoint::Mode::kWhileFile;
  } else if (!trigger.empty()) {
    return Status::error("fault spec '" + std::string(item) + "': unknown trigger");
  }
  find_or_add(name).arm(err, mode, after_hits, std::move(file));
  RK_WARN("fault point %.*s armed: %.*s", static_cast<int>(name.size()), name.data(),
          static_cast<int>(item.size() - eq - 1), item.data() + eq + 1);
  return Status::ok();
}

void arm_from_environment() {
  const char* spec = std::getenv("RINGKEEPER_FAULTS");
  if (spec == nullptr || *spec == '\0') return;
  if (Status st = arm_faults(spec); !st) RK_ERROR("RINGKEEPER_FAULTS ignored: %s", st.message().c_str());
}

}  // namespace

void FaultPoint::arm(int err, Mode mode, uint64_t after_hits, std::string file) {
  std::lock_guard lock(mutex_);
  err_ = err;
  mode_ = mode;
  after_hits_ = after_hits;
  hits_ = 0;
  file_ = std::move(file);
  armed_.store(true, std::memory_order_relaxed);
}

void FaultPoint::disarm() {
  std::lock_guard lock(mutex_);
  armed_.store(false, std::memory_order_relaxed);
}

int FaultPoint::check_armed() {
  std::lock_guard lock(mutex_);
  if (!armed_.load(std::memory_order_relaxed)) return 0;
  switch (mode_) {
    case Mode::kAlways:
      return err_;
    case Mode::kAfter:
      return ++hits_ > after_hits_ ? err_ : 0;
    case Mode::kWhileFile:
      return access(file_.c_str(), F_OK) == 0 ? err_ : 0;
  }
  return 0;
}

FaultPoint& fault_point(std::string_view name) {
  static std::once_flag environment_read;
  std::call_once(environment_read, arm_from_environment);
  return find_or_add(name);
}

Status arm_faults(std::string_view spec) {
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    if (Status st = arm_one(item); !st) return st;
  }
  return Status::ok();
}

void disarm_fault(std::string_view name) { find_or_add(name).disarm(); }

void disarm_all_faults() {
  Registry& reg = registry();
  std::lock_guard lock(reg.mutex);
  for (FaultPoint& point : reg.points) point.disarm();
}

}  // namespace rk
