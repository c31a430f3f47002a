// Changes validated and logged but not yet applied (ZooKeeper's outstandingChanges): what a
// path will look like once every in-flight txn commits. Validation reads through this to
// the tree, because under group commit the tree lags behind validation.
// Owned by the engine core thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/acl.h"
#include "engine/data_tree.h"
#include "engine/path.h"
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
  size_t path_hash = 0;  // path_hash(path)
  NodeView view;
};

class PendingChanges {
 public:
  // The newest in-flight view of `path`, or null when no in-flight txn touches it.
  const NodeView* find(std::string_view path) const { return find(hashed_path(path)); }
  const NodeView* find(const HashedPath& path) const;

  // Records that txn `zxid` leaves `path` as `view`. `hash` is path_hash(path).
  void add(Zxid zxid, std::string path, NodeView view) {
    size_t hash = path_hash(path);
    add(zxid, std::move(path), hash, std::move(view));
  }
  void add(Zxid zxid, std::string path, size_t hash, NodeView view);

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
  // by_path_'s entries: the newest record of a path, keyed by that record's own path and
  // hash, so the index copies no string and hashes nothing again. Re-pointing an entry at a
  // newer (or, on rollback, older) record of the same path keeps its key.
  struct Newest {
    mutable const ChangeRecord* record;
  };
  struct NewestHash {
    using is_transparent = void;
    size_t operator()(const Newest& n) const { return n.record->path_hash; }
    size_t operator()(const HashedPath& key) const { return key.hash; }
  };
  struct NewestEq {
    using is_transparent = void;
    static HashedPath key(const Newest& n) { return HashedPath{n.record->path, n.record->path_hash}; }
    static HashedPath key(const HashedPath& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      HashedPath x = key(a), y = key(b);
      return x.hash == y.hash && x.path == y.path;
    }
  };
  struct Undo {
    const ChangeRecord* replaced;  // what by_path_ held before, or null
    const ChangeRecord* added;     // the record that took its place (still in records_)
  };

  std::deque<ChangeRecord> records_;  // zxid order; references stay valid at both ends
  std::unordered_set<Newest, NewestHash, NewestEq> by_path_;
  bool in_checkpoint_ = false;
  std::vector<Undo> undo_;
};

}  // namespace rk
