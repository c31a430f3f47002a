// Node and tree digests: every stored field counts, children and visiting order do not.
#include <gtest/gtest.h>

#include "engine/tree_digest.h"

namespace rk {
namespace {

Node sample_node() {
  Node n;
  n.data = "payload";
  n.acl = open_acl_unsafe();
  n.stat = NodeStat{11, 12, 13, 14, 15, 16, 17, 18, 19};
  return n;
}

TEST(TreeDigest, EveryStoredFieldChangesTheNodeDigest) {
  const Node base = sample_node();
  const uint64_t d = node_digest("/a", base);
  EXPECT_EQ(node_digest("/a", sample_node()), d);
  EXPECT_NE(node_digest("/b", base), d);
  std::vector<std::function<void(Node&)>> changes = {
      [](Node& n) { n.data = "payloaD"; },
      [](Node& n) { n.data_is_null = true; },
      [](Node& n) { n.acl = read_acl_unsafe(); },
      [](Node& n) { n.acl = make_acl({{perm::kAll, {"world", "anyone"}}, {perm::kRead, {"ip", "1.2.3.4"}}}); },
      [](Node& n) { ++n.stat.czxid; },
      [](Node& n) { ++n.stat.mzxid; },
      [](Node& n) { ++n.stat.pzxid; },
      [](Node& n) { ++n.stat.ctime; },
      [](Node& n) { ++n.stat.mtime; },
      [](Node& n) { ++n.stat.version; },
      [](Node& n) { ++n.stat.cversion; },
      [](Node& n) { ++n.stat.aversion; },
      [](Node& n) { ++n.stat.ephemeral_owner; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    Node n = sample_node();
    changes[i](n);
    EXPECT_NE(node_digest("/a", n), d) << "change " << i;
  }
  Node with_children = sample_node();
  with_children.children.insert("x");
  EXPECT_EQ(node_digest("/a", with_children), d);
}

TEST(TreeDigest, BytesMovedBetweenPathAndDataChangeTheDigest) {
  Node a = sample_node();
  a.data = "bc";
  Node b = sample_node();
  b.data = "c";
  EXPECT_NE(node_digest("/ab", a), node_digest("/abc", b));
}

TEST(TreeDigest, TreeDigestIsIndependentOfCreationOrder) {
  DataTree one;
  DataTree two;
  auto create = [](DataTree& t, const char* path, const char* data, Zxid zxid) {
    ASSERT_EQ(t.create_node(path, data, false, open_acl_unsafe(), 0, -1, zxid, 100, nullptr, nullptr), Err::kOk);
  };
  create(one, "/a", "1", 1);
  create(one, "/b", "2", 2);
  create(two, "/b", "2", 2);
  create(two, "/a", "1", 1);
  // The root's pzxid differs (the last create moved it); one more create aligns it.
  EXPECT_NE(tree_digest(one), tree_digest(two));
  ASSERT_EQ(two.create_node("/c", "", false, open_acl_unsafe(), 0, -1, 3, 100, nullptr, nullptr), Err::kOk);
  ASSERT_EQ(one.create_node("/c", "", false, open_acl_unsafe(), 0, -1, 3, 100, nullptr, nullptr), Err::kOk);
  EXPECT_EQ(tree_digest(one), tree_digest(two));
  ASSERT_EQ(one.set_data("/a", "x", false, 1, 4, 200, nullptr, nullptr), Err::kOk);
  EXPECT_NE(tree_digest(one), tree_digest(two));
}

}  // namespace
}  // namespace rk
