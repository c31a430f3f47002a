// Write validation, step for step as ZooKeeper 3.8's PrepRequestProcessor.pRequest2Txn: the
// order of the checks decides which error a client sees when several apply.
#include "engine/prep.h"

#include <cstdio>

#include "base/assert.h"
#include "engine/path.h"

namespace rk {
namespace {

bool is_multi_op(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kCheck:
      return true;
    default:
      return false;
  }
}

// Delete's getParentPathAndValidate: a '/', no NUL, not a reserved node.
bool valid_delete_path(std::string_view path) {
  return path.find('/') != std::string_view::npos && path.find('\0') == std::string_view::npos &&
         !is_special_path(path);
}

Err check_version(int32_t current, int32_t expected) {
  return expected != -1 && expected != current ? Err::kBadVersion : Err::kOk;
}

void make_error(Txn& txn, Err err) {
  txn = make_txn(txn.session_id, txn.cxid, txn.zxid, txn.time_ms, OpCode::kError);
  txn.err = err;
}

struct CreateMode3 {
  bool ephemeral, sequential, container, ttl;
};

bool decode_create_mode(int32_t flags, CreateMode3& mode) {
  switch (static_cast<CreateMode>(flags)) {
    case CreateMode::kPersistent: mode = {false, false, false, false}; return true;
    case CreateMode::kEphemeral: mode = {true, false, false, false}; return true;
    case CreateMode::kPersistentSequential: mode = {false, true, false, false}; return true;
    case CreateMode::kEphemeralSequential: mode = {true, true, false, false}; return true;
    case CreateMode::kContainer: mode = {false, false, true, false}; return true;
    case CreateMode::kPersistentWithTtl: mode = {false, false, false, true}; return true;
    case CreateMode::kPersistentSequentialWithTtl: mode = {false, true, false, true}; return true;
  }
  return false;
}

}  // namespace

bool is_write_op(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
    case OpCode::kSetData:
    case OpCode::kSetAcl:
    case OpCode::kMulti:
    case OpCode::kReconfig:
    case OpCode::kCloseSession:
      return true;
    default:
      return false;
  }
}

NodeView Prep::view(const HashedPath& path) const {
  if (const NodeView* pending = pending_.find(path)) return *pending;
  const Node* node = tree_.find(path);
  if (node == nullptr) return NodeView{};
  return NodeView{true, node->stat, static_cast<int32_t>(node->child_count()), node->acl()};
}

void Prep::record_parent(const HashedPath& parent, const NodeView& before, int child_delta,
                         Txn& txn, int32_t new_cversion) {
  NodeView after = before;
  after.child_count += child_delta;
  after.stat.cversion = new_cversion;
  after.stat.pzxid = txn.zxid;
  pending_.add(txn.zxid, std::string(parent.path), parent.hash, std::move(after));
}

void Prep::write(Request& request, const std::vector<Id>& ids, Txn& txn) {
  txn.type = request.type;
  if (request.malformed) {
    make_error(txn, Err::kMarshallingError);
    return;
  }
  if (request.type == OpCode::kMulti) {
    multi(request, ids, txn);
    return;
  }
  Err err = one_op(request, ids, txn);
  if (err != Err::kOk) make_error(txn, err);
}

Err Prep::one_op(Request& request, const std::vector<Id>& ids, Txn& txn) {
  txn.type = request.type;
  switch (request.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      return create(request, ids, txn);
    case OpCode::kDelete:
      return remove(request, ids, txn);
    case OpCode::kDeleteContainer:
      return remove_container(request.path, txn);
    case OpCode::kSetData:
      return set_data(request, ids, txn);
    case OpCode::kSetAcl:
      return set_acl(request, ids, txn);
    case OpCode::kCheck:
      return check(request, ids, txn);
    case OpCode::kReconfig:
      return Err::kReconfigDisabled;  // reconfigEnabled is false: refused before anything else
    default:
      RK_ASSERT(false && "not a write");
      return Err::kSystemError;
  }
}

