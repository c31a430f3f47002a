// The znode tree and its idempotent mutations (ZooKeeper's DataTree).
#include "engine/data_tree.h"

#include "base/assert.h"
#include "engine/path.h"

namespace rk {

NodeKind node_kind(int64_t owner, bool extended_types_enabled) {
  constexpr uint64_t kExtendedMask = 0xff00000000000000ULL;
  constexpr uint64_t kReservedMask = 0x00ffff0000000000ULL;
  auto bits = static_cast<uint64_t>(owner);
  if (extended_types_enabled && (bits & kExtendedMask) == kExtendedMask) {
    // Only feature 0 (TTL) exists; ZooKeeper throws on others, we read them as sessions.
    if ((bits & kReservedMask) == 0) return NodeKind::kTtl;
    return NodeKind::kEphemeral;
  }
  if (owner == kContainerOwner) return NodeKind::kContainer;
  return owner == 0 ? NodeKind::kPersistent : NodeKind::kEphemeral;
}

DataTree::DataTree(bool extended_types_enabled) : extended_types_enabled_(extended_types_enabled) {
  // The nodes a 3.8 standalone server starts with: all stats zero, "/zookeeper/config"
  // world-readable only with aversion -1 (ZOOKEEPER-2014, set through setACL(.., -1)).
  Node* parent = nullptr;
  auto add = [&](std::string_view path, AclRef acl, const NodeStat& stat) {
    size_t hash = path_hash(path);
    NodeTable::Probe probe = nodes_.probe_for_add(path, hash);
    Node* node = add_node(probe, hash, parent, path, {}, false, std::move(acl), stat);
    data_size_ += static_cast<int64_t>(path.size());
    return node;
  };
  parent = add(kRootPath, open_acl_unsafe(), NodeStat{});
  parent = add(kZookeeperPath, open_acl_unsafe(), NodeStat{});
  add(kQuotaPath, open_acl_unsafe(), NodeStat{});
  NodeStat config_stat;
  config_stat.aversion = -1;
  add(kConfigPath, read_acl_unsafe(), config_stat);
}

Stat DataTree::stat_of(const Node& node) const {
  const NodeStat& s = node.stat;
  Stat out;
  out.czxid = s.czxid;
  out.mzxid = s.mzxid;
  out.ctime = s.ctime;
  out.mtime = s.mtime;
  out.version = s.version;
  auto children = static_cast<int32_t>(node.child_count());
  out.cversion = s.cversion * 2 - children;
  out.aversion = s.aversion;
  // Clients see the owner only for session ephemerals; containers and TTLs show 0.
  bool session_owned = node_kind(s.ephemeral_owner, extended_types_enabled_) == NodeKind::kEphemeral;
  out.ephemeral_owner = session_owned ? s.ephemeral_owner : 0;
  out.data_length = static_cast<int32_t>(node.data_bytes());
  out.num_children = children;
  out.pzxid = s.pzxid;
  return out;
}

void DataTree::index_owner(std::string_view path, int64_t owner) {
  switch (node_kind(owner, extended_types_enabled_)) {
    case NodeKind::kContainer: containers_.emplace(path); break;
    case NodeKind::kTtl: ttls_.emplace(path); break;
    case NodeKind::kEphemeral: ephemerals_[owner].emplace(path); break;
    case NodeKind::kPersistent: break;
  }
}

void DataTree::unindex_owner(std::string_view path, int64_t owner) {
  switch (node_kind(owner, extended_types_enabled_)) {
    case NodeKind::kContainer: containers_.erase(std::string(path)); break;
    case NodeKind::kTtl: ttls_.erase(std::string(path)); break;
    case NodeKind::kEphemeral: {
      auto it = ephemerals_.find(owner);
      if (it == ephemerals_.end()) break;
      it->second.erase(std::string(path));
      if (it->second.empty()) ephemerals_.erase(it);
      break;
    }
    case NodeKind::kPersistent: break;
  }
}

Node* DataTree::add_node(const NodeTable::Probe& probe, size_t hash, Node* parent, std::string_view path,
                         std::string_view data, bool data_is_null, AclRef acl, const NodeStat& stat) {
  Node* node = Node::make(path, data, data_is_null, std::move(acl), stat);
  nodes_.add(probe, node, hash);
  if (parent == nullptr) return node;  // the root
  if (parent->children_ == nullptr) {
    parent->children_ = new ChildIndex(parent->path_bytes_ == 1 ? 1 : parent->path_bytes_ + 1);
  }
  // Snapshot loads and ascending names append; the rest search.
  if (parent->children_->sorts_last(node)) {
    parent->children_->append(node);
  } else {
    parent->children_->insert(node);
  }
  return node;
}

Node* DataTree::replace_data(Node* node, size_t hash, std::string_view data, bool data_is_null) {
  if (node->fits(data.size())) {
    node->assign_data(data, data_is_null);
    return node;
  }
  Node* moved = node->relocated(data, data_is_null);
  nodes_.replace(hash, node, moved);
  std::string_view path = moved->path();
  if (path.size() > 1) {
    Node* parent = find_mutable(parent_path(path));
    RK_ASSERT(parent != nullptr && parent->children_ != nullptr);
    parent->children_->replace(node, moved);
  }
  Node::destroy(node);
  return moved;
}

Err DataTree::create_node(std::string_view path, std::string_view data, bool data_is_null, AclRef acl,
                          int64_t owner, int32_t parent_cversion, Zxid zxid, int64_t time_ms,
                          Stat* out, std::vector<TreeEvent>* events) {
  std::string_view parent_name = parent_path(path);
  Node* parent = find_mutable(parent_name);
  if (parent == nullptr) return Err::kNoNode;
  // One probe both finds a node already there and makes room for a new one (growing the
  // table moves no node, so `parent` stays valid).
  const size_t hash = path_hash(path);
  NodeTable::Probe probe = nodes_.probe_for_add(path, hash);
  if (probe.found != nullptr) {
    // Replay over a fuzzy snapshot: the node may already be there. Keep the parent's
    // cversion/pzxid moving forward as the original create did (DataTree.processTxn).
    probe.found->acl_ = std::move(acl);
    if (parent_cversion != -1 && parent_cversion > parent->stat.cversion) {
      parent->stat.cversion = parent_cversion;
      parent->stat.pzxid = zxid;
    }
    return Err::kNodeExists;
  }
  if (parent_cversion == -1) parent_cversion = parent->stat.cversion + 1;
  // Only move forward: a replayed create of a node created and deleted inside the fuzzy
  // window must not roll the parent back.
  if (parent_cversion > parent->stat.cversion) {
    parent->stat.cversion = parent_cversion;
    parent->stat.pzxid = zxid;
  }
  Node* node = add_node(probe, hash, parent, path, data, data_is_null, std::move(acl),
                        NodeStat{.czxid = zxid, .mzxid = zxid, .pzxid = zxid, .ctime = time_ms, .mtime = time_ms,
                                 .ephemeral_owner = owner});
  data_size_ += static_cast<int64_t>(path.size() + data.size());
  index_owner(path, owner);
  if (out != nullptr) *out = stat_of(*node);
  if (events != nullptr) {
    events->push_back(TreeEvent{EventType::kNodeCreated, std::string(path), node->acl_});
    events->push_back(TreeEvent{EventType::kNodeChildrenChanged, std::string(parent_name), parent->acl_});
  }
  return Err::kOk;
}

Err DataTree::delete_node(std::string_view path, Zxid zxid, std::vector<TreeEvent>* events) {
  std::string_view parent_name = parent_path(path);
  Node* parent = find_mutable(parent_name);
  if (parent == nullptr) return Err::kNoNode;
  // Even when the child is already gone (replay), move pzxid forward as the original did.
  if (parent->children_ != nullptr && parent->children_->erase(node_name(path)) && parent->children_->empty()) {
    delete parent->children_;
    parent->children_ = nullptr;
  }
  if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;

  Node* node = nodes_.remove(path, path_hash(path));
  if (node == nullptr) return Err::kNoNode;
  // Live deletes are validated to be childless. A replay over a fuzzy snapshot may find
  // children created after this delete; their creates follow in the log, so drop them.
  if (node->children_ != nullptr) erase_descendants(node);
  data_size_ -= static_cast<int64_t>(path.size() + node->data_bytes());
  unindex_owner(path, node->stat.ephemeral_owner);
  if (events != nullptr) {
    events->push_back(TreeEvent{EventType::kNodeDeleted, std::string(path), node->acl_});
    events->push_back(TreeEvent{EventType::kNodeChildrenChanged, std::string(parent_name), parent->acl_});
  }
  Node::destroy(node);
  return Err::kOk;
}

Err DataTree::set_data(std::string_view path, std::string_view data, bool data_is_null, int32_t version,
                       Zxid zxid, int64_t time_ms, Stat* out, std::vector<TreeEvent>* events) {
  const size_t hash = path_hash(path);
  Node* node = nodes_.find(path, hash);
  if (node == nullptr) return Err::kNoNode;
  data_size_ += static_cast<int64_t>(data.size()) - static_cast<int64_t>(node->data_bytes());
  node = replace_data(node, hash, data, data_is_null);
  node->stat.mtime = time_ms;
  node->stat.mzxid = zxid;
  node->stat.version = version;  // absolute, so a replay lands on the same value
  if (out != nullptr) *out = stat_of(*node);
  if (events != nullptr) events->push_back(TreeEvent{EventType::kNodeDataChanged, std::string(path), node->acl_});
  return Err::kOk;
}

Err DataTree::set_acl(std::string_view path, AclRef acl, int32_t aversion, Stat* out) {
  Node* node = find_mutable(path);
  if (node == nullptr) return Err::kNoNode;
  node->acl_ = std::move(acl);
  node->stat.aversion = aversion;
  if (out != nullptr) *out = stat_of(*node);
  return Err::kOk;
}

Err DataTree::restore_node(std::string_view path, NodeRecord record) {
  Err err = Err::kOk;
  restore_node_under(nullptr, hashed_path(path), std::move(record), err);
  return err;
}

Node* DataTree::restore_node_under(Node* parent, const HashedPath& hashed, NodeRecord record, Err& err) {
  const std::string_view path = hashed.path;
  const size_t hash = hashed.hash;
  RK_ASSERT(!path.empty() && path[0] == '/');
  if (parent == nullptr && path.size() > 1) parent = find_mutable(parent_path(path));
  err = Err::kNoNode;
  if (parent == nullptr && path.size() > 1) return nullptr;
  NodeTable::Probe probe = nodes_.probe_for_add(path, hash);
  Node* node = probe.found;
  if (node != nullptr) {
    err = Err::kNodeExists;
    if (!is_special_path(path)) return nullptr;
    unindex_owner(path, node->stat.ephemeral_owner);
    data_size_ += static_cast<int64_t>(record.data.size()) - static_cast<int64_t>(node->data_bytes());
    node = replace_data(node, hash, record.data, record.data_is_null);
    node->acl_ = std::move(record.acl);
    node->stat = record.stat;
  } else {
    node = add_node(probe, hash, parent, path, record.data, record.data_is_null, std::move(record.acl), record.stat);
    data_size_ += static_cast<int64_t>(path.size() + record.data.size());
  }
  err = Err::kOk;
  index_owner(path, node->stat.ephemeral_owner);
  return node;
}

void DataTree::erase_descendants(Node* node) {
  for (const Node* child : node->children()) {
    Node* removed = nodes_.remove(child->path(), path_hash(child->path()));
    RK_ASSERT(removed == child);
    if (removed->children_ != nullptr) erase_descendants(removed);
    data_size_ -= static_cast<int64_t>(removed->path_bytes_ + removed->data_bytes());
    unindex_owner(removed->path(), removed->stat.ephemeral_owner);
    Node::destroy(removed);
  }
  delete node->children_;
  node->children_ = nullptr;
}

const std::set<std::string>& DataTree::ephemerals(SessionId session) const {
  static const std::set<std::string> kNone;
  auto it = ephemerals_.find(session);
  return it == ephemerals_.end() ? kNone : it->second;
}

size_t DataTree::ephemeral_count() const {
  size_t n = 0;
  for (const auto& [session, paths] : ephemerals_) n += paths.size();
  return n;
}

int32_t DataTree::descendant_count(std::string_view path) const {
  const Node* node = find(path);
  if (node == nullptr) return 0;
  if (path == kRootPath) return static_cast<int32_t>(nodes_.size() - 1);
  int32_t count = 0;
  std::vector<const Node*> stack{node};
  while (!stack.empty()) {
    const Node* at = stack.back();
    stack.pop_back();
    for (const Node* child : at->children()) {
      ++count;
      if (child->child_count() != 0) stack.push_back(child);
    }
  }
  return count;
}

}  // namespace rk
