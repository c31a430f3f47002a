// Txns: the deterministic, idempotent state changes that go through the txn log. One Txn per
// write request, including failed ones, which are logged as error txns and consume a zxid,
// as in ZooKeeper. Applying a txn twice leaves the tree as applying it once (fuzzy snapshots
// rely on this).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"

namespace rk {

// The body fields each type uses (the others stay at their defaults):
//   kCreate, kCreate2           path, data, data_is_null, acl, ephemeral, parent_cversion
//   kCreateContainer            path, data, data_is_null, acl, parent_cversion
//   kCreateTtl                  path, data, data_is_null, acl, parent_cversion, ttl_ms
//   kDelete, kDeleteContainer   path
//   kSetData                    path, data, data_is_null, version (the node's new version)
//   kSetAcl                     path, acl, version (the node's new aversion)
//   kCheck                      path, version (the checked version + 1, as ZooKeeper logs it)
//   kError                      err
//   kCreateSession              timeout_ms
//   kCloseSession               paths (the session's ephemerals when the txn was made)
//   kMulti                      ops (sub-txns of the types above, except sessions and multi;
//                               their header fields equal this txn's)
struct Txn {
  SessionId session_id = 0;
  int32_t cxid = 0;
  Zxid zxid = 0;
  int64_t time_ms = 0;  // wall clock at the leader when the txn was made
  OpCode type = OpCode::kError;

  std::string path;
  std::string data;
  bool data_is_null = false;
  AclList acl;
  bool ephemeral = false;        // owned by session_id
  int32_t parent_cversion = -1;  // the parent's stored cversion after this create
  int64_t ttl_ms = 0;
  int32_t version = 0;
  Err err = Err::kOk;
  int32_t timeout_ms = 0;
  std::vector<std::string> paths;
  std::vector<Txn> ops;

  bool operator==(const Txn&) const = default;
};

// A txn with its header set and an empty body.
inline Txn make_txn(SessionId session_id, int32_t cxid, Zxid zxid, int64_t time_ms, OpCode type) {
  Txn txn;
  txn.session_id = session_id;
  txn.cxid = cxid;
  txn.zxid = zxid;
  txn.time_ms = time_ms;
  txn.type = type;
  return txn;
}

}  // namespace rk