Err Prep::create(Request& request, const std::vector<Id>& ids, Txn& txn) {
  CreateMode3 mode;
  if (!decode_create_mode(request.flags, mode)) return Err::kBadArguments;  // CreateMode.fromFlag
  int64_t ttl = request.type == OpCode::kCreateTtl ? request.ttl : -1;
  // validateCreateRequest
  if (mode.ttl && !config_.extended_types_enabled) return Err::kUnimplemented;
  if (mode.ttl ? (ttl <= 0 || ttl > kTtlMaxMs) : ttl >= 0) return Err::kBadArguments;
  // validatePathForCreate: only the shape needed to find the parent; the full check follows
  // once the sequence suffix is known.
  std::string path = std::move(request.path);
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || path.find('\0') != std::string::npos) return Err::kBadArguments;
  // A view into `path`, except for a sequential node, whose suffix may move path's bytes.
  std::string sequential_parent;
  std::string_view parent_name = slash == 0 ? kRootPath : std::string_view(path).substr(0, slash);
  if (mode.sequential) parent_name = sequential_parent.assign(parent_name);
  HashedPath parent = hashed_path(parent_name);

  AclList acl;
  if (Err e = fixup_acl(request.acl, ids, acl); e != Err::kOk) return e;
  NodeView parent_view = view(parent);
  if (!parent_view.exists) return Err::kNoNode;
  if (!acl_permits(*parent_view.acl, perm::kCreate, ids)) return Err::kNoAuth;
  if (mode.sequential) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "%010d", parent_view.stat.cversion);
    path += suffix;
  }
  if (!is_valid_path(path)) return Err::kBadArguments;
  size_t path_hash_value = path_hash(path);
  if (view(HashedPath{path, path_hash_value}).exists) return Err::kNodeExists;
  if (node_kind(parent_view.stat.ephemeral_owner, config_.extended_types_enabled) ==
      NodeKind::kEphemeral) {
    return Err::kNoChildrenForEphemerals;
  }

  int32_t new_cversion = parent_view.stat.cversion + 1;
  int64_t owner = 0;
  if (request.type == OpCode::kCreateContainer) {
    owner = kContainerOwner;
  } else if (request.type == OpCode::kCreateTtl) {
    owner = ttl_owner(ttl);
    txn.ttl_ms = ttl;
  } else if (mode.ephemeral) {
    owner = txn.session_id;
    txn.ephemeral = true;
  }
  record_parent(parent, parent_view, +1, txn, new_cversion);
  NodeStat stat{.czxid = txn.zxid, .mzxid = txn.zxid, .pzxid = txn.zxid, .ctime = txn.time_ms, .mtime = txn.time_ms,
                .ephemeral_owner = owner};
  pending_.add(txn.zxid, path, path_hash_value, NodeView{true, stat, 0, make_acl(acl)});

  txn.path = std::move(path);
  txn.data = std::move(request.data);
  txn.data_is_null = request.data_is_null;
  txn.acl = std::move(acl);
  txn.parent_cversion = new_cversion;
  return Err::kOk;
}

Err Prep::remove(const Request& request, const std::vector<Id>& ids, Txn& txn) {
  const std::string& path = request.path;
  if (!valid_delete_path(path)) return Err::kBadArguments;
  HashedPath parent = hashed_path(parent_path(path));
  NodeView parent_view = view(parent);
  if (!parent_view.exists) return Err::kNoNode;
  if (!acl_permits(*parent_view.acl, perm::kDelete, ids)) return Err::kNoAuth;
  HashedPath key = hashed_path(path);
  NodeView node = view(key);
  if (!node.exists) return Err::kNoNode;
  if (Err e = check_version(node.stat.version, request.version); e != Err::kOk) return e;
  if (node.child_count > 0) return Err::kNotEmpty;

  record_parent(parent, parent_view, -1, txn, parent_view.stat.cversion);
  pending_.add(txn.zxid, path, key.hash, NodeView{});
  txn.path = path;
  return Err::kOk;
}

Err Prep::remove_container(const std::string& path, Txn& txn) {
  txn.type = OpCode::kDeleteContainer;
  if (!valid_delete_path(path)) return Err::kBadArguments;
  HashedPath key = hashed_path(path);
  NodeView node = view(key);
  if (!node.exists) return Err::kNoNode;
  if (node.child_count > 0) return Err::kNotEmpty;
  // ZooKeeper refuses session ephemerals here (with BadVersion) and nothing else.
  if (node_kind(node.stat.ephemeral_owner, config_.extended_types_enabled) == NodeKind::kEphemeral) {
    return Err::kBadVersion;
  }
  HashedPath parent = hashed_path(parent_path(path));
  NodeView parent_view = view(parent);
  if (!parent_view.exists) return Err::kNoNode;

  record_parent(parent, parent_view, -1, txn, parent_view.stat.cversion);
  pending_.add(txn.zxid, path, key.hash, NodeView{});
  txn.path = path;
  return Err::kOk;
}

