// Node blocks: one mimalloc allocation per node, sized by its bin.
#include "engine/node.h"

#include <mimalloc.h>

#include <cstring>
#include <new>

#include "base/assert.h"

namespace rk {

Node::Node(uint32_t path_bytes, AclRef&& acl, const NodeStat& node_stat)
    : stat(node_stat), acl_(std::move(acl)), path_bytes_(path_bytes) {}

Node::~Node() { delete children_; }

std::string_view Node::name() const {
  std::string_view p = path();
  return p.substr(p.rfind('/') + 1);
}

std::vector<std::string> Node::child_names() const {
  std::vector<std::string> names;
  names.reserve(child_count());
  for (const Node* child : children()) names.emplace_back(child->name());
  return names;
}

NodeRecord Node::record() const { return NodeRecord{std::string(data()), data_is_null(), acl_, stat}; }

Node* Node::make(std::string_view path, std::string_view data, bool data_is_null, AclRef acl,
                 const NodeStat& node_stat) {
  RK_ASSERT(path.size() <= UINT32_MAX && data.size() <= kDataBytesMax);
  void* block = mi_malloc(block_bytes(path.size(), data.size()));
  RK_ASSERT(block != nullptr);
  Node* node = new (block) Node(static_cast<uint32_t>(path.size()), std::move(acl), node_stat);
  std::memcpy(node->bytes(), path.data(), path.size());
  node->assign_data(data, data_is_null);
  return node;
}

void Node::destroy(Node* node) {
  node->~Node();
  mi_free(node);
}

bool Node::fits(size_t data_bytes) const {
  size_t need = block_bytes(path_bytes_, data_bytes);
  size_t have = mi_usable_size(this);
  return need <= have && need > have / 2;
}

void Node::assign_data(std::string_view data, bool data_is_null) {
  if (!data.empty()) std::memcpy(bytes() + path_bytes_, data.data(), data.size());
  data_word_ = static_cast<uint32_t>(data.size()) | (data_is_null ? kNullBit : 0);
}

Node* Node::relocated(std::string_view data, bool data_is_null) {
  Node* moved = make(path(), data, data_is_null, std::move(acl_), stat);
  moved->hash_high_ = hash_high_;
  moved->children_ = children_;
  children_ = nullptr;
  return moved;
}

}  // namespace rk
