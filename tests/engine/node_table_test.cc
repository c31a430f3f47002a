// NodeTable: lookups, growth and backward-shift erasure, with paths whose hashes share their
// tag bits (so only the path comparison tells them apart) and against a reference set.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/node_table.h"
#include "engine/path.h"

namespace rk {
namespace {

Node* make_node(const std::string& path) { return Node::make(path, "v", false, open_acl_unsafe(), NodeStat{}); }

bool add(NodeTable& table, const std::string& path) {
  size_t hash = path_hash(path);
  NodeTable::Probe probe = table.probe_for_add(path, hash);
  if (probe.found != nullptr) return false;
  table.add(probe, make_node(path), hash);
  return true;
}

bool remove(NodeTable& table, const std::string& path) {
  Node* node = table.remove(path, path_hash(path));
  if (node == nullptr) return false;
  EXPECT_EQ(node->path(), path);
  Node::destroy(node);
  return true;
}

const Node* find(const NodeTable& table, const std::string& path) { return table.find(path, path_hash(path)); }

// `count` paths whose hashes agree in their low 16 bits: the tag a slot keeps.
std::vector<std::string> same_tag_paths(size_t count) {
  std::vector<std::string> out;
  const size_t tag = path_hash("/t0") & 0xffff;
  out.push_back("/t0");
  for (size_t i = 1; out.size() < count; ++i) {
    std::string path = "/t" + std::to_string(i);
    if ((path_hash(path) & 0xffff) == tag) out.push_back(path);
  }
  return out;
}

TEST(NodeTable, PathsSharingATagAreToldApartAndSurviveErasure) {
  const std::vector<std::string> paths = same_tag_paths(12);
  NodeTable table;
  for (const std::string& p : paths) ASSERT_TRUE(add(table, p));
  for (const std::string& p : paths) EXPECT_FALSE(add(table, p)) << p;
  EXPECT_EQ(table.size(), paths.size());
  // Erase in an order unrelated to insertion; every other path stays reachable each time.
  std::vector<std::string> order = paths;
  std::mt19937_64 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  std::set<std::string> left(paths.begin(), paths.end());
  for (const std::string& gone : order) {
    ASSERT_TRUE(remove(table, gone));
    EXPECT_FALSE(remove(table, gone));
    left.erase(gone);
    EXPECT_EQ(find(table, gone), nullptr);
    for (const std::string& p : left) {
      const Node* n = find(table, p);
      ASSERT_NE(n, nullptr) << p << " lost after erasing " << gone;
      EXPECT_EQ(n->path(), p);
    }
  }
  EXPECT_EQ(table.size(), 0u);
}

TEST(NodeTable, GrowsWithoutLosingNodesAndHonoursReserve) {
  NodeTable table;
  constexpr size_t kCount = 200'000;
  size_t last_capacity = 0, growths = 0;
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(add(table, "/g/" + std::to_string(i)));
    if (table.capacity() != last_capacity) {
      ++growths;
      last_capacity = table.capacity();
    }
    ASSERT_LE(table.size() * 5, table.capacity() * 4);  // load <= 0.8
  }
  EXPECT_GT(growths, 10u);
  for (size_t i = 0; i < kCount; ++i) ASSERT_NE(find(table, "/g/" + std::to_string(i)), nullptr) << i;
  EXPECT_EQ(find(table, "/g/x"), nullptr);
  size_t visited = 0;
  table.for_each([&](const Node&) { ++visited; });
  EXPECT_EQ(visited, kCount);

  NodeTable reserved;
  reserved.reserve(kCount);
  const size_t capacity = reserved.capacity();
  EXPECT_GE(capacity * 4, kCount * 5);
  for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(add(reserved, "/r/" + std::to_string(i)));
  EXPECT_EQ(reserved.capacity(), capacity);  // no growth during the load
}

TEST(NodeTable, RandomAddsAndRemovesMatchAReferenceSet) {
  NodeTable table;
  std::set<std::string> reference;
  std::mt19937_64 rng(11);
  // A small key space keeps the table dense and its probe runs wrapping around the end.
  for (int step = 0; step < 200'000; ++step) {
    std::string path = "/k" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(remove(table, path), reference.erase(path) == 1) << step;
    } else {
      EXPECT_EQ(add(table, path), reference.insert(path).second) << step;
    }
    if (step % 10'000 == 0) {
      for (int k = 0; k < 3000; ++k) {
        std::string p = "/k" + std::to_string(k);
        ASSERT_EQ(find(table, p) != nullptr, reference.count(p) == 1) << p << " at step " << step;
      }
    }
  }
  EXPECT_EQ(table.size(), reference.size());
}

TEST(NodeTable, ReplaceRepointsTheSlot) {
  NodeTable table;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(add(table, "/n" + std::to_string(i)));
  const std::string path = "/n42";
  Node* old = table.find(path, path_hash(path));
  Node* moved = make_node(path);
  table.replace(path_hash(path), old, moved);
  Node::destroy(old);
  EXPECT_EQ(table.find(path, path_hash(path)), moved);
  EXPECT_EQ(table.size(), 100u);
}

TEST(NodeTable, MovedTableOwnsTheNodes) {
  NodeTable a;
  ASSERT_TRUE(add(a, "/x"));
  NodeTable b = std::move(a);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(find(a, "/x"), nullptr);
  EXPECT_NE(find(b, "/x"), nullptr);
  a = std::move(b);
  EXPECT_NE(find(a, "/x"), nullptr);
}

}  // namespace
}  // namespace rk
