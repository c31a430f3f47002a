// Watch registration, triggering and removal. ZooKeeper keeps two managers (data and child
// watches); here one table holds a bit per WatchKind per (path, watcher) and the event type
// selects which bits fire, which is equivalent and lets one trigger() notify a watcher once.
#include "engine/watch_manager.h"

#include <algorithm>
#include <bit>

#include "base/assert.h"

namespace rk {
namespace {

constexpr uint8_t bit(WatchKind kind) { return uint8_t(1u << static_cast<uint8_t>(kind)); }

constexpr uint8_t kDataBits = bit(WatchKind::kData) | bit(WatchKind::kExist);
constexpr uint8_t kChildBit = bit(WatchKind::kChild);
constexpr uint8_t kOneShotBits = kDataBits | kChildBit;
constexpr uint8_t kPersistentBit = bit(WatchKind::kPersistent);
constexpr uint8_t kRecursiveBit = bit(WatchKind::kPersistentRecursive);
constexpr uint8_t kAllBits = kOneShotBits | kPersistentBit | kRecursiveBit;

// Which registrations on the event's own path an event type reaches. This mirrors where
// ZooKeeper's DataTree sends each event: created/changed go to the data manager, deleted to
// both, children-changed to the child manager, which holds no recursive watches.
uint8_t exact_path_bits(EventType type) {
  switch (type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      return kDataBits | kPersistentBit | kRecursiveBit;
    case EventType::kNodeDeleted:
      return kAllBits;
    case EventType::kNodeChildrenChanged:
      return kChildBit | kPersistentBit;
    default:
      RK_ASSERT(false && "trigger() takes only node events");
      return 0;
  }
}

// Bits a removeWatches/checkWatches of `type` covers; 0 for a value no client should send.
// kData covers exist watches too: ZooKeeper stores both as the same standard data watch.
uint8_t bits_for_watcher_type(WatcherType type) {
  switch (type) {
    case WatcherType::kChildren: return kChildBit;
    case WatcherType::kData: return kDataBits;
    case WatcherType::kAny: return kAllBits;
    case WatcherType::kPersistent: return kPersistentBit;
    case WatcherType::kPersistentRecursive: return kRecursiveBit;
  }
  return 0;
}

// "/a/b" -> "/a", "/a" -> "/". Only called on paths other than "/".
std::string_view parent_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? std::string_view("/")
                                                        : path.substr(0, slash);
}

}  // namespace

void WatchManager::add(std::string_view path, WatcherId watcher, WatchKind kind) {
  auto it = paths_.find(path);
  if (it == paths_.end()) it = paths_.emplace(std::string(path), PathWatches{}).first;
  uint8_t& bits = it->second.kinds[watcher];
  if (kind == WatchKind::kPersistentRecursive && !(bits & kRecursiveBit)) ++recursive_count_;
  bits |= bit(kind);

  PathSet& watched = watchers_[watcher];
  if (watched.find(path) == watched.end()) watched.emplace(path);
}

void WatchManager::trigger(std::string_view path, EventType type, std::vector<FiredWatch>& out) {
  RK_ASSERT(exact_path_bits(type) != 0);
  if (paths_.empty()) return;  // nothing watched anywhere: no path to hash
  size_t first_fired = out.size();
  fire_exact(path, type, out);
  // Recursive watches never see NodeChildrenChanged: a child's creation or deletion already
  // reaches them as NodeCreated/NodeDeleted on the child's own path.
  if (recursive_count_ > 0 && type != EventType::kNodeChildrenChanged && path != "/") {
    fire_recursive_ancestors(path, type, first_fired, out);
  }
}

void WatchManager::fire_exact(std::string_view path, EventType type,
                              std::vector<FiredWatch>& out) {
  uint8_t reached_bits = exact_path_bits(type);
  auto path_it = paths_.find(path);
  if (path_it == paths_.end()) return;

  auto& kinds = path_it->second.kinds;
  for (auto it = kinds.begin(); it != kinds.end();) {
    uint8_t& bits = it->second;
    if (!(bits & reached_bits)) {
      ++it;
      continue;
    }
    out.push_back(FiredWatch{it->first, type, std::string(path)});
    bits &= uint8_t(~(reached_bits & kOneShotBits));  // one-shot watches are used up
    if (bits != 0) {
      ++it;
      continue;
    }
    forget_path_of_watcher(it->first, path);
    it = kinds.erase(it);
  }
  if (kinds.empty()) paths_.erase(path_it);
}

