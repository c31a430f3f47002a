// Content digests of znodes and whole trees: a snapshot's footer carries one so a load can
// prove it decoded what was written, and a restored tree can be compared with a live one.
// Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/data_tree.h"

namespace rk {

// XXH3 over the path, data, null flag, every NodeStat field and every ACL entry. Children
// are left out: they are derived from the other nodes' paths.
uint64_t node_digest(const Node& node);
uint64_t node_digest(std::string_view path, const NodeRecord& record);  // the same for a record

// node_digest over a stream of nodes, most of which share a few ACL lists: the last list's
// digest is kept, and the list held, so its address cannot be taken by another list while
// the tree changes between calls (a fuzzy snapshot).
class NodeDigester {
 public:
  uint64_t digest(const Node& node);
  uint64_t digest(std::string_view path, const NodeRecord& record);

 private:
  uint64_t acl(const AclRef& acl);
  AclRef last_acl_;           // null: the digest of no ACL, 0
  uint64_t last_digest_ = 0;
};

// Wrapping sum of node_digest over every node: independent of the order nodes are visited,
// so a snapshot written in one order and loaded in another digests the same.
uint64_t tree_digest(const DataTree& tree);

}  // namespace rk
