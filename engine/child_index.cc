// Sorted chunks of child pointers.
#include "engine/child_index.h"

#include <mimalloc.h>

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "engine/node.h"

namespace rk {
namespace {

constexpr uint32_t kChunkSlotsMin = 2;  // a first child costs a 24-byte chunk

void move_slots(Node** to, Node* const* from, size_t count) { std::memmove(to, from, count * sizeof(Node*)); }

// Byte order of two names, as string_view::compare, inlined for the short names children
// have: eight bytes at a time, big-endian, so the first differing byte decides.
int compare_names(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= common; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; i < common; ++i) {
    auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace

ChildIndex::~ChildIndex() {
  for (Chunk* chunk : chunks_) mi_free(chunk);
}

ChildIndex::Chunk* ChildIndex::new_chunk(uint32_t capacity) {
  void* block = mi_malloc(sizeof(Chunk) + capacity * sizeof(Node*));
  RK_ASSERT(block != nullptr);
  // The bin may hold more slots than asked for: use them.
  size_t slots = (mi_usable_size(block) - sizeof(Chunk)) / sizeof(Node*);
  auto* chunk = static_cast<Chunk*>(block);
  chunk->size = 0;
  chunk->capacity = static_cast<uint32_t>(std::min<size_t>(slots, kChunkSlotsMax));
  return chunk;
}

ChildIndex::Chunk* ChildIndex::grown(Chunk* chunk) {
  Chunk* bigger = new_chunk(std::min(chunk->capacity * 2, kChunkSlotsMax));
  move_slots(bigger->slots(), chunk->slots(), chunk->size);
  bigger->size = chunk->size;
  mi_free(chunk);
  return bigger;
}

std::string_view ChildIndex::name_of(const Node* child) const {
  std::string_view path = child->path();
  return {path.data() + name_offset_, path.size() - name_offset_};
}

size_t ChildIndex::chunk_for(std::string_view name) const {
  auto it = std::partition_point(chunks_.begin(), chunks_.end(),
                                 [&](const Chunk* c) { return compare_names(name_of(c->slots()[c->size - 1]), name) < 0; });
  size_t chunk = static_cast<size_t>(it - chunks_.begin());
  return chunk == chunks_.size() ? chunk - 1 : chunk;
}

uint32_t ChildIndex::slot_for(const Chunk& chunk, std::string_view name, bool after) const {
  const Node* const* first = chunk.slots();
  const Node* const* it = std::partition_point(first, first + chunk.size, [&](const Node* child) {
    int order = compare_names(name_of(child), name);
    return after ? order <= 0 : order < 0;
  });
  return static_cast<uint32_t>(it - first);
}

void ChildIndex::insert(Node* child) {
  if (chunks_.empty()) {
    append(child);
    return;
  }
  std::string_view name = name_of(child);
  size_t chunk = chunk_for(name);
  uint32_t slot = slot_for(*chunks_[chunk], name, false);
  RK_ASSERT(slot == chunks_[chunk]->size || name_of(chunks_[chunk]->slots()[slot]) != name);
  // Between two chunks: the end of the earlier one, when it has room, keeps a run of
  // ascending names in one chunk.
  if (slot == 0 && chunk > 0 && chunks_[chunk - 1]->size < chunks_[chunk - 1]->capacity) {
    --chunk;
    slot = chunks_[chunk]->size;
  }
  insert_at(chunk, slot, child);
}

bool ChildIndex::sorts_last(const Node* child) const {
  if (chunks_.empty()) return true;
  const Chunk* last = chunks_.back();
  return compare_names(name_of(last->slots()[last->size - 1]), name_of(child)) < 0;
}

void ChildIndex::append(Node* child) {
  RK_ASSERT(sorts_last(child));
  if (chunks_.empty()) chunks_.push_back(new_chunk(kChunkSlotsMin));
  Chunk* last = chunks_.back();
  if (last->size == last->capacity) {
    if (last->capacity < kChunkSlotsMax) {
      last = chunks_.back() = grown(last);
    } else {
      last = new_chunk(kChunkSlotsMax);
      chunks_.push_back(last);
    }
  }
  last->slots()[last->size++] = child;
  ++size_;
}

void ChildIndex::insert_at(size_t chunk, uint32_t slot, Node* child) {
  if (chunks_[chunk]->size == chunks_[chunk]->capacity) std::tie(chunk, slot) = make_room(chunk, slot);
  Chunk* c = chunks_[chunk];
  move_slots(c->slots() + slot + 1, c->slots() + slot, c->size - slot);
  c->slots()[slot] = child;
  ++c->size;
  ++size_;
}

std::pair<size_t, uint32_t> ChildIndex::make_room(size_t chunk, uint32_t slot) {
  Chunk* c = chunks_[chunk];
  if (c->capacity < kChunkSlotsMax) {
    chunks_[chunk] = grown(c);
    return {chunk, slot};
  }
  Chunk* next = chunk + 1 < chunks_.size() ? chunks_[chunk + 1] : nullptr;
  if (next != nullptr && next->size < next->capacity) {  // hand the last pointer on
    if (slot == c->size) return {chunk + 1, 0};
    move_slots(next->slots() + 1, next->slots(), next->size);
    next->slots()[0] = c->slots()[c->size - 1];
    ++next->size;
    --c->size;
    return {chunk, slot};
  }
  Chunk* prev = chunk > 0 ? chunks_[chunk - 1] : nullptr;
  if (prev != nullptr && prev->size < prev->capacity) {  // hand the first pointer back
    if (slot == 0) return {chunk - 1, prev->size};
    prev->slots()[prev->size++] = c->slots()[0];
    move_slots(c->slots(), c->slots() + 1, c->size - 1);
    --c->size;
    return {chunk, slot - 1};
  }
  Chunk* fresh = new_chunk(kChunkSlotsMax);
  chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(chunk) + 1, fresh);
  if (slot == c->size) return {chunk + 1, 0};  // past the end: the new chunk starts there
  uint32_t half = c->size / 2;
  move_slots(fresh->slots(), c->slots() + half, c->size - half);
  fresh->size = c->size - half;
  c->size = half;
  if (slot <= half) return {chunk, slot};
  return {chunk + 1, slot - half};
}

bool ChildIndex::erase(std::string_view name) {
  if (chunks_.empty()) return false;
  size_t chunk = chunk_for(name);
  uint32_t slot = slot_for(*chunks_[chunk], name, false);
  if (slot == chunks_[chunk]->size || name_of(chunks_[chunk]->slots()[slot]) != name) return false;
  erase_at(chunk, slot);
  return true;
}

void ChildIndex::erase_at(size_t chunk, uint32_t slot) {
  Chunk* c = chunks_[chunk];
  move_slots(c->slots() + slot, c->slots() + slot + 1, c->size - slot - 1);
  --c->size;
  --size_;
  auto at = chunks_.begin() + static_cast<ptrdiff_t>(chunk);
  if (c->size == 0) {
    mi_free(c);
    chunks_.erase(at);
    return;
  }
  if (chunks_.size() == 1 || c->size > c->capacity / 4) return;
  Chunk* next = chunk + 1 < chunks_.size() ? chunks_[chunk + 1] : nullptr;
  Chunk* prev = chunk > 0 ? chunks_[chunk - 1] : nullptr;
  if (next != nullptr && next->size + c->size <= next->capacity) {
    move_slots(next->slots() + c->size, next->slots(), next->size);
    move_slots(next->slots(), c->slots(), c->size);
    next->size += c->size;
  } else if (prev != nullptr && prev->size + c->size <= prev->capacity) {
    move_slots(prev->slots() + prev->size, c->slots(), c->size);
    prev->size += c->size;
  } else {
    return;
  }
  mi_free(c);
  chunks_.erase(at);
}

Node* ChildIndex::find(std::string_view name) const {
  if (chunks_.empty()) return nullptr;
  const Chunk* c = chunks_[chunk_for(name)];
  uint32_t slot = slot_for(*c, name, false);
  if (slot == c->size || name_of(c->slots()[slot]) != name) return nullptr;
  return c->slots()[slot];
}

void ChildIndex::replace(const Node* old, Node* moved) {
  std::string_view name = name_of(moved);
  RK_ASSERT(!chunks_.empty());
  Chunk* c = chunks_[chunk_for(name)];
  uint32_t slot = slot_for(*c, name, false);
  RK_ASSERT(slot < c->size && c->slots()[slot] == old);
  c->slots()[slot] = moved;
}

ChildIndex::Iterator ChildIndex::upper_bound(std::string_view name) const {
  auto it = std::partition_point(chunks_.begin(), chunks_.end(),
                                 [&](const Chunk* c) { return compare_names(name_of(c->slots()[c->size - 1]), name) <= 0; });
  if (it == chunks_.end()) return end();
  size_t chunk = static_cast<size_t>(it - chunks_.begin());
  return Iterator(this, chunk, slot_for(**it, name, true));
}

bool ChildIndex::well_formed() const {
  size_t count = 0;
  const Node* previous = nullptr;
  for (const Chunk* c : chunks_) {
    if (c->size == 0 || c->size > c->capacity || c->capacity > kChunkSlotsMax) return false;
    for (uint32_t i = 0; i < c->size; ++i) {
      if (previous != nullptr && !(name_of(previous) < name_of(c->slots()[i]))) return false;
      previous = c->slots()[i];
    }
    count += c->size;
  }
  return count == size_;
}

}  // namespace rk