void WatchManager::fire_recursive_ancestors(std::string_view path, EventType type,
                                            size_t first_fired, std::vector<FiredWatch>& out) {
  // Built on first need: most triggers find no recursive watch above them.
  std::unordered_set<WatcherId> notified;
  bool notified_ready = false;
  std::string_view ancestor = path;
  do {
    ancestor = parent_of(ancestor);
    auto path_it = paths_.find(ancestor);
    if (path_it == paths_.end()) continue;
    for (const auto& [watcher, bits] : path_it->second.kinds) {
      if (!(bits & kRecursiveBit)) continue;
      if (!notified_ready) {
        for (size_t i = first_fired; i < out.size(); ++i) notified.insert(out[i].watcher);
        notified_ready = true;
      }
      // The event names the changed node, not the watched ancestor.
      if (notified.insert(watcher).second) {
        out.push_back(FiredWatch{watcher, type, std::string(path)});
      }
    }
  } while (ancestor != "/");
}

void WatchManager::forget_path_of_watcher(WatcherId watcher, std::string_view path) {
  auto watcher_it = watchers_.find(watcher);
  RK_ASSERT(watcher_it != watchers_.end());
  auto path_it = watcher_it->second.find(path);
  RK_ASSERT(path_it != watcher_it->second.end());
  watcher_it->second.erase(path_it);
  if (watcher_it->second.empty()) watchers_.erase(watcher_it);
}

uint8_t WatchManager::clear_kinds(std::string_view path, WatcherId watcher, uint8_t kinds_mask) {
  auto path_it = paths_.find(path);
  if (path_it == paths_.end()) return 0;
  auto kind_it = path_it->second.kinds.find(watcher);
  if (kind_it == path_it->second.kinds.end()) return 0;

  uint8_t cleared = kind_it->second & kinds_mask;
  if (cleared & kRecursiveBit) --recursive_count_;
  kind_it->second &= uint8_t(~kinds_mask);
  if (kind_it->second != 0) return cleared;

  path_it->second.kinds.erase(kind_it);
  if (path_it->second.kinds.empty()) paths_.erase(path_it);
  forget_path_of_watcher(watcher, path);
  return cleared;
}

bool WatchManager::remove(std::string_view path, WatcherType type, WatcherId watcher, bool remove,
                          std::vector<FiredWatch>& removed_events) {
  uint8_t mask = bits_for_watcher_type(type);
  auto path_it = paths_.find(path);
  if (mask == 0 || path_it == paths_.end()) return false;
  auto kind_it = path_it->second.kinds.find(watcher);
  if (kind_it == path_it->second.kinds.end() || !(kind_it->second & mask)) return false;
  if (!remove) return true;

  uint8_t cleared = clear_kinds(path, watcher, mask);
  // One event per removed category, as ZooKeeper's client reports a removal.
  auto report = [&](EventType event) {
    removed_events.push_back(FiredWatch{watcher, event, std::string(path)});
  };
  if (cleared & kDataBits) report(EventType::kDataWatchRemoved);
  if (cleared & kChildBit) report(EventType::kChildWatchRemoved);
  if (cleared & (kPersistentBit | kRecursiveBit)) report(EventType::kPersistentWatchRemoved);
  return true;
}

void WatchManager::remove_watcher(WatcherId watcher) {
  auto watcher_it = watchers_.find(watcher);
  if (watcher_it == watchers_.end()) return;
  for (const std::string& path : watcher_it->second) {
    auto path_it = paths_.find(path);
    RK_ASSERT(path_it != paths_.end());
    auto kind_it = path_it->second.kinds.find(watcher);
    RK_ASSERT(kind_it != path_it->second.kinds.end());
    if (kind_it->second & kRecursiveBit) --recursive_count_;
    path_it->second.kinds.erase(kind_it);
    if (path_it->second.kinds.empty()) paths_.erase(path_it);
  }
  watchers_.erase(watcher_it);
}

size_t WatchManager::watch_count() const {
  size_t count = 0;
  for (const auto& [path, watches] : paths_) {
    for (const auto& [watcher, bits] : watches.kinds) count += std::popcount(bits);
  }
  return count;
}

size_t WatchManager::path_count() const { return paths_.size(); }

size_t WatchManager::watcher_count() const { return watchers_.size(); }

std::vector<std::pair<WatcherId, std::vector<std::string>>> WatchManager::by_watcher() const {
  std::vector<std::pair<WatcherId, std::vector<std::string>>> result;
  result.reserve(watchers_.size());
  for (const auto& [watcher, paths] : watchers_) {
    std::vector<std::string> sorted(paths.begin(), paths.end());
    std::sort(sorted.begin(), sorted.end());
    result.emplace_back(watcher, std::move(sorted));
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return result;
}

std::vector<std::pair<std::string, std::vector<WatcherId>>> WatchManager::by_path() const {
  std::vector<std::pair<std::string, std::vector<WatcherId>>> result;
  result.reserve(paths_.size());
  for (const auto& [path, watches] : paths_) {
    std::vector<WatcherId> sorted;
    sorted.reserve(watches.kinds.size());
    for (const auto& [watcher, bits] : watches.kinds) sorted.push_back(watcher);
    std::sort(sorted.begin(), sorted.end());
    result.emplace_back(path, std::move(sorted));
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return result;
}

}  // namespace rk
