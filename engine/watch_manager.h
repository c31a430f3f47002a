// Watches: one-shot data/exist/child watches and persistent (recursive) watches, keyed by
// path, owned by a watcher (one client connection). Owned by the engine core thread.
//
// Semantics follow ZooKeeper's WatchManager:
// - trigger(path, type) fires the one-shot watches the event type selects on that exact
//   path and removes them, fires persistent watches on the path, and fires persistent-
//   recursive watches on the path and every ancestor (except for kNodeChildrenChanged, which
//   recursive watches never receive). Each watcher is notified at most once per trigger().
// - kNodeCreated, kNodeDataChanged fire data (and exist) watches; kNodeDeleted fires data,
//   exist and child watches; kNodeChildrenChanged fires child watches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/types.h"

namespace rk {

using WatcherId = uint64_t;

struct FiredWatch {
  WatcherId watcher;
  EventType type;
  std::string path;
};

enum class WatchKind : uint8_t {
  kData = 0,        // getData / exists on an existing node
  kExist = 1,       // exists on a missing node (fires on create)
  kChild = 2,       // getChildren
  kPersistent = 3,
  kPersistentRecursive = 4,
};

class WatchManager {
 public:
  void add(std::string_view path, WatcherId watcher, WatchKind kind);

  // Appends to `out` the watchers notified of `type` on `path`; one-shot ones are removed.
  void trigger(std::string_view path, EventType type, std::vector<FiredWatch>& out);

  // removeWatches / checkWatches for one watcher on one path. `type` is kChildren, kData,
  // kAny, kPersistent or kPersistentRecursive. Returns whether such a watch exists; removes
  // it when `remove`. For each removed watch appends the event the client must receive
  // (kDataWatchRemoved, kChildWatchRemoved, kPersistentWatchRemoved) to `removed_events`.
  bool remove(std::string_view path, WatcherType type, WatcherId watcher, bool remove,
              std::vector<FiredWatch>& removed_events);

  // A connection is gone: drop every watch it holds.
  void remove_watcher(WatcherId watcher);

  // For the four-letter words.
  size_t watch_count() const;     // total (path, watcher, kind) registrations
  size_t path_count() const;      // distinct watched paths
  size_t watcher_count() const;   // distinct watchers
  // wchc: watcher -> paths; wchp: path -> watchers. Sorted for stable output.
  std::vector<std::pair<WatcherId, std::vector<std::string>>> by_watcher() const;
  std::vector<std::pair<std::string, std::vector<WatcherId>>> by_path() const;

 private:
  // Implementation detail: per-kind maps path -> set of watchers, plus a reverse index
  // watcher -> (path, kind) for remove_watcher().
  struct PathWatches {
    std::unordered_map<WatcherId, uint8_t> kinds;  // bit per WatchKind
  };
  std::unordered_map<std::string, PathWatches> paths_;
  std::unordered_map<WatcherId, std::unordered_set<std::string>> watchers_;
  size_t recursive_count_ = 0;  // skip the ancestor walk when no recursive watch exists
};

}  // namespace rk
