// The resumable depth-first walk.
#include "snapshot/tree_cursor.h"

#include "base/assert.h"
#include "engine/path.h"

namespace rk {

bool TreeCursor::next(const DataTree& tree, const Node*& node) {
  if (!started_) {
    started_ = true;
    node = tree.find(kRootPath);
    RK_ASSERT(node != nullptr);  // the root cannot be deleted
    stack_.push_back(Frame{std::string(kRootPath), {}, false});
    cached_ = false;
    return true;
  }
  while (!stack_.empty()) {
    Frame& frame = stack_.back();
    if (!cached_) {
      top_ = tree.find(frame.path);
      if (top_ == nullptr) {  // deleted since: its subtree went with it
        stack_.pop_back();
        continue;
      }
      next_child_ = frame.started ? top_->children().upper_bound(frame.last) : top_->children().begin();
      cached_ = true;
    }
    if (next_child_ == top_->children().end()) {
      stack_.pop_back();
      cached_ = false;
      continue;
    }
    node = *next_child_;
    ++next_child_;
    frame.last = node->name();
    frame.started = true;
    if (node->child_count() != 0) {
      stack_.push_back(Frame{std::string(node->path()), {}, false});
      cached_ = false;
    }
    return true;
  }
  return false;
}

}  // namespace rk
