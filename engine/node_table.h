// The path -> node table of a DataTree: open addressing over node pointers, one word a slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/node.h"

namespace rk {

// Owned by its DataTree (engine thread); owns the nodes it holds and frees them with itself.
//
// Linear probing over `capacity_` slots, any capacity below 2^32: a hash picks its home slot
// by its high half (high * capacity / 2^32), so growing by half keeps the load between 0.53
// and 0.8. A slot is 0 (empty) or a node address with the hash's low 16 bits in its top 16
// (user-space addresses have them clear, asserted): a probe reads a node only when the tag
// matches. Erasing shifts the entries after the hole back (no tombstones), so a miss ends
// at the first empty slot.
//
// Callers pass path_hash(path) in; a lookup never hashes again, and growth and erasure read
// the high half each node keeps (Node::hash_high_) instead of hashing its path.
class NodeTable {
 public:
  // Where a path is, or where it would go.
  struct Probe {
    size_t slot;
    Node* found;  // null: `slot` is empty and may take the path
  };

  NodeTable() = default;
  ~NodeTable();
  NodeTable(NodeTable&& other) noexcept;
  NodeTable& operator=(NodeTable&& other) noexcept;
  NodeTable(const NodeTable&) = delete;
  NodeTable& operator=(const NodeTable&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  Node* find(std::string_view path, size_t hash) const;
  // Makes room for one more node first, so a probe that found nothing can be passed to add().
  Probe probe_for_add(std::string_view path, size_t hash);
  // Takes ownership of `node`, at the empty slot `probe` found; no other change in between.
  void add(const Probe& probe, Node* node, size_t hash);
  // Removes the node at `path` and hands it back (the caller destroys it); null if absent.
  Node* remove(std::string_view path, size_t hash);
  // `moved` took the place of `old` (the same path, hashed to `hash`).
  void replace(size_t hash, const Node* old, Node* moved);
  // Room for `nodes` nodes without growing.
  void reserve(size_t nodes);
  // Starts loading the home slot of `hash`, for a bulk load that knows its next paths.
  void prefetch(size_t hash) const {
    if (capacity_ != 0) __builtin_prefetch(&slots_[home(high_half(hash))]);
  }

  template <class Visit>
  void for_each(Visit&& visit) const {
    // Slots are in hash order, nodes anywhere: fetch a node some slots ahead of its visit.
    constexpr size_t kAhead = 16;
    for (size_t i = 0; i < capacity_; ++i) {
      if (i + kAhead < capacity_) __builtin_prefetch(node_of(slots_[i + kAhead]));
      if (slots_[i] != 0) visit(*node_of(slots_[i]));
    }
  }

 private:
  static constexpr unsigned kTagShift = 48;
  static constexpr uint64_t kAddressMask = (uint64_t{1} << kTagShift) - 1;
  // At most 4 of 5 slots in use.
  static constexpr size_t kLoadNumerator = 4;
  static constexpr size_t kLoadDenominator = 5;
  static constexpr size_t kCapacityMin = 16;

  static Node* node_of(uint64_t slot) { return reinterpret_cast<Node*>(slot & kAddressMask); }
  static uint64_t tag_of(size_t hash) { return static_cast<uint64_t>(hash & 0xffff) << kTagShift; }
  static uint32_t high_half(size_t hash) { return static_cast<uint32_t>(static_cast<uint64_t>(hash) >> 32); }
  size_t home(uint32_t hash_high) const { return (static_cast<uint64_t>(hash_high) * capacity_) >> 32; }
  size_t next(size_t slot) const { return slot + 1 == capacity_ ? 0 : slot + 1; }
  size_t probe(std::string_view path, size_t hash) const;  // the slot of `path` or the empty one
  void rehash(size_t capacity);
  void destroy_all();

  uint64_t* slots_ = nullptr;  // capacity_ slots, from mimalloc
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace rk
