// Txn application (DataTree.processTxn): one switch over the txn type, multi as a loop over
// sub-txns that applies nothing when any of them is an error txn.
#include "engine/txn_apply.h"

#include <algorithm>

#include "base/assert.h"

namespace rk {
namespace {

int64_t owner_for(const Txn& txn) {
  switch (txn.type) {
    case OpCode::kCreateContainer: return kContainerOwner;
    case OpCode::kCreateTtl: return ttl_owner(txn.ttl_ms);
    default: return txn.ephemeral ? txn.session_id : 0;
  }
}

ApplyResult apply_one(DataTree& tree, Txn& txn, std::vector<TreeEvent>* events);

ApplyResult apply_multi(DataTree& tree, Txn& txn, std::vector<TreeEvent>* events) {
  ApplyResult rc;
  bool failed = std::any_of(txn.ops.begin(), txn.ops.end(),
                            [](const Txn& op) { return op.type == OpCode::kError; });
  bool past_failure = false;
  for (Txn& op : txn.ops) {
    OpResult r;
    if (failed) {
      // Nothing applies. Ops before the failing one read Ok, the failing one its error,
      // the ones after RuntimeInconsistency (DataTree.processTxn, multi case).
      r.type = OpCode::kError;
      if (op.type == OpCode::kError) {
        r.err = op.err;
        past_failure = true;
      } else {
        r.err = past_failure ? Err::kRuntimeInconsistency : Err::kOk;
      }
    } else {
      op.session_id = txn.session_id;
      op.zxid = txn.zxid;
      op.time_ms = txn.time_ms;
      ApplyResult sub = apply_one(tree, op, events);
      r.type = op.type;
      r.err = sub.err;
      r.path = std::move(sub.path);
      r.stat = sub.stat;
    }
    if (r.err != Err::kOk && rc.err == Err::kOk) rc.err = r.err;
    rc.results.push_back(std::move(r));
  }
  return rc;
}

ApplyResult apply_close_session(DataTree& tree, const Txn& txn, std::vector<TreeEvent>* events) {
  // The paths named in the txn, then whatever else the session still owns here.
  for (const std::string& path : txn.paths) (void)tree.delete_node(path, txn.zxid, events);
  std::vector<std::string> rest(tree.ephemerals(txn.session_id).begin(),
                                tree.ephemerals(txn.session_id).end());
  for (const std::string& path : rest) (void)tree.delete_node(path, txn.zxid, events);
  return ApplyResult{};
}

ApplyResult apply_one(DataTree& tree, Txn& txn, std::vector<TreeEvent>* events) {
  ApplyResult rc;
  switch (txn.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      rc.err = tree.create_node(txn.path, std::move(txn.data), txn.data_is_null,
                                make_acl(std::move(txn.acl)), owner_for(txn), txn.parent_cversion,
                                txn.zxid, txn.time_ms, &rc.stat, events);
      rc.path = std::move(txn.path);  // the txn is used up; the tree copied what it keeps
      break;
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      rc.path = txn.path;
      rc.err = tree.delete_node(txn.path, txn.zxid, events);
      break;
    case OpCode::kSetData:
      rc.path = txn.path;
      rc.err = tree.set_data(txn.path, std::move(txn.data), txn.data_is_null, txn.version,
                             txn.zxid, txn.time_ms, &rc.stat, events);
      break;
    case OpCode::kSetAcl:
      rc.path = txn.path;
      rc.err = tree.set_acl(txn.path, make_acl(std::move(txn.acl)), txn.version, &rc.stat);
      break;
    case OpCode::kCheck:
      rc.path = txn.path;
      break;
    case OpCode::kError:
      rc.err = txn.err;
      break;
    case OpCode::kMulti:
      rc = apply_multi(tree, txn, events);
      break;
    case OpCode::kCloseSession:
      rc = apply_close_session(tree, txn, events);
      break;
    case OpCode::kCreateSession:
      break;
    default:
      RK_ASSERT(false && "txn of a type no prep step makes");
  }
  return rc;
}

}  // namespace

ApplyResult apply_txn(DataTree& tree, Txn&& txn, std::vector<TreeEvent>* events) {
  return apply_one(tree, txn, events);
}

ApplyResult apply_txn(DataTree& tree, const Txn& txn, std::vector<TreeEvent>* events) {
  Txn copy = txn;
  return apply_one(tree, copy, events);
}

}  // namespace rk
