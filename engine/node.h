// One znode as the tree stores it: a single allocation holding the fixed fields, the full
// path and the data; and NodeRecord, the plain value nodes are built from (snapshots, tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/acl.h"
#include "engine/child_index.h"
#include "engine/types.h"

namespace rk {

// What ZooKeeper persists per node (StatPersisted). `cversion` counts child creations only;
// clients see cversion * 2 - children (creations plus deletions). The 32-bit fields come
// last, so the padding after them is at the tail, where a Node keeps its hash.
struct NodeStat {
  Zxid czxid = 0;
  Zxid mzxid = 0;
  Zxid pzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  bool operator==(const NodeStat&) const = default;
};

// A node's stored content, apart from its path and children: what a snapshot holds per node
// and what DataTree::restore_node takes.
struct NodeRecord {
  std::string data;
  bool data_is_null = false;
  AclRef acl;
  NodeStat stat;
};

// A stored node. Made, resized and freed only by its DataTree (engine thread). Layout: this
// header (96 bytes), then the path, then the data, in one block from mimalloc whose usable
// size (its bin) is the capacity: data that grows within it is written in place. The high
// half of the path's hash sits in the stat's tail padding, so the table grows and erases
// without hashing paths again.
//
// A Node* is valid until the next mutation of its tree: a set_data that outgrows the block
// moves the node (the tree re-points its table slot and its parent's child index).
class Node {
 public:
  [[no_unique_address]] NodeStat stat;

  std::string_view path() const { return {bytes(), path_bytes_}; }
  // The last component: "/a/b" -> "b", "/" -> "".
  std::string_view name() const;
  std::string_view data() const { return {bytes() + path_bytes_, data_bytes()}; }
  bool data_is_null() const { return (data_word_ & kNullBit) != 0; }
  const AclRef& acl() const { return acl_; }
  // Children by name; empty for a node without any.
  ChildList children() const { return ChildList(children_); }
  size_t child_count() const { return children_ == nullptr ? 0 : children_->size(); }
  // The children's names in order, as getChildren answers them.
  std::vector<std::string> child_names() const;
  // This node's content as a plain value.
  NodeRecord record() const;

  // A new node owning a copy of `path` and `data`, not in any tree. The tree makes its own
  // nodes; tests of the tables make theirs.
  static Node* make(std::string_view path, std::string_view data, bool data_is_null, AclRef acl,
                    const NodeStat& node_stat);
  // Frees the node and its child index (not the children).
  static void destroy(Node* node);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

 private:
  friend class DataTree;
  friend class NodeTable;

  static constexpr uint32_t kNullBit = uint32_t{1} << 31;
  static constexpr size_t kDataBytesMax = kNullBit - 1;

  Node(uint32_t path_bytes, AclRef&& acl, const NodeStat& node_stat);
  ~Node();
  // Whether `data_bytes` bytes of data fit this node's block without leaving most of it
  // unused (a block more than twice the need is given back on the next resize).
  bool fits(size_t data_bytes) const;
  // Writes `data`, which fits(): in place.
  void assign_data(std::string_view data, bool data_is_null);
  // A new node with this one's path, stat, ACL and children and the given data. This one
  // keeps its path only, so that whatever holds its address can be found and re-pointed,
  // and is destroyed after.
  Node* relocated(std::string_view data, bool data_is_null);

  uint32_t data_bytes() const { return data_word_ & ~kNullBit; }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  static size_t block_bytes(size_t path_bytes, size_t data_bytes) { return sizeof(Node) + path_bytes + data_bytes; }

  uint32_t hash_high_ = 0;  // path_hash(path()) >> 32, set by the NodeTable holding the node
  AclRef acl_;
  ChildIndex* children_ = nullptr;  // owned; null while the node has no child
  uint32_t path_bytes_;
  uint32_t data_word_ = 0;  // data length, kNullBit set for null data
};

static_assert(sizeof(Node) == 96, "the header's size is part of every node's bin (hash_high_ in stat's padding)");

}  // namespace rk