Err Prep::set_data(Request& request, const std::vector<Id>& ids, Txn& txn) {
  if (!is_valid_path(request.path)) return Err::kBadArguments;
  HashedPath key = hashed_path(request.path);
  NodeView node = view(key);
  if (!node.exists) return Err::kNoNode;
  if (!acl_permits(*node.acl, perm::kWrite, ids)) return Err::kNoAuth;
  if (Err e = check_version(node.stat.version, request.version); e != Err::kOk) return e;

  node.stat.version += 1;
  node.stat.mtime = txn.time_ms;
  node.stat.mzxid = txn.zxid;
  txn.version = node.stat.version;
  pending_.add(txn.zxid, request.path, key.hash, std::move(node));
  txn.path = std::move(request.path);
  txn.data = std::move(request.data);
  txn.data_is_null = request.data_is_null;
  return Err::kOk;
}

Err Prep::set_acl(Request& request, const std::vector<Id>& ids, Txn& txn) {
  if (!is_valid_path(request.path)) return Err::kBadArguments;
  AclList acl;
  if (Err e = fixup_acl(request.acl, ids, acl); e != Err::kOk) return e;
  NodeView node = view(request.path);
  if (!node.exists) return Err::kNoNode;
  if (!acl_permits(*node.acl, perm::kAdmin, ids)) return Err::kNoAuth;
  if (Err e = check_version(node.stat.aversion, request.version); e != Err::kOk) return e;

  node.stat.aversion += 1;
  node.acl = make_acl(acl);
  txn.version = node.stat.aversion;
  pending_.add(txn.zxid, request.path, std::move(node));
  txn.path = std::move(request.path);
  txn.acl = std::move(acl);
  return Err::kOk;
}

Err Prep::check(const Request& request, const std::vector<Id>& ids, Txn& txn) {
  if (!is_valid_path(request.path)) return Err::kBadArguments;
  NodeView node = view(request.path);
  if (!node.exists) return Err::kNoNode;
  if (!acl_permits(*node.acl, perm::kRead, ids)) return Err::kNoAuth;
  if (Err e = check_version(node.stat.version, request.version); e != Err::kOk) return e;
  txn.path = request.path;
  txn.version = node.stat.version + 1;
  return Err::kOk;
}

void Prep::multi(Request& request, const std::vector<Id>& ids, Txn& txn) {
  // Ops other than the write kinds (reads included) fail decoding in ZooKeeper: the whole
  // request becomes a MarshallingError error txn.
  for (const Request& op : request.ops) {
    CreateMode3 mode;
    bool is_create = op.type == OpCode::kCreate || op.type == OpCode::kCreate2 ||
                     op.type == OpCode::kCreateContainer;
    if (!is_multi_op(op.type) || (is_create && !decode_create_mode(op.flags, mode))) {
      make_error(txn, Err::kMarshallingError);
      return;
    }
  }
  size_t checkpoint = pending_.checkpoint();
  bool failed = false;
  txn.ops.reserve(request.ops.size());
  for (Request& op : request.ops) {
    // ZooKeeper runs a create2 inside multi as a plain create: its result carries the path
    // and no Stat.
    if (op.type == OpCode::kCreate2) op.type = OpCode::kCreate;
    Txn sub = make_txn(txn.session_id, txn.cxid, txn.zxid, txn.time_ms, op.type);
    if (failed) {
      make_error(sub, Err::kRuntimeInconsistency);
    } else if (Err err = one_op(op, ids, sub); err != Err::kOk) {
      failed = true;
      pending_.rollback(checkpoint);
      // Earlier ops apply nothing now; they report Ok (DataTree.processTxn, multi case).
      for (Txn& done : txn.ops) make_error(done, Err::kOk);
      make_error(sub, err);
    }
    txn.ops.push_back(std::move(sub));
  }
  if (!failed) pending_.end_checkpoint();
}

void Prep::close_session(Txn& txn) {
  txn.type = OpCode::kCloseSession;
  std::set<std::string> doomed = tree_.ephemerals(txn.session_id);
  for (const ChangeRecord& c : pending_.records()) {
    if (!c.view.exists) {
      doomed.erase(c.path);
    } else if (c.view.stat.ephemeral_owner == txn.session_id) {
      doomed.insert(c.path);
    }
  }
  for (const std::string& path : doomed) {
    // ZooKeeper leaves the parent's child count as it was here; we drop it, so a delete of
    // the parent validated before this txn applies does not see a phantom child.
    HashedPath parent = hashed_path(parent_path(path));
    NodeView parent_view = view(parent);
    if (parent_view.exists) record_parent(parent, parent_view, -1, txn, parent_view.stat.cversion);
    pending_.add(txn.zxid, path, NodeView{});
  }
  txn.paths.assign(doomed.begin(), doomed.end());
}

void Prep::delete_container(std::string path, Txn& txn) {
  Err err = remove_container(path, txn);
  if (err != Err::kOk) make_error(txn, err);
}

}  // namespace rk
