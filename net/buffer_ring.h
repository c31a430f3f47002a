// BufferRing: a provided-buffer ring built by hand (liburing 2.3 has no
// io_uring_setup_buf_ring): a fixed slab of equal buffers the kernel picks from for recv.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"

namespace rk {

// Owned by one reactor thread, like the io_uring it is registered with (which must outlive
// it). A buffer is "out" from the moment the kernel fills it until recycle(); recycled
// buffers become visible to the kernel at the next publish() (one index store per batch).
class BufferRing {
 public:
  static constexpr uint32_t kMaxEntries = 32768;  // kernel limit for a buffer ring

  // count: power of two <= kMaxEntries; buffer_bytes > 0.
  static Result<std::unique_ptr<BufferRing>> create(io_uring* ring, uint16_t group_id,
                                                    uint32_t count, uint32_t buffer_bytes);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group_id() const { return group_id_; }
  uint32_t count() const { return count_; }
  uint32_t buffer_bytes() const { return buffer_bytes_; }
  // Buffers the kernel may fill (published and not taken, as far as we know).
  uint32_t available() const { return count_ - out_ - unpublished_; }

  // Called for each completion that carried buffer `id` with `len` bytes: marks it out.
  std::span<const uint8_t> take(uint16_t id, uint32_t len);
  const uint8_t* data(uint16_t id) const { return slab_ + size_t{id} * buffer_bytes_; }
  void recycle(uint16_t id);
  void publish();

 private:
  BufferRing() = default;
  io_uring* ring_ = nullptr;
  io_uring_buf_ring* entries_ = nullptr;  // shared with the kernel
  size_t entries_bytes_ = 0;
  uint8_t* slab_ = nullptr;
  size_t slab_bytes_ = 0;
  uint16_t group_id_ = 0;
  uint32_t count_ = 0;
  uint32_t buffer_bytes_ = 0;
  uint32_t out_ = 0;          // taken and not yet recycled
  uint32_t unpublished_ = 0;  // recycled since the last publish()
  bool registered_ = false;
};

}  // namespace rk
