// In-flight change records: a zxid-ordered deque plus an index of the newest record per path.
#include "engine/pending_changes.h"

#include "base/assert.h"

namespace rk {

const NodeView* PendingChanges::find(const HashedPath& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->record->view;
}

void PendingChanges::add(Zxid zxid, std::string path, size_t hash, NodeView view) {
  RK_ASSERT(records_.empty() || records_.back().zxid <= zxid);
  const ChangeRecord* record = &records_.emplace_back(zxid, std::move(path), hash, std::move(view));
  auto [it, inserted] = by_path_.insert(Newest{record});
  if (in_checkpoint_) undo_.push_back(Undo{inserted ? nullptr : it->record, record});
  if (!inserted) it->record = record;
}

void PendingChanges::applied(Zxid zxid) {
  while (!records_.empty() && records_.front().zxid <= zxid) {
    const ChangeRecord* record = &records_.front();
    auto it = by_path_.find(HashedPath{record->path, record->path_hash});
    if (it != by_path_.end() && it->record == record) by_path_.erase(it);
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
    auto entry = by_path_.find(HashedPath{it->added->path, it->added->path_hash});
    RK_ASSERT(entry != by_path_.end() && entry->record == it->added);
    if (it->replaced == nullptr) {
      by_path_.erase(entry);
    } else {
      entry->record = it->replaced;
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
