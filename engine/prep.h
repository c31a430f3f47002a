// Write validation (PrepRequestProcessor): a write request becomes a Txn, checked against the
// tree plus every in-flight change, and the change it will make is recorded as in flight.
// A request that fails validation becomes an error txn. Owned by the engine core thread.
#pragma once

#include <string>
#include <vector>

#include "engine/data_tree.h"
#include "engine/pending_changes.h"
#include "engine/processor.h"
#include "engine/request.h"
#include "engine/txn.h"

namespace rk {

// True for the opcodes that become txns.
bool is_write_op(OpCode type);

class Prep {
 public:
  Prep(const DataTree& tree, PendingChanges& pending, const EngineConfig& config)
      : tree_(tree), pending_(pending), config_(config) {}

  // `txn` arrives with its header set (session, cxid, zxid, time). Its body is filled from
  // `request` (whose data and ACL are moved out); on failure it becomes an error txn.
  void write(Request& request, const std::vector<Id>& ids, Txn& txn);

  // closeSession for txn.session_id: deletes every ephemeral the session will own once the
  // in-flight txns apply.
  void close_session(Txn& txn);

  // deleteContainer (issued by the container sweep): no ACL check, as ZooKeeper.
  void delete_container(std::string path, Txn& txn);

  // The node as validation sees it: the newest in-flight view, else the tree.
  NodeView view(std::string_view path) const { return view(hashed_path(path)); }
  NodeView view(const HashedPath& path) const;

 private:
  Err one_op(Request& request, const std::vector<Id>& ids, Txn& txn);
  Err create(Request& request, const std::vector<Id>& ids, Txn& txn);
  Err remove(const Request& request, const std::vector<Id>& ids, Txn& txn);
  Err set_data(Request& request, const std::vector<Id>& ids, Txn& txn);
  Err set_acl(Request& request, const std::vector<Id>& ids, Txn& txn);
  Err check(const Request& request, const std::vector<Id>& ids, Txn& txn);
  Err remove_container(const std::string& path, Txn& txn);
  void multi(Request& request, const std::vector<Id>& ids, Txn& txn);
  // Records the parent's view after a child is added (+1) or removed (-1).
  void record_parent(const HashedPath& parent, const NodeView& before, int child_delta, Txn& txn,
                     int32_t new_cversion);

  const DataTree& tree_;
  PendingChanges& pending_;
  const EngineConfig& config_;
};

}  // namespace rk
