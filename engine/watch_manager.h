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
#include <functional>
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
  // Lets the maps be probed with a string_view (the ancestor walk) without building strings.
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };
  using PathSet = std::unordered_set<std::string, PathHash, std::equal_to<>>;

  // Per path: watcher -> bit per WatchKind. A (path, watcher) entry exists iff its bits != 0,
  // and then the path is also in watchers_[watcher] (the reverse index for remove_watcher()).
  struct PathWatches {
    std::unordered_map<WatcherId, uint8_t> kinds;  // bit per WatchKind
  };

  void fire_exact(std::string_view path, EventType type, std::vector<FiredWatch>& out);
  // Notifies recursive watchers on the ancestors of `path`, skipping watchers already in
  // out[first_fired..].
  void fire_recursive_ancestors(std::string_view path, EventType type, size_t first_fired,
                                std::vector<FiredWatch>& out);
  void forget_path_of_watcher(WatcherId watcher, std::string_view path);
  // Clears `kinds_mask` bits of (path, watcher); drops empty entries from both indexes.
  // Returns the bits that were actually cleared.
  uint8_t clear_kinds(std::string_view path, WatcherId watcher, uint8_t kinds_mask);

  std::unordered_map<std::string, PathWatches, PathHash, std::equal_to<>> paths_;
  std::unordered_map<WatcherId, PathSet> watchers_;
  size_t recursive_count_ = 0;  // skip the ancestor walk when no recursive watch exists
};

}  // namespace rk
