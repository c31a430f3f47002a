// Read requests, answered from the applied tree (FinalRequestProcessor's read cases and
// DataTree.setWatches). Reads never change the tree; some register or remove watches.
#include <algorithm>

#include "engine/path.h"
#include "engine/processor_impl.h"

namespace rk {
namespace {

// getACL without ADMIN: digest ids show only the user ("user:x"), as replaceAll(":.*", ":x").
AclList masked_acl(const AclList& acl) {
  AclList out = acl;
  for (Acl& a : out) {
    if (a.id.scheme != "digest") continue;
    size_t colon = a.id.id.find(':');
    if (colon != std::string::npos) a.id.id = a.id.id.substr(0, colon) + ":x";
  }
  return out;
}

bool valid_watcher_type(int32_t type) { return type >= 1 && type <= 5; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

void Processor::Impl::run_read(Connection& conn, Request& request, int64_t received_mono_ms) {
  std::unique_ptr<Outbound> message = reply_to(conn.ref);
  Response& reply = message->reply;
  reply.xid = request.xid;
  reply.type = request.type;
  reply.err = read_op(conn, request, reply);
  if (reply.err != Err::kOk) {
    Response bare;  // an error carries no body
    bare.xid = reply.xid;
    bare.type = reply.type;
    bare.err = reply.err;
    reply = std::move(bare);
  }
  reply.zxid = last_processed_zxid_;
  send_reply(conn, std::move(message), received_mono_ms);
}

Err Processor::Impl::read_op(Connection& conn, Request& request, Response& reply) {
  const std::string& path = request.path;
  auto readable = [&conn](const Node& node, int32_t perm) {
    return acl_permits(*node.acl(), perm, conn.ids);
  };
  if (request.malformed) return Err::kMarshallingError;
  switch (request.type) {
    case OpCode::kPing:
      return Err::kOk;
    case OpCode::kSync:
      reply.path = path;
      return Err::kOk;
    case OpCode::kExists: {
      if (path.find('\0') != std::string::npos) return Err::kBadArguments;
      // No ACL check: ZooKeeper answers exists for any node, readable or not.
      const Node* node = tree_.find(path);
      if (request.watch) watches_.add(path, conn.watcher, node ? WatchKind::kData : WatchKind::kExist);
      if (node == nullptr) return Err::kNoNode;
      reply.stat = tree_.stat_of(*node);
      return Err::kOk;
    }
    case OpCode::kGetData: {
      const Node* node = tree_.find(path);
      if (node == nullptr) return Err::kNoNode;
      if (!readable(*node, perm::kRead)) return Err::kNoAuth;
      if (request.watch) watches_.add(path, conn.watcher, WatchKind::kData);
      reply.data = node->data();
      reply.data_is_null = node->data_is_null();
      reply.stat = tree_.stat_of(*node);
      return Err::kOk;
    }
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: {
      const Node* node = tree_.find(path);
      if (node == nullptr) return Err::kNoNode;
      if (!readable(*node, perm::kRead)) return Err::kNoAuth;
      if (request.watch) watches_.add(path, conn.watcher, WatchKind::kChild);
      reply.children = node->child_names();
      if (request.type == OpCode::kGetChildren2) reply.stat = tree_.stat_of(*node);
      return Err::kOk;
    }
    case OpCode::kGetAcl: {
      const Node* node = tree_.find(path);
      if (node == nullptr) return Err::kNoNode;
      if (!readable(*node, perm::kRead | perm::kAdmin)) return Err::kNoAuth;
      reply.acl = readable(*node, perm::kAdmin) ? *node->acl() : masked_acl(*node->acl());
      reply.stat = tree_.stat_of(*node);
      return Err::kOk;
    }
    case OpCode::kGetAllChildrenNumber: {
      const Node* node = tree_.find(path);
      if (node == nullptr) return Err::kNoNode;
      if (!readable(*node, perm::kRead)) return Err::kNoAuth;
      reply.number = tree_.descendant_count(path);
      return Err::kOk;
    }
    case OpCode::kGetEphemerals: {
      std::string_view prefix = trim(path);
      bool all = prefix.empty() || prefix == "/";
      for (const std::string& p : tree_.ephemerals(conn.session)) {
        if (all || p.starts_with(path)) reply.children.push_back(p);
      }
      return Err::kOk;
    }
    case OpCode::kWhoAmI:
      for (const Id& id : conn.ids) reply.client_ids.push_back(Id{id.scheme, auth_user(id)});
      return Err::kOk;
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
      set_watches(conn, request.watches);
      return Err::kOk;
    case OpCode::kAddWatch:
      if (request.flags != static_cast<int32_t>(AddWatchMode::kPersistent) &&
          request.flags != static_cast<int32_t>(AddWatchMode::kPersistentRecursive)) {
        return Err::kMarshallingError;  // WatcherMode.fromZooDef throws
      }
      watches_.add(path, conn.watcher,
                   request.flags == static_cast<int32_t>(AddWatchMode::kPersistent)
                       ? WatchKind::kPersistent
                       : WatchKind::kPersistentRecursive);
      return Err::kOk;
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches: {
      if (!valid_watcher_type(request.flags)) return Err::kMarshallingError;
      // The client raises the *WatchRemoved events itself once the reply says Ok; the server
      // sends none (DataTree.removeWatch).
      std::vector<FiredWatch> removed;
      bool found = watches_.remove(path, static_cast<WatcherType>(request.flags), conn.watcher,
                                   request.type == OpCode::kRemoveWatches, removed);
      return found ? Err::kOk : Err::kNoWatcher;
    }
    case OpCode::kMultiRead:
      return multi_read(conn, request, reply);
    default:
      return Err::kUnimplemented;
  }
}

Err Processor::Impl::multi_read(Connection& conn, Request& request, Response& reply) {
  // Only getData and getChildren may appear; anything else fails the whole request, as the
  // record fails to decode in ZooKeeper.
  for (const Request& op : request.ops) {
    if (op.type != OpCode::kGetData && op.type != OpCode::kGetChildren) return Err::kMarshallingError;
  }
  reply.results.reserve(request.ops.size());
  for (const Request& op : request.ops) {
    OpResult r;
    const Node* node = tree_.find(op.path);
    if (node == nullptr) {
      r.err = Err::kNoNode;
    } else if (!acl_permits(*node->acl(), perm::kRead, conn.ids)) {
      r.err = Err::kNoAuth;
    } else if (op.type == OpCode::kGetData) {
      r.type = OpCode::kGetData;
      r.data = node->data();
      r.data_is_null = node->data_is_null();
      r.stat = tree_.stat_of(*node);
    } else {
      r.type = OpCode::kGetChildren;
      r.children = node->child_names();
    }
    reply.results.push_back(std::move(r));
  }
  return Err::kOk;
}

void Processor::Impl::set_watches(Connection& conn, const WatchSet& set) {
  // DataTree.setWatches: what changed after relative_zxid fires now (no zxid, no ACL
  // filter); the rest is registered again.
  auto fire = [&](EventType type, const std::string& path) {
    send_event(conn, WatchEvent{type, KeeperState::kSyncConnected, path, -1});
  };
  Zxid rel = set.relative_zxid;
  for (const std::string& path : set.data) {
    const Node* node = tree_.find(path);
    if (node == nullptr) {
      fire(EventType::kNodeDeleted, path);
    } else if (node->stat.mzxid > rel) {
      fire(EventType::kNodeDataChanged, path);
    } else {
      watches_.add(path, conn.watcher, WatchKind::kData);
    }
  }
  for (const std::string& path : set.exist) {
    if (tree_.find(path) != nullptr) {
      fire(EventType::kNodeCreated, path);
    } else {
      watches_.add(path, conn.watcher, WatchKind::kExist);
    }
  }
  for (const std::string& path : set.child) {
    const Node* node = tree_.find(path);
    if (node == nullptr) {
      fire(EventType::kNodeDeleted, path);
    } else if (node->stat.pzxid > rel) {
      fire(EventType::kNodeChildrenChanged, path);
    } else {
      watches_.add(path, conn.watcher, WatchKind::kChild);
    }
  }
  for (const std::string& path : set.persistent) watches_.add(path, conn.watcher, WatchKind::kPersistent);
  for (const std::string& path : set.persistent_recursive) {
    watches_.add(path, conn.watcher, WatchKind::kPersistentRecursive);
  }
}

}  // namespace rk
