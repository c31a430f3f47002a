// Applying a committed (or replayed) txn to the tree: DataTree.processTxn, including multi's
// all-or-nothing results. Session table changes are the caller's (Processor).
#pragma once

#include <string>
#include <vector>

#include "engine/data_tree.h"
#include "engine/request.h"
#include "engine/txn.h"

namespace rk {

struct ApplyResult {
  Err err = Err::kOk;
  std::string path;               // create*: the created path
  Stat stat;                      // create2/TTL/container, setData, setACL
  std::vector<OpResult> results;  // multi: one per sub-txn
};

// Applies `txn` (its data is moved into the tree). Idempotent. `events` may be null.
ApplyResult apply_txn(DataTree& tree, Txn&& txn, std::vector<TreeEvent>* events);
// Same, copying the txn's data.
ApplyResult apply_txn(DataTree& tree, const Txn& txn, std::vector<TreeEvent>* events);

}  // namespace rk
