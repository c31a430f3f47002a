// In-flight change records: a zxid-ordered deque plus an index of the newest record per path.
#include "engine/pending_changes.h"

#include "base/assert.h"

namespace rk {

const NodeView* PendingChanges::find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second->view;
}

void PendingChanges::add(Zxid zxid, std::string path, NodeView view) {
  RK_ASSERT(records_.empty() || records_.back().zxid <= zxid);
  records_.push_back(ChangeRecord{zxid, std::move(path), std::move(view)});
  const ChangeRecord* record = &records_.back();
  auto [it, inserted] = by_path_.try_emplace(record->path, record);
  if (in_checkpoint_) undo_.push_back(Undo{inserted ? nullptr : it->second, record->path});
  if (!inserted) it->second = record;
}

void PendingChanges::applied(Zxid zxid) {
  while (!records_.empty() && records_.front().zxid <= zxid) {
    const ChangeRecord* record = &records_.front();
    auto it = by_path_.find(record->path);
    if (it != by_path_.end() && it->second == record) by_path_.erase(it);
    records_.pop_front();
  }
}

size_t PendingChanges::checkpoint() {
  RK_ASSERT(!in_checkpoint_);
  in_checkpoint_ = true;
  undo_.clear();
  return records_.size();
}

void PendingChanges::rollback(size_t checkpoint) {
  RK_ASSERT(in_checkpoint_ && checkpoint <= records_.size());
  // Undo the index in reverse, then drop the records themselves.
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->replaced == nullptr) {
      by_path_.erase(it->path);
    } else {
      by_path_[it->path] = it->replaced;
    }
  }
  while (records_.size() > checkpoint) records_.pop_back();
  end_checkpoint();
}

void PendingChanges::end_checkpoint() {
  in_checkpoint_ = false;
  undo_.clear();
}

}  // namespace rk
