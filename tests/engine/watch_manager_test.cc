// WatchManager: which watches each event type fires, one-shot vs persistent lifetimes,
// recursive watches on ancestors, removeWatches/checkWatches and the 4lw views.
#include "engine/watch_manager.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace rk {
namespace {

constexpr WatcherId kA = 1;
constexpr WatcherId kB = 2;
constexpr WatcherId kC = 3;

std::vector<FiredWatch> fire(WatchManager& wm, std::string_view path, EventType type) {
  std::vector<FiredWatch> out;
  wm.trigger(path, type, out);
  std::sort(out.begin(), out.end(),
            [](const FiredWatch& x, const FiredWatch& y) { return x.watcher < y.watcher; });
  return out;
}

std::vector<WatcherId> watchers_of(const std::vector<FiredWatch>& fired) {
  std::vector<WatcherId> ids;
  for (const FiredWatch& f : fired) ids.push_back(f.watcher);
  return ids;
}

TEST(WatchManager, DataWatchFiresOnceOnDataChange) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  auto fired = fire(wm, "/a", EventType::kNodeDataChanged);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].watcher, kA);
  EXPECT_EQ(fired[0].type, EventType::kNodeDataChanged);
  EXPECT_EQ(fired[0].path, "/a");
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeDataChanged).empty());
  EXPECT_EQ(wm.watch_count(), 0u);
  EXPECT_EQ(wm.path_count(), 0u);
  EXPECT_EQ(wm.watcher_count(), 0u);
}

TEST(WatchManager, ExistWatchFiresOnCreate) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kExist);
  wm.add("/a", kB, WatchKind::kChild);
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeCreated)), std::vector<WatcherId>{kA});
  // The child watch is untouched by a create of the node itself.
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, ChildrenChangedFiresOnlyChildWatches) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kB, WatchKind::kChild);
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeChildrenChanged)),
            std::vector<WatcherId>{kB});
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeChildrenChanged).empty());
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeDataChanged)), std::vector<WatcherId>{kA});
}

TEST(WatchManager, DeleteFiresDataExistAndChildAndRemovesThem) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kB, WatchKind::kExist);
  wm.add("/a", kC, WatchKind::kChild);
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeDeleted)),
            (std::vector<WatcherId>{kA, kB, kC}));
  EXPECT_EQ(wm.watch_count(), 0u);
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeCreated).empty());
}

TEST(WatchManager, WatchOnOtherPathDoesNotFire) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  EXPECT_TRUE(fire(wm, "/b", EventType::kNodeDataChanged).empty());
  EXPECT_TRUE(fire(wm, "/a/x", EventType::kNodeDeleted).empty());
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, PersistentFiresEveryTypeOnExactPathAndStays) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kPersistent);
  for (EventType type : {EventType::kNodeCreated, EventType::kNodeDataChanged,
                         EventType::kNodeChildrenChanged, EventType::kNodeDeleted}) {
    auto fired = fire(wm, "/a", type);
    ASSERT_EQ(fired.size(), 1u) << static_cast<int>(type);
    EXPECT_EQ(fired[0].type, type);
  }
  EXPECT_TRUE(fire(wm, "/a/child", EventType::kNodeCreated).empty());
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RecursiveFiresOnPathAndDescendantsButNotChildrenChanged) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  auto fired = fire(wm, "/a/b/c", EventType::kNodeCreated);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].path, "/a/b/c");  // the changed node, not the watched one
  EXPECT_EQ(fired[0].type, EventType::kNodeCreated);
  EXPECT_EQ(fire(wm, "/a/b", EventType::kNodeDataChanged).size(), 1u);
  EXPECT_EQ(fire(wm, "/a", EventType::kNodeDeleted).size(), 1u);
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeChildrenChanged).empty());
  EXPECT_TRUE(fire(wm, "/a/b", EventType::kNodeChildrenChanged).empty());
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RecursiveDoesNotMatchSiblingWithSamePrefix) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  EXPECT_TRUE(fire(wm, "/ab", EventType::kNodeCreated).empty());
  EXPECT_TRUE(fire(wm, "/", EventType::kNodeDataChanged).empty());
}

