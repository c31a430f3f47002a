// ChildIndex: a parent with 100,000+ children kept in name order through random inserts and
// erasures, upper_bound against a reference set, and chunk fill for the common load orders.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/child_index.h"
#include "engine/node.h"

namespace rk {
namespace {

constexpr std::string_view kParent = "/p";

// Child nodes of /p, freed with the fixture (an index does not own its children).
class Children {
 public:
  ~Children() {
    for (Node* n : nodes_) Node::destroy(n);
  }
  Node* make(const std::string& name) {
    nodes_.push_back(Node::make(std::string(kParent) + "/" + name, "", false, open_acl_unsafe(), NodeStat{}));
    return nodes_.back();
  }

 private:
  std::vector<Node*> nodes_;
};

std::vector<std::string> names_in(const ChildIndex& index) {
  std::vector<std::string> out;
  for (auto it = index.begin(); it != index.end(); ++it) out.emplace_back((*it)->name());
  return out;
}

std::string name_at(const ChildIndex& index, ChildIndex::Iterator it) {
  return it == index.end() ? "<end>" : std::string((*it)->name());
}

std::string name_at(const std::set<std::string>& names, std::set<std::string>::const_iterator it) {
  return it == names.end() ? "<end>" : *it;
}

void expect_upper_bounds_match(const ChildIndex& index, const std::set<std::string>& reference, std::mt19937_64& rng) {
  std::vector<std::string> probes = {"", "a", "n", "n0", "n99999", "n99999z", "o", "zzz"};
  for (int i = 0; i < 2000; ++i) {
    std::string p = "n" + std::to_string(rng() % 200'000);
    if (i % 2 == 1) p += "-";  // between a name and its successors
    probes.push_back(p);
  }
  for (const std::string& p : probes) {
    ASSERT_EQ(name_at(index, index.upper_bound(p)), name_at(reference, reference.upper_bound(p))) << p;
  }
}

TEST(ChildIndex, HundredsOfThousandsOfChildrenInRandomOrder) {
  constexpr size_t kCount = 150'000;
  Children children;
  std::vector<Node*> nodes;
  std::set<std::string> reference;
  for (size_t i = 0; i < kCount; ++i) {
    std::string name = "n" + std::to_string(i);
    nodes.push_back(children.make(name));
    reference.insert(name);
  }
  std::mt19937_64 rng(3);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  ChildIndex index(kParent.size() + 1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    index.insert(nodes[i]);
    if (i % 25'000 == 0) {
      ASSERT_TRUE(index.well_formed()) << i;
    }
  }
  ASSERT_TRUE(index.well_formed());
  EXPECT_EQ(index.size(), kCount);
  EXPECT_EQ(names_in(index), std::vector<std::string>(reference.begin(), reference.end()));
  // A full chunk splits in halves: random inserts leave every chunk at least half full.
  EXPECT_LE(index.chunk_count(), kCount / (ChildIndex::kChunkSlotsMax / 2) + 1);
  for (size_t i = 0; i < 1000; ++i) {
    const Node* n = nodes[rng() % nodes.size()];
    EXPECT_EQ(index.find(n->name()), n);
  }
  EXPECT_EQ(index.find("n150000"), nullptr);
  EXPECT_EQ(index.find("n1-"), nullptr);
  expect_upper_bounds_match(index, reference, rng);

  // Erase a random half, then the rest.
  std::shuffle(nodes.begin(), nodes.end(), rng);
  for (size_t i = 0; i < kCount / 2; ++i) {
    std::string name(nodes[i]->name());
    ASSERT_TRUE(index.erase(name)) << name;
    ASSERT_FALSE(index.erase(name)) << name;
    reference.erase(name);
    if (i % 25'000 == 0) {
      ASSERT_TRUE(index.well_formed()) << i;
    }
  }
  ASSERT_TRUE(index.well_formed());
  EXPECT_EQ(index.size(), reference.size());
  EXPECT_EQ(names_in(index), std::vector<std::string>(reference.begin(), reference.end()));
  expect_upper_bounds_match(index, reference, rng);
  for (size_t i = kCount / 2; i < kCount; ++i) ASSERT_TRUE(index.erase(nodes[i]->name()));
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.chunk_count(), 0u);
  EXPECT_EQ(index.begin(), index.end());
  EXPECT_EQ(index.upper_bound(""), index.end());
}

TEST(ChildIndex, SortedAppendsFillEveryChunk) {
  constexpr size_t kCount = 100'000;
  Children children;
  std::vector<std::string> names;
  for (size_t i = 0; i < kCount; ++i) names.push_back("n" + std::to_string(i));
  std::sort(names.begin(), names.end());
  ChildIndex index(kParent.size() + 1);
  for (const std::string& name : names) {
    Node* n = children.make(name);
    ASSERT_TRUE(index.sorts_last(n));
    index.append(n);
  }
  ASSERT_TRUE(index.well_formed());
  EXPECT_EQ(names_in(index), names);
  const size_t full = ChildIndex::kChunkSlotsMax;
  EXPECT_EQ(index.chunk_count(), (kCount + full - 1) / full);
  EXPECT_FALSE(index.sorts_last(children.make("a")));
}

// rkbench's load: several writers each creating k<i> for an ascending range of i, so names
// arrive as interleaved ascending runs landing all over the (lexicographic) order.
TEST(ChildIndex, InterleavedAscendingRunsKeepChunksMostlyFull) {
  constexpr size_t kCount = 200'000, kWriters = 16;
  Children children;
  ChildIndex index(kParent.size() + 1);
  for (size_t step = 0; step < kCount / kWriters; ++step) {
    for (size_t w = 0; w < kWriters; ++w) index.insert(children.make("k" + std::to_string(w * (kCount / kWriters) + step)));
  }
  ASSERT_TRUE(index.well_formed());
  EXPECT_EQ(index.size(), kCount);
  const double fill = static_cast<double>(kCount) / static_cast<double>(index.chunk_count() * ChildIndex::kChunkSlotsMax);
  EXPECT_GT(fill, 0.8) << index.chunk_count() << " chunks";
}

TEST(ChildIndex, ReplaceRepointsOneSlot) {
  Children children;
  ChildIndex index(kParent.size() + 1);
  std::vector<Node*> nodes;
  for (int i = 0; i < 1000; ++i) {
    nodes.push_back(children.make("c" + std::to_string(i)));
    index.insert(nodes.back());
  }
  Node* moved = children.make("c500");
  index.replace(nodes[500], moved);
  EXPECT_EQ(index.find("c500"), moved);
  EXPECT_EQ(index.find("c501"), nodes[501]);
  EXPECT_TRUE(index.well_formed());
}

TEST(ChildIndex, ChildrenOfTheRootStartAfterTheSlash) {
  Node* a = Node::make("/a", "", false, open_acl_unsafe(), NodeStat{});
  Node* b = Node::make("/b", "", false, open_acl_unsafe(), NodeStat{});
  ChildIndex index(1);
  index.insert(b);
  index.insert(a);
  EXPECT_EQ(names_in(index), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(name_at(index, index.upper_bound("a")), "b");
  Node::destroy(a);
  Node::destroy(b);
}

}  // namespace
}  // namespace rk
