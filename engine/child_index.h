// The children of one node, ordered by name: pointers to the child nodes in sorted chunks,
// the names read from the children's own paths (never copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

namespace rk {

class Node;

// Owned by the parent Node, on the engine thread.
//
// Two levels: a vector of chunks, each a sorted array of at most kChunkSlotsMax pointers;
// every name in a chunk sorts before every name in the next. A search is a binary search
// over the chunks' last names, then one within a chunk, so insert, erase, find and
// upper_bound stay O(log n) plus a move of at most one chunk's pointers (and, on a split or
// a merge, of the chunk vector: n / kChunkSlotsMax words), even for a million children.
//
// Fill: a full chunk first hands an end pointer to a neighbour with room, and splits only
// when neither has any; an insert past a chunk's end starts a new chunk. Appends in sorted
// order (a snapshot load) and ascending runs in the middle (sequential names under several
// writers) leave chunks nearly full, random inserts at least half full. A chunk that an
// erase leaves no more than a quarter full is merged into a neighbour that has room.
class ChildIndex {
 public:
  static constexpr uint32_t kChunkSlotsMax = 255;  // with its 8-byte header, a chunk of 2 KiB

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = const Node*;
    using difference_type = std::ptrdiff_t;
    using pointer = const Node* const*;
    using reference = const Node*;

    Iterator() = default;
    const Node* operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& other) const { return chunk_ == other.chunk_ && slot_ == other.slot_; }

   private:
    friend class ChildIndex;
    Iterator(const ChildIndex* index, size_t chunk, uint32_t slot) : index_(index), chunk_(chunk), slot_(slot) {}
    const ChildIndex* index_ = nullptr;
    size_t chunk_ = 0;
    uint32_t slot_ = 0;
  };

  // `name_offset`: where a child's name starts in its path (the parent's path length plus
  // one, or 1 under the root).
  explicit ChildIndex(size_t name_offset) : name_offset_(name_offset) {}
  ~ChildIndex();
  ChildIndex(const ChildIndex&) = delete;
  ChildIndex& operator=(const ChildIndex&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Adds a child whose name is not present.
  void insert(Node* child);
  // Adds a child that sorts after every present one (asserted), without a search.
  void append(Node* child);
  // Whether `child`'s name sorts after every present one: append() may take it.
  bool sorts_last(const Node* child) const;
  // Removes the child named `name`; false if there is none.
  bool erase(std::string_view name);
  Node* find(std::string_view name) const;
  // `moved` took the place of `old` (same path, `old` not yet freed): the slot holding `old`
  // now holds `moved`.
  void replace(const Node* old, Node* moved);

  Iterator begin() const { return Iterator(this, 0, 0); }
  Iterator end() const { return Iterator(this, chunks_.size(), 0); }
  // The first child whose name sorts after `name`.
  Iterator upper_bound(std::string_view name) const;

  // Checks every invariant (order, chunk sizes, count); for tests.
  bool well_formed() const;
  size_t chunk_count() const { return chunks_.size(); }

 private:
  struct Chunk {
    uint32_t size;
    uint32_t capacity;
    Node** slots() { return reinterpret_cast<Node**>(this + 1); }
    Node* const* slots() const { return reinterpret_cast<Node* const*>(this + 1); }
  };
  static Chunk* new_chunk(uint32_t capacity);
  static Chunk* grown(Chunk* chunk);

  std::string_view name_of(const Node* child) const;
  // The chunk a name belongs in: the first whose last name is >= `name`, or the last one.
  size_t chunk_for(std::string_view name) const;
  // The first slot of `chunk` whose name is >= `name` (> when `after`).
  uint32_t slot_for(const Chunk& chunk, std::string_view name, bool after) const;
  void insert_at(size_t chunk, uint32_t slot, Node* child);
  // Makes room in the full chunk `chunk` for an insert at `slot`; returns where it goes.
  std::pair<size_t, uint32_t> make_room(size_t chunk, uint32_t slot);
  void erase_at(size_t chunk, uint32_t slot);

  std::vector<Chunk*> chunks_;
  size_t size_ = 0;
  size_t name_offset_;
};

inline const Node* ChildIndex::Iterator::operator*() const { return index_->chunks_[chunk_]->slots()[slot_]; }

inline ChildIndex::Iterator& ChildIndex::Iterator::operator++() {
  if (++slot_ == index_->chunks_[chunk_]->size) {
    ++chunk_;
    slot_ = 0;
  }
  return *this;
}

// A node's children as a range of const Node*, empty when the node has none.
class ChildList {
 public:
  explicit ChildList(const ChildIndex* index) : index_(index) {}
  ChildIndex::Iterator begin() const { return index_ ? index_->begin() : ChildIndex::Iterator(); }
  ChildIndex::Iterator end() const { return index_ ? index_->end() : ChildIndex::Iterator(); }
  ChildIndex::Iterator upper_bound(std::string_view name) const {
    return index_ ? index_->upper_bound(name) : ChildIndex::Iterator();
  }
  size_t size() const { return index_ ? index_->size() : 0; }
  bool empty() const { return size() == 0; }

 private:
  const ChildIndex* index_;
};

}  // namespace rk
