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
  auto add = [this](std::string path, AclRef acl) {
    data_size_ += static_cast<int64_t>(path.size());
    nodes_[std::move(path)].acl = std::move(acl);
  };
  add(std::string(kRootPath), open_acl_unsafe());
  add(std::string(kZookeeperPath), open_acl_unsafe());
  add(std::string(kQuotaPath), open_acl_unsafe());
  add(std::string(kConfigPath), read_acl_unsafe());
  nodes_.find(kRootPath)->second.children.insert("zookeeper");
  Node& zk = nodes_.find(kZookeeperPath)->second;
  zk.children.insert("quota");
  zk.children.insert("config");
  nodes_.find(kConfigPath)->second.stat.aversion = -1;
}

const Node* DataTree::find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Node* DataTree::find(const HashedPath& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Node* DataTree::find_mutable(std::string_view path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Stat DataTree::stat_of(const Node& node) const {
  const NodeStat& s = node.stat;
  Stat out;
  out.czxid = s.czxid;
  out.mzxid = s.mzxid;
  out.ctime = s.ctime;
  out.mtime = s.mtime;
  out.version = s.version;
  auto children = static_cast<int32_t>(node.children.size());
  out.cversion = s.cversion * 2 - children;
  out.aversion = s.aversion;
  // Clients see the owner only for session ephemerals; containers and TTLs show 0.
  bool session_owned = node_kind(s.ephemeral_owner, extended_types_enabled_) == NodeKind::kEphemeral;
  out.ephemeral_owner = session_owned ? s.ephemeral_owner : 0;
  out.data_length = static_cast<int32_t>(node.data.size());
  out.num_children = children;
  out.pzxid = s.pzxid;
  return out;
}

void DataTree::index_owner(const std::string& path, int64_t owner) {
  switch (node_kind(owner, extended_types_enabled_)) {
    case NodeKind::kContainer: containers_.insert(path); break;
    case NodeKind::kTtl: ttls_.insert(path); break;
    case NodeKind::kEphemeral: ephemerals_[owner].insert(path); break;
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

Err DataTree::create_node(std::string_view path, std::string data, bool data_is_null, AclRef acl,
                          int64_t owner, int32_t parent_cversion, Zxid zxid, int64_t time_ms,
                          Stat* out, std::vector<TreeEvent>* events) {
  std::string_view parent_name = parent_path(path);
  Node* parent = find_mutable(parent_name);
  if (parent == nullptr) return Err::kNoNode;
  // One probe both finds a node already there and makes room for a new one (a rehash moves
  // no node, so `parent` stays valid).
  auto [it, inserted] = nodes_.try_emplace(std::string(path));
  if (!inserted) {
    // Replay over a fuzzy snapshot: the node may already be there. Keep the parent's
    // cversion/pzxid moving forward as the original create did (DataTree.processTxn).
    it->second.acl = std::move(acl);
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
  parent->children.emplace(node_name(path));

  Node& node = it->second;
  data_size_ += static_cast<int64_t>(path.size() + data.size());
  node.data = std::move(data);
  node.data_is_null = data_is_null;
  node.acl = std::move(acl);
  node.stat = NodeStat{zxid, zxid, zxid, time_ms, time_ms, 0, 0, 0, owner};
  index_owner(it->first, owner);
  if (out != nullptr) *out = stat_of(node);
  if (events != nullptr) {
    events->push_back(TreeEvent{EventType::kNodeCreated, it->first, node.acl});
    events->push_back(TreeEvent{EventType::kNodeChildrenChanged, std::string(parent_name), parent->acl});
  }
  return Err::kOk;
}

Err DataTree::delete_node(std::string_view path, Zxid zxid, std::vector<TreeEvent>* events) {
  std::string_view parent_name = parent_path(path);
  Node* parent = find_mutable(parent_name);
  if (parent == nullptr) return Err::kNoNode;
  // Even when the child is already gone (replay), move pzxid forward as the original did.
  auto child = parent->children.find(node_name(path));
  if (child != parent->children.end()) parent->children.erase(child);
  if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;

  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Err::kNoNode;
  // Live deletes are validated to be childless. A replay over a fuzzy snapshot may find
  // children created after this delete; their creates follow in the log, so drop them.
  if (!it->second.children.empty()) erase_descendants(it->first);
  data_size_ -= static_cast<int64_t>(it->first.size() + it->second.data.size());
  unindex_owner(path, it->second.stat.ephemeral_owner);
  if (events != nullptr) {
    events->push_back(TreeEvent{EventType::kNodeDeleted, it->first, it->second.acl});
    events->push_back(TreeEvent{EventType::kNodeChildrenChanged, std::string(parent_name), parent->acl});
  }
  nodes_.erase(it);
  return Err::kOk;
}

Err DataTree::set_data(std::string_view path, std::string data, bool data_is_null, int32_t version,
                       Zxid zxid, int64_t time_ms, Stat* out, std::vector<TreeEvent>* events) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Err::kNoNode;
  Node& node = it->second;
  data_size_ += static_cast<int64_t>(data.size()) - static_cast<int64_t>(node.data.size());
  node.data = std::move(data);
  node.data_is_null = data_is_null;
  node.stat.mtime = time_ms;
  node.stat.mzxid = zxid;
  node.stat.version = version;  // absolute, so a replay lands on the same value
  if (out != nullptr) *out = stat_of(node);
  if (events != nullptr) events->push_back(TreeEvent{EventType::kNodeDataChanged, it->first, node.acl});
  return Err::kOk;
}

Err DataTree::set_acl(std::string_view path, AclRef acl, int32_t aversion, Stat* out) {
  Node* node = find_mutable(path);
  if (node == nullptr) return Err::kNoNode;
  node->acl = std::move(acl);
  node->stat.aversion = aversion;
  if (out != nullptr) *out = stat_of(*node);
  return Err::kOk;
}

Err DataTree::restore_node(std::string path, Node node) {
  Err err = Err::kOk;
  restore_node_under(nullptr, std::move(path), std::move(node), err);
  return err;
}

Node* DataTree::restore_node_under(Node* parent, std::string path, Node node, Err& err) {
  RK_ASSERT(!path.empty() && path[0] == '/');
  if (parent == nullptr && path.size() > 1) parent = find_mutable(parent_path(path));
  err = Err::kNoNode;
  if (parent == nullptr && path.size() > 1) return nullptr;
  auto [it, inserted] = nodes_.try_emplace(std::move(path));
  Node& slot = it->second;
  if (!inserted) {
    err = Err::kNodeExists;
    if (!is_special_path(it->first)) return nullptr;
    unindex_owner(it->first, slot.stat.ephemeral_owner);
    data_size_ -= static_cast<int64_t>(slot.data.size());
  } else {
    parent->children.emplace_hint(parent->children.end(), node_name(it->first));
    data_size_ += static_cast<int64_t>(it->first.size());
  }
  err = Err::kOk;
  data_size_ += static_cast<int64_t>(node.data.size());
  slot.data = std::move(node.data);
  slot.data_is_null = node.data_is_null;
  slot.acl = std::move(node.acl);
  slot.stat = node.stat;
  index_owner(it->first, slot.stat.ephemeral_owner);
  return &slot;
}

void DataTree::erase_descendants(const std::string& path) {
  Node* node = find_mutable(path);
  if (node == nullptr) return;
  for (const std::string& name : node->children) {
    std::string child = path + "/" + name;
    erase_descendants(child);
    auto it = nodes_.find(child);
    if (it == nodes_.end()) continue;
    data_size_ -= static_cast<int64_t>(it->first.size() + it->second.data.size());
    unindex_owner(child, it->second.stat.ephemeral_owner);
    nodes_.erase(it);
  }
  node->children.clear();
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
  std::vector<std::string> stack{std::string(path)};
  while (!stack.empty()) {
    std::string at = std::move(stack.back());
    stack.pop_back();
    const Node* n = find(at);
    if (n == nullptr) continue;
    for (const std::string& name : n->children) {
      ++count;
      stack.push_back(at + "/" + name);
    }
  }
  return count;
}

void DataTree::for_each(const std::function<void(const std::string&, const Node&)>& visit) const {
  for (const auto& [path, node] : nodes_) visit(path, node);
}

}  // namespace rk
