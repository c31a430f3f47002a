// DataTree storage: setData that outgrows or shrinks a node's block moves the node, and the
// table, the parent's child index, the node's own children and the digest all follow.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/data_tree.h"
#include "engine/tree_digest.h"

namespace rk {
namespace {

void create(DataTree& tree, const std::string& path, const std::string& data, Zxid zxid) {
  ASSERT_EQ(tree.create_node(path, data, false, open_acl_unsafe(), 0, -1, zxid, 100, nullptr, nullptr), Err::kOk)
      << path;
}

// Every path reached from the root through the child indexes, depth first.
void walk_from(const Node& node, std::vector<std::string>& paths) {
  paths.emplace_back(node.path());
  for (const Node* child : node.children()) walk_from(*child, paths);
}

std::vector<std::string> walk(const DataTree& tree) {
  std::vector<std::string> paths;
  walk_from(*tree.find("/"), paths);
  return paths;
}

TEST(DataTreeStorage, SetDataAcrossBlockSizesKeepsEveryLink) {
  DataTree tree;
  Zxid zxid = 1;
  create(tree, "/p", "", zxid++);
  for (const char* name : {"a", "b", "c"}) create(tree, std::string("/p/") + name, "x", zxid++);
  create(tree, "/p/b/child", "y", zxid++);
  const std::vector<std::string> before = walk(tree);

  const Node* original = tree.find("/p/b");
  for (size_t bytes : {size_t{2}, size_t{5000}, size_t{300}, size_t{0}, size_t{100'000}, size_t{1}}) {
    const std::string data(bytes, 'd');
    int64_t size_before = tree.approximate_data_size();
    const int64_t old_bytes = static_cast<int64_t>(tree.find("/p/b")->data().size());
    Stat stat;
    ASSERT_EQ(tree.set_data("/p/b", data, false, 7, zxid++, 200, &stat, nullptr), Err::kOk);
    const Node* b = tree.find("/p/b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->data(), data);
    EXPECT_EQ(stat.data_length, static_cast<int32_t>(bytes));
    EXPECT_EQ(stat.num_children, 1);
    EXPECT_EQ(b->stat.version, 7);
    EXPECT_EQ(tree.approximate_data_size(), size_before + static_cast<int64_t>(bytes) - old_bytes);
    // The parent's index holds the node where the table has it.
    std::vector<const Node*> siblings(tree.find("/p")->children().begin(), tree.find("/p")->children().end());
    ASSERT_EQ(siblings.size(), 3u);
    EXPECT_EQ(siblings[1], b);
    EXPECT_EQ(tree.find("/p")->child_names(), (std::vector<std::string>{"a", "b", "c"}));
    // Its own children came along.
    EXPECT_EQ(b->child_names(), std::vector<std::string>{"child"});
    EXPECT_EQ(*b->children().begin(), tree.find("/p/b/child"));
    EXPECT_EQ(walk(tree), before);
  }
  // Growing to 100,000 bytes cannot have stayed in the first block.
  EXPECT_NE(tree.find("/p/b"), original);

  // A moved node deletes cleanly, children first.
  ASSERT_EQ(tree.delete_node("/p/b/child", zxid++, nullptr), Err::kOk);
  ASSERT_EQ(tree.delete_node("/p/b", zxid++, nullptr), Err::kOk);
  EXPECT_EQ(tree.find("/p/b"), nullptr);
  EXPECT_EQ(tree.find("/p")->child_names(), (std::vector<std::string>{"a", "c"}));
}

TEST(DataTreeStorage, DataThatFitsIsWrittenInPlace) {
  DataTree tree;
  create(tree, "/n", std::string(100, 'a'), 1);
  const Node* at = tree.find("/n");
  ASSERT_EQ(tree.set_data("/n", std::string(100, 'b'), false, 1, 2, 0, nullptr, nullptr), Err::kOk);
  EXPECT_EQ(tree.find("/n"), at);
  ASSERT_EQ(tree.set_data("/n", std::string(99, 'c'), true, 2, 3, 0, nullptr, nullptr), Err::kOk);
  EXPECT_EQ(tree.find("/n"), at);
  EXPECT_TRUE(at->data_is_null());
  EXPECT_EQ(at->data(), std::string(99, 'c'));
}

TEST(DataTreeStorage, RootDataMovesTheRoot) {
  DataTree tree;
  create(tree, "/a", "", 1);
  const uint64_t digest_before = tree_digest(tree);
  ASSERT_EQ(tree.set_data("/", std::string(4000, 'r'), false, 1, 2, 0, nullptr, nullptr), Err::kOk);
  EXPECT_EQ(tree.find("/")->data().size(), 4000u);
  EXPECT_EQ(tree.find("/")->child_names(), (std::vector<std::string>{"a", "zookeeper"}));
  EXPECT_NE(tree_digest(tree), digest_before);
  EXPECT_EQ(walk(tree), (std::vector<std::string>{"/", "/a", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}));
}

TEST(DataTreeStorage, DeletingANodeWithChildrenOnReplayDropsTheSubtree) {
  DataTree tree;
  create(tree, "/d", "", 1);
  create(tree, "/d/e", "1", 2);
  create(tree, "/d/e/f", "22", 3);
  const size_t count = tree.node_count();
  const int64_t size = tree.approximate_data_size();
  ASSERT_EQ(tree.delete_node("/d", 4, nullptr), Err::kOk);
  EXPECT_EQ(tree.node_count(), count - 3);
  EXPECT_EQ(tree.approximate_data_size(), size - static_cast<int64_t>(2 + 4 + 6 + 1 + 2));
  EXPECT_EQ(tree.find("/d/e/f"), nullptr);
  EXPECT_EQ(tree.find("/")->child_names(), std::vector<std::string>{"zookeeper"});
}

// Overwriting the built-in nodes assigns their whole stat; the table's hash kept beside it
// must survive that, or growing the table would misplace them.
TEST(DataTreeStorage, BuiltInsOverwrittenByARestoreStayFindableAsTheTableGrows) {
  DataTree tree;
  const std::vector<std::string> builtins = {"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"};
  for (const std::string& path : builtins) {
    NodeRecord record;
    record.data = "d";
    record.acl = open_acl_unsafe();
    record.stat = NodeStat{.czxid = -1, .mzxid = -1, .pzxid = -1, .ctime = -1, .mtime = -1, .ephemeral_owner = 0,
                           .version = -1, .cversion = -1, .aversion = -1};
    ASSERT_EQ(tree.restore_node(path, record), Err::kOk) << path;
  }
  for (int i = 0; i < 5000; ++i) create(tree, "/n" + std::to_string(i), "", 10 + i);
  for (const std::string& path : builtins) {
    const Node* n = tree.find(path);
    ASSERT_NE(n, nullptr) << path;
    EXPECT_EQ(n->stat.version, -1);
  }
  for (int i = 0; i < 5000; i += 2) ASSERT_EQ(tree.delete_node("/n" + std::to_string(i), 20000 + i, nullptr), Err::kOk);
  for (const std::string& path : builtins) EXPECT_NE(tree.find(path), nullptr) << path;
  for (int i = 1; i < 5000; i += 2) EXPECT_NE(tree.find("/n" + std::to_string(i)), nullptr) << i;
}

}  // namespace
}  // namespace rk