TEST(WatchManager, RecursiveOnRootSeesEverything) {
  WatchManager wm;
  wm.add("/", kA, WatchKind::kPersistentRecursive);
  EXPECT_EQ(fire(wm, "/x/y", EventType::kNodeDeleted).size(), 1u);
  EXPECT_EQ(fire(wm, "/x", EventType::kNodeCreated).size(), 1u);
  EXPECT_EQ(fire(wm, "/", EventType::kNodeDataChanged).size(), 1u);
}

TEST(WatchManager, OneEventPerWatcherPerTrigger) {
  WatchManager wm;
  wm.add("/a/b", kA, WatchKind::kData);
  wm.add("/a/b", kA, WatchKind::kChild);
  wm.add("/a/b", kA, WatchKind::kPersistent);
  wm.add("/a/b", kA, WatchKind::kPersistentRecursive);
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  wm.add("/", kA, WatchKind::kPersistentRecursive);
  wm.add("/", kB, WatchKind::kPersistentRecursive);
  auto fired = fire(wm, "/a/b", EventType::kNodeDeleted);
  EXPECT_EQ(watchers_of(fired), (std::vector<WatcherId>{kA, kB}));
  // Deletion used up the one-shot data and child watches; the persistent ones remain.
  EXPECT_EQ(wm.watch_count(), 5u);
}

TEST(WatchManager, OneShotUsedUpWhilePersistentOnSamePathStays) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kPersistent);
  EXPECT_EQ(fire(wm, "/a", EventType::kNodeDataChanged).size(), 1u);
  EXPECT_EQ(wm.watch_count(), 1u);
  std::vector<FiredWatch> events;
  EXPECT_FALSE(wm.remove("/a", WatcherType::kData, kA, false, events));
  EXPECT_TRUE(wm.remove("/a", WatcherType::kPersistent, kA, false, events));
  EXPECT_EQ(fire(wm, "/a", EventType::kNodeDataChanged).size(), 1u);
}

TEST(WatchManager, ChildrenChangedKeepsDataWatchOfSameWatcher) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kPersistent);
  EXPECT_EQ(fire(wm, "/a", EventType::kNodeChildrenChanged).size(), 1u);
  std::vector<FiredWatch> events;
  EXPECT_TRUE(wm.remove("/a", WatcherType::kData, kA, false, events));
}

TEST(WatchManager, AddIsIdempotent) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  EXPECT_EQ(wm.watch_count(), 2u);
  std::vector<FiredWatch> events;
  EXPECT_TRUE(wm.remove("/a", WatcherType::kPersistentRecursive, kA, true, events));
  // One removal undoes both adds: no recursive watch is left to fire on a descendant.
  EXPECT_TRUE(fire(wm, "/a/b", EventType::kNodeCreated).empty());
}

TEST(WatchManager, CheckDoesNotRemove) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kChild);
  std::vector<FiredWatch> events;
  EXPECT_TRUE(wm.remove("/a", WatcherType::kChildren, kA, false, events));
  EXPECT_TRUE(wm.remove("/a", WatcherType::kAny, kA, false, events));
  EXPECT_FALSE(wm.remove("/a", WatcherType::kData, kA, false, events));
  EXPECT_FALSE(wm.remove("/a", WatcherType::kChildren, kB, false, events));
  EXPECT_FALSE(wm.remove("/b", WatcherType::kChildren, kA, false, events));
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RemoveDataCoversDataAndExistNotChild) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kExist);
  wm.add("/a", kA, WatchKind::kChild);
  std::vector<FiredWatch> events;
  ASSERT_TRUE(wm.remove("/a", WatcherType::kData, kA, true, events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kDataWatchRemoved);
  EXPECT_EQ(events[0].path, "/a");
  EXPECT_EQ(events[0].watcher, kA);
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeDataChanged).empty());
  EXPECT_EQ(fire(wm, "/a", EventType::kNodeChildrenChanged).size(), 1u);
}

