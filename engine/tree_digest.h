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

// Wrapping sum of node_digest over every node: independent of the order nodes are visited,
// so a snapshot written in one order and loaded in another digests the same.
uint64_t tree_digest(const DataTree& tree);

}  // namespace rk
