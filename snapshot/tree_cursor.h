// A resumable depth-first walk over a DataTree that is mutated between calls, for fuzzy
// snapshots: no copy of the tree, no pause of writes.
#pragma once

#include <string>
#include <vector>

#include "engine/data_tree.h"

namespace rk {

// Owned by SnapshotWriter on the engine thread (the only thread that touches the tree).
//
// The position is a stack of (node path, last child name emitted). Resuming re-finds each
// node by path and continues at children.upper_bound(last), so it survives any mutation:
// a node deleted since is popped with its subtree, children created before the position are
// skipped, after it are visited. Guarantees: a node is emitted at most once; its parent was
// emitted before it; a node that exists throughout the walk is emitted.
class TreeCursor {
 public:
  // Drops the iterator held into the tree: call whenever the tree may have changed since
  // the last next().
  void invalidate() { cached_ = false; }

  // The next node in depth-first order, children by sorted name. False once the walk ended.
  // `node` stays valid until the tree changes.
  bool next(const DataTree& tree, const Node*& node);

  bool finished() const { return started_ && stack_.empty(); }

 private:
  struct Frame {
    std::string path;
    std::string last;      // the last child emitted
    bool started = false;  // false: no child emitted yet
  };
  std::vector<Frame> stack_;
  bool started_ = false;
  bool cached_ = false;
  const Node* top_ = nullptr;  // stack_.back()'s node while cached_
  ChildIndex::Iterator next_child_;
};

}  // namespace rk
