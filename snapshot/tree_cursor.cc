// The resumable depth-first walk.
#include "snapshot/tree_cursor.h"

#include "base/assert.h"
#include "engine/path.h"

namespace rk {

bool TreeCursor::next(const DataTree& tree, std::string& path, const Node*& node) {
  if (!started_) {
    started_ = true;
    node = tree.find(kRootPath);
    RK_ASSERT(node != nullptr);  // the root cannot be deleted
    path.assign(kRootPath);
    stack_.push_back(Frame{path, {}, false});
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
      next_child_ = frame.started ? top_->children.upper_bound(frame.last) : top_->children.begin();
      cached_ = true;
    }
    if (next_child_ == top_->children.end()) {
      stack_.pop_back();
      cached_ = false;
      continue;
    }
    const std::string& name = *next_child_++;
    frame.last = name;
    frame.started = true;
    path.assign(frame.path);
    if (path.size() > 1) path += '/';
    path += name;
    node = tree.find(path);
    RK_ASSERT(node != nullptr);  // a children set names only existing nodes
    if (!node->children.empty()) {
      stack_.push_back(Frame{path, {}, false});
      cached_ = false;
    }
    return true;
  }
  return false;
}

}  // namespace rk
