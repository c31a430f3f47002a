// The znode tree: nodes by full path, children, ephemerals by session, containers and TTL
// nodes, and the idempotent mutations txns apply (DataTree.createNode / deleteNode / setData
// / setACL). Owned by the engine core thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/acl.h"
#include "engine/node.h"
#include "engine/node_table.h"
#include "engine/path.h"
#include "engine/types.h"

namespace rk {

// ephemeralOwner encodings (EphemeralType.java): a session id, the container marker, or a
// TTL: top byte 0xff, 16 reserved bits (0 = TTL), 40 bits of ttl milliseconds.
inline constexpr int64_t kContainerOwner = INT64_MIN;
inline constexpr int64_t kTtlMaxMs = (int64_t{1} << 40) - 1;
inline constexpr int64_t ttl_owner(int64_t ttl_ms) {
  return static_cast<int64_t>(0xff00000000000000ULL) | ttl_ms;
}
inline constexpr int64_t ttl_of_owner(int64_t owner) { return owner & kTtlMaxMs; }

enum class NodeKind : uint8_t { kPersistent, kEphemeral, kContainer, kTtl };

// EphemeralType.get: TTL owners are recognised only when extended types are enabled;
// otherwise they read as an ordinary session owner, as in ZooKeeper.
NodeKind node_kind(int64_t ephemeral_owner, bool extended_types_enabled);

// A change watches may observe: the event, the node it names, and the ACL that decides who
// may see it (the node's, or the parent's for NodeChildrenChanged).
struct TreeEvent {
  EventType type;
  std::string path;
  AclRef acl;
};

// Nodes live in one NodeTable (path -> Node*, which owns them); each node with children
// holds a ChildIndex of pointers to them. A Node* handed out is valid until the next
// mutation of the tree: set_data may move the node it changes (and restore_node a built-in
// node it overwrites); no mutation moves any other node, and a delete frees the nodes it
// removes.
class DataTree {
 public:
  explicit DataTree(bool extended_types_enabled = false);
  DataTree(DataTree&&) = default;
  DataTree& operator=(DataTree&&) = default;

  const Node* find(std::string_view path) const { return nodes_.find(path, path_hash(path)); }
  // path.hash is path_hash(path.path)
  const Node* find(const HashedPath& path) const { return nodes_.find(path.path, path.hash); }
  // The Stat a client sees (DataNode.copyStat).
  Stat stat_of(const Node& node) const;

  // Mutations. Each is idempotent: applying it again to a tree that already reflects it
  // changes nothing. `out` (may be null) receives the node's Stat afterwards; `events` (may
  // be null, for replay) receives what watches should see.
  Err create_node(std::string_view path, std::string_view data, bool data_is_null, AclRef acl,
                  int64_t ephemeral_owner, int32_t parent_cversion, Zxid zxid, int64_t time_ms,
                  Stat* out, std::vector<TreeEvent>* events);
  Err delete_node(std::string_view path, Zxid zxid, std::vector<TreeEvent>* events);
  Err set_data(std::string_view path, std::string_view data, bool data_is_null, int32_t version,
               Zxid zxid, int64_t time_ms, Stat* out, std::vector<TreeEvent>* events);
  Err set_acl(std::string_view path, AclRef acl, int32_t aversion, Stat* out);

  // Loading a snapshot. Inserts a node exactly as stored: the stat is kept, children are
  // rebuilt by linking each node into its parent, the owner indexes and data size are
  // maintained. The parent must be there already (snapshots write parents first): kNoNode
  // if not. The nodes a fresh tree starts with ("/", /zookeeper...) are overwritten (data,
  // stat, ACL); any other path already present is kNodeExists.
  Err restore_node(std::string_view path, NodeRecord record);
  // Room for `nodes` nodes, so a large load does not grow the table.
  void reserve(size_t nodes) { nodes_.reserve(nodes); }
  // restore_node for bulk loads that keep the parents of recent nodes at hand: `parent`, when
  // not null, must be the node at parent_path(path) (it is looked up otherwise), and a child
  // that sorts after its siblings, as in a snapshot's depth-first order, is appended without
  // a search. Returns the restored node, or null with `err` set as restore_node would return
  // it. Only the restored node may move (when it overwrites a built-in one): the Node*
  // of every other node, `parent` included, stays valid.
  Node* restore_node_under(Node* parent, const HashedPath& path, NodeRecord record, Err& err);
  // Starts loading where a node with this path_hash would go: a bulk load calls it some
  // nodes ahead of restoring that node.
  void prefetch(size_t path_hash_value) const { nodes_.prefetch(path_hash_value); }

  // Ephemerals owned by `session`, sorted; empty if none.
  const std::set<std::string>& ephemerals(SessionId session) const;
  const std::unordered_map<SessionId, std::set<std::string>>& all_ephemerals() const {
    return ephemerals_;
  }
  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttls() const { return ttls_; }

  size_t node_count() const { return nodes_.size(); }
  size_t ephemeral_count() const;
  // Sum of path and data lengths over all nodes (DataTree.approximateDataSize).
  int64_t approximate_data_size() const { return data_size_; }
  // Number of nodes below `path` (getAllChildrenNumber).
  int32_t descendant_count(std::string_view path) const;
  bool extended_types_enabled() const { return extended_types_enabled_; }

  // Visits every node as visit(const Node&), order unspecified; for digests, dumps, tests.
  template <class Visit>
  void for_each(Visit&& visit) const {
    nodes_.for_each(visit);
  }

 private:
  Node* find_mutable(std::string_view path) { return nodes_.find(path, path_hash(path)); }
  // Adds a node that is not there yet at the empty slot `probe` found, linked into `parent`
  // (null only for the root).
  Node* add_node(const NodeTable::Probe& probe, size_t hash, Node* parent, std::string_view path,
                 std::string_view data, bool data_is_null, AclRef acl, const NodeStat& stat);
  // Gives `node` new data, moving it when it does not fit its block; returns where it is.
  Node* replace_data(Node* node, size_t hash, std::string_view data, bool data_is_null);
  void index_owner(std::string_view path, int64_t owner);
  void unindex_owner(std::string_view path, int64_t owner);
  // Frees every node below `node` and its child index.
  void erase_descendants(Node* node);

  bool extended_types_enabled_;
  NodeTable nodes_;
  std::unordered_map<SessionId, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttls_;
  int64_t data_size_ = 0;
};

}  // namespace rk
