// Open addressing with linear probing and backward-shift erasure.
#include "engine/node_table.h"

#include <mimalloc.h>

#include <utility>

#include "base/assert.h"

namespace rk {

NodeTable::~NodeTable() { destroy_all(); }

NodeTable::NodeTable(NodeTable&& other) noexcept
    : slots_(std::exchange(other.slots_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

NodeTable& NodeTable::operator=(NodeTable&& other) noexcept {
  if (this != &other) {
    destroy_all();
    slots_ = std::exchange(other.slots_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void NodeTable::destroy_all() {
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i] != 0) Node::destroy(node_of(slots_[i]));
  }
  mi_free(slots_);
  slots_ = nullptr;
  capacity_ = size_ = 0;
}

size_t NodeTable::probe(std::string_view path, size_t hash) const {
  const uint64_t tag = tag_of(hash);
  for (size_t i = home(high_half(hash));; i = next(i)) {
    uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if ((slot & ~kAddressMask) == tag && node_of(slot)->path() == path) return i;
  }
}

Node* NodeTable::find(std::string_view path, size_t hash) const {
  if (size_ == 0) return nullptr;
  return node_of(slots_[probe(path, hash)]);  // an empty slot reads as null
}

NodeTable::Probe NodeTable::probe_for_add(std::string_view path, size_t hash) {
  if ((size_ + 1) * kLoadDenominator > capacity_ * kLoadNumerator) {
    rehash(std::max(kCapacityMin, capacity_ + capacity_ / 2));
  }
  size_t slot = probe(path, hash);
  return Probe{slot, node_of(slots_[slot])};
}

void NodeTable::add(const Probe& probe, Node* node, size_t hash) {
  const auto address = reinterpret_cast<uint64_t>(node);
  RK_ASSERT(probe.found == nullptr && slots_[probe.slot] == 0);
  RK_ASSERT(address != 0 && (address & ~kAddressMask) == 0);
  node->hash_high_ = high_half(hash);
  slots_[probe.slot] = address | tag_of(hash);
  ++size_;
}

Node* NodeTable::remove(std::string_view path, size_t hash) {
  if (size_ == 0) return nullptr;
  size_t hole = probe(path, hash);
  Node* removed = node_of(slots_[hole]);
  if (removed == nullptr) return nullptr;
  // Shift back every entry of the run after the hole that may sit there: one whose home is
  // not cyclically inside (hole, at].
  for (size_t at = next(hole); slots_[at] != 0; at = next(at)) {
    size_t entry_home = home(node_of(slots_[at])->hash_high_);
    size_t home_to_at = (at + capacity_ - entry_home) % capacity_;
    size_t hole_to_at = (at + capacity_ - hole) % capacity_;
    if (home_to_at >= hole_to_at) {
      slots_[hole] = slots_[at];
      hole = at;
    }
  }
  slots_[hole] = 0;
  --size_;
  return removed;
}

void NodeTable::replace(size_t hash, const Node* old, Node* moved) {
  const auto address = reinterpret_cast<uint64_t>(moved);
  RK_ASSERT(address != 0 && (address & ~kAddressMask) == 0);
  moved->hash_high_ = high_half(hash);
  for (size_t i = home(high_half(hash));; i = next(i)) {
    RK_ASSERT(slots_[i] != 0);  // `old` is in the table
    if (node_of(slots_[i]) == old) {
      slots_[i] = address | tag_of(hash);
      return;
    }
  }
}

void NodeTable::reserve(size_t nodes) {
  size_t needed = (nodes * kLoadDenominator + kLoadNumerator - 1) / kLoadNumerator;
  if (needed > capacity_) rehash(std::max(kCapacityMin, needed));
}

void NodeTable::rehash(size_t capacity) {
  RK_ASSERT(size_ * kLoadDenominator <= capacity * kLoadNumerator && capacity <= UINT32_MAX);
  auto* slots = static_cast<uint64_t*>(mi_zalloc(capacity * sizeof(uint64_t)));
  RK_ASSERT(slots != nullptr);
  std::swap(slots, slots_);
  std::swap(capacity, capacity_);
  for (size_t i = 0; i < capacity; ++i) {  // `slots` and `capacity` are the old table now
    if (slots[i] == 0) continue;
    size_t at = home(node_of(slots[i])->hash_high_);
    while (slots_[at] != 0) at = next(at);
    slots_[at] = slots[i];
  }
  mi_free(slots);
}

}  // namespace rk
