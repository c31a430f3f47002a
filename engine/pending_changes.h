// Changes validated and logged but not yet applied (ZooKeeper's outstandingChanges): what a
// path will look like once every in-flight txn commits. Validation reads through this to
// the tree, because under group commit the tree lags behind validation.
// Owned by the engine core thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/acl.h"
#include "engine/data_tree.h"
#include "engine/types.h"

namespace rk {

// A node as validation sees it. `exists` false: deleted by an in-flight txn (or absent).
struct NodeView {
  bool exists = false;
  NodeStat stat;
  int32_t child_count = 0;
  AclRef acl;
};

struct ChangeRecord {
  Zxid zxid = 0;
  std::string path;
  NodeView view;
};

class PendingChanges {
 public:
  // The newest in-flight view of `path`, or null when no in-flight txn touches it.
  const NodeView* find(std::string_view path) const;

  // Records that txn `zxid` leaves `path` as `view`.
  void add(Zxid zxid, std::string path, NodeView view);

  // Txns up to `zxid` are applied to the tree: their records are no longer needed.
  void applied(Zxid zxid);

  // Multi validates op by op; when an op fails, every record the multi added is undone and
  // the views those records hid come back (PrepRequestProcessor.rollbackPendingChanges).
  size_t checkpoint();
  void rollback(size_t checkpoint);
  void end_checkpoint();

  size_t size() const { return records_.size(); }
  const std::deque<ChangeRecord>& records() const { return records_; }

 private:
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Undo {
    const ChangeRecord* replaced;  // what by_path_ held before, or null
    std::string path;
  };

  std::deque<ChangeRecord> records_;  // zxid order; references stay valid at both ends
  std::unordered_map<std::string, const ChangeRecord*, PathHash, std::equal_to<>> by_path_;
  bool in_checkpoint_ = false;
  std::vector<Undo> undo_;
};

}  // namespace rk