TEST(WatchManager, RemoveAnyReportsEachCategoryOnce) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a", kA, WatchKind::kChild);
  wm.add("/a", kA, WatchKind::kPersistent);
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  wm.add("/a", kB, WatchKind::kData);
  std::vector<FiredWatch> events;
  ASSERT_TRUE(wm.remove("/a", WatcherType::kAny, kA, true, events));
  std::vector<EventType> types;
  for (const FiredWatch& e : events) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kDataWatchRemoved,
                                           EventType::kChildWatchRemoved,
                                           EventType::kPersistentWatchRemoved}));
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeDeleted)), std::vector<WatcherId>{kB});
  EXPECT_FALSE(wm.remove("/a", WatcherType::kAny, kA, true, events));
}

TEST(WatchManager, RemovePersistentKindsSeparately) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kPersistent);
  wm.add("/a", kA, WatchKind::kPersistentRecursive);
  std::vector<FiredWatch> events;
  ASSERT_TRUE(wm.remove("/a", WatcherType::kPersistent, kA, true, events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kPersistentWatchRemoved);
  EXPECT_FALSE(wm.remove("/a", WatcherType::kPersistent, kA, false, events));
  // Only the recursive one is left: it still sees descendants but not children-changed.
  EXPECT_EQ(fire(wm, "/a/b", EventType::kNodeCreated).size(), 1u);
  EXPECT_TRUE(fire(wm, "/a", EventType::kNodeChildrenChanged).empty());
  ASSERT_TRUE(wm.remove("/a", WatcherType::kPersistentRecursive, kA, true, events));
  EXPECT_TRUE(fire(wm, "/a/b", EventType::kNodeCreated).empty());
  EXPECT_EQ(wm.path_count(), 0u);
  EXPECT_EQ(wm.watcher_count(), 0u);
}

TEST(WatchManager, RemoveUnknownWatcherTypeIsNoWatcher) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  std::vector<FiredWatch> events;
  EXPECT_FALSE(wm.remove("/a", static_cast<WatcherType>(42), kA, true, events));
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RemoveWatcherDropsEverything) {
  WatchManager wm;
  wm.add("/a", kA, WatchKind::kData);
  wm.add("/a/b", kA, WatchKind::kChild);
  wm.add("/", kA, WatchKind::kPersistentRecursive);
  wm.add("/a", kB, WatchKind::kData);
  wm.remove_watcher(kA);
  wm.remove_watcher(kA);  // a second close is harmless
  EXPECT_EQ(wm.watch_count(), 1u);
  EXPECT_EQ(wm.watcher_count(), 1u);
  EXPECT_EQ(wm.path_count(), 1u);
  EXPECT_TRUE(fire(wm, "/a/b", EventType::kNodeDeleted).empty());
  EXPECT_EQ(watchers_of(fire(wm, "/a", EventType::kNodeDeleted)), std::vector<WatcherId>{kB});
}

TEST(WatchManager, CountsAndSortedViews) {
  WatchManager wm;
  wm.add("/b", kB, WatchKind::kData);
  wm.add("/b", kB, WatchKind::kChild);
  wm.add("/a", kB, WatchKind::kExist);
  wm.add("/b", kA, WatchKind::kPersistent);
  EXPECT_EQ(wm.watch_count(), 4u);
  EXPECT_EQ(wm.path_count(), 2u);
  EXPECT_EQ(wm.watcher_count(), 2u);

  auto by_watcher = wm.by_watcher();
  ASSERT_EQ(by_watcher.size(), 2u);
  EXPECT_EQ(by_watcher[0].first, kA);
  EXPECT_EQ(by_watcher[0].second, std::vector<std::string>{"/b"});
  EXPECT_EQ(by_watcher[1].first, kB);
  EXPECT_EQ(by_watcher[1].second, (std::vector<std::string>{"/a", "/b"}));

  auto by_path = wm.by_path();
  ASSERT_EQ(by_path.size(), 2u);
  EXPECT_EQ(by_path[0].first, "/a");
  EXPECT_EQ(by_path[0].second, std::vector<WatcherId>{kB});
  EXPECT_EQ(by_path[1].first, "/b");
  EXPECT_EQ(by_path[1].second, (std::vector<WatcherId>{kA, kB}));
}

}  // namespace
}  // namespace rk
