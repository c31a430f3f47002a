// SpscRing: a fixed-capacity single-producer/single-consumer queue for handing work between
// two threads (reactor <-> engine). One thread may push, one other thread may pop; no locks.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

namespace rk {

// Capacity is a power of two so an index maps to a slot with a mask. Indices grow without
// wrapping in practice (size_t), so "full" is tail - head == Capacity.
// Each side keeps a private copy of the other side's index and only reads the shared one when
// that copy says full (producer) or empty (consumer): the shared line moves between cores
// once per burst, not once per item.
template <typename T, size_t Capacity>
class SpscRing {
  static_assert(std::has_single_bit(Capacity), "capacity must be a power of two");
  static_assert(Capacity >= 2);
  static_assert(std::is_nothrow_default_constructible_v<T>);
  static_assert(std::is_nothrow_move_assignable_v<T>);

 public:
  static constexpr size_t kCapacity = Capacity;

  // Producer thread only.
  bool try_push(T&& item) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - producer_cached_head_ == Capacity) {
      producer_cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - producer_cached_head_ == Capacity) return false;
    }
    slots_[tail & kMask] = std::move(item);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  bool try_push(const T& item) {
    T copy = item;
    return try_push(std::move(copy));
  }

  // Producer thread only. Pushes a prefix of `items`, returns its length.
  size_t push_burst(std::span<const T> items) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    size_t free_slots = Capacity - (tail - producer_cached_head_);
    if (free_slots < items.size()) {
      producer_cached_head_ = head_.load(std::memory_order_acquire);
      free_slots = Capacity - (tail - producer_cached_head_);
    }
    const size_t n = std::min(free_slots, items.size());
    for (size_t i = 0; i < n; ++i) slots_[(tail + i) & kMask] = items[i];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer thread only.
  std::optional<T> try_pop() {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head == consumer_cached_tail_) {
      consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == consumer_cached_tail_) return std::nullopt;
    }
    T item = std::move(slots_[head & kMask]);
    head_.store(head + 1, std::memory_order_release);
    return item;
  }

  // Consumer thread only. Moves up to out.size() items into `out`, returns how many.
  size_t pop_burst(std::span<T> out) {
    const size_t head = head_.load(std::memory_order_relaxed);
    size_t ready = consumer_cached_tail_ - head;
    if (ready < out.size()) {
      consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
      ready = consumer_cached_tail_ - head;
    }
    const size_t n = std::min(ready, out.size());
    for (size_t i = 0; i < n; ++i) out[i] = std::move(slots_[(head + i) & kMask]);
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  // Either thread; exact only when the other side is quiet (a snapshot otherwise).
  bool empty() const {
    return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
  }
  size_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  static constexpr size_t kMask = Capacity - 1;
  static constexpr size_t kLine = 64;  // x86-64 / arm64 cache line

  // Consumer-owned line: its index and its copy of the producer's.
  alignas(kLine) std::atomic<size_t> head_{0};
  size_t consumer_cached_tail_ = 0;
  // Producer-owned line.
  alignas(kLine) std::atomic<size_t> tail_{0};
  size_t producer_cached_head_ = 0;
  alignas(kLine) std::array<T, Capacity> slots_{};
};

}  // namespace rk
