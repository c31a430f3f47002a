// Node and tree digests: every stored field counts, children and visiting order do not.
#include <gtest/gtest.h>

#include "engine/tree_digest.h"

namespace rk {
namespace {

NodeRecord sample_node() {
  NodeRecord n;
  n.data = "payload";
  n.acl = open_acl_unsafe();
  n.stat = NodeStat{.czxid = 11, .mzxid = 12, .pzxid = 13, .ctime = 14, .mtime = 15, .ephemeral_owner = 19,
                    .version = 16, .cversion = 17, .aversion = 18};
  return n;
}

TEST(TreeDigest, EveryStoredFieldChangesTheNodeDigest) {
  const NodeRecord base = sample_node();
  const uint64_t d = node_digest("/a", base);
  EXPECT_EQ(node_digest("/a", sample_node()), d);
  EXPECT_NE(node_digest("/b", base), d);
  std::vector<std::function<void(NodeRecord&)>> changes = {
      [](NodeRecord& n) { n.data = "payloaD"; },
      [](NodeRecord& n) { n.data_is_null = true; },
      [](NodeRecord& n) { n.acl = read_acl_unsafe(); },
      [](NodeRecord& n) { n.acl = make_acl({{perm::kAll, {"world", "anyone"}}, {perm::kRead, {"ip", "1.2.3.4"}}}); },
      [](NodeRecord& n) { ++n.stat.czxid; },
      [](NodeRecord& n) { ++n.stat.mzxid; },
      [](NodeRecord& n) { ++n.stat.pzxid; },
      [](NodeRecord& n) { ++n.stat.ctime; },
      [](NodeRecord& n) { ++n.stat.mtime; },
      [](NodeRecord& n) { ++n.stat.version; },
      [](NodeRecord& n) { ++n.stat.cversion; },
      [](NodeRecord& n) { ++n.stat.aversion; },
      [](NodeRecord& n) { ++n.stat.ephemeral_owner; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    NodeRecord n = sample_node();
    changes[i](n);
    EXPECT_NE(node_digest("/a", n), d) << "change " << i;
  }
  // A stored node digests as its record, children or not.
  DataTree tree;
  ASSERT_EQ(tree.restore_node("/a", sample_node()), Err::kOk);
  EXPECT_EQ(node_digest(*tree.find("/a")), d);
  ASSERT_EQ(tree.restore_node("/a/x", sample_node()), Err::kOk);
  EXPECT_EQ(tree.find("/a")->child_count(), 1u);
  EXPECT_EQ(node_digest(*tree.find("/a")), d);
}

TEST(TreeDigest, BytesMovedBetweenPathAndDataChangeTheDigest) {
  NodeRecord a = sample_node();
  a.data = "bc";
  NodeRecord b = sample_node();
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
