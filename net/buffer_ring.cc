// BufferRing: mmap the ring and the slab, register the ring, hand every buffer to the kernel.
#include "net/buffer_ring.h"

#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <string>

namespace rk {
namespace {

void* map_anonymous(size_t bytes) {
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  return mem == MAP_FAILED ? nullptr : mem;
}

}  // namespace

Result<std::unique_ptr<BufferRing>> BufferRing::create(io_uring* ring, uint16_t group_id,
                                                       uint32_t count, uint32_t buffer_bytes) {
  if (!std::has_single_bit(count) || count > kMaxEntries || buffer_bytes == 0) {
    return Status::error("buffer ring: count must be a power of two <= 32768, size > 0");
  }
  std::unique_ptr<BufferRing> br(new BufferRing());
  br->ring_ = ring;
  br->group_id_ = group_id;
  br->count_ = count;
  br->buffer_bytes_ = buffer_bytes;
  br->entries_bytes_ = size_t{count} * sizeof(io_uring_buf);
  br->slab_bytes_ = size_t{count} * buffer_bytes;
  br->entries_ = static_cast<io_uring_buf_ring*>(map_anonymous(br->entries_bytes_));
  br->slab_ = static_cast<uint8_t*>(map_anonymous(br->slab_bytes_));
  if (br->entries_ == nullptr || br->slab_ == nullptr) {
    return Status::error(std::string("buffer ring mmap: ") + std::strerror(errno));
  }
  io_uring_buf_reg reg{};  // the 2.3 struct has pad/resv fields that must be zero
  reg.ring_addr = reinterpret_cast<uint64_t>(br->entries_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  if (int rc = io_uring_register_buf_ring(ring, &reg, 0); rc != 0) {
    return Status::error(std::string("io_uring_register_buf_ring: ") + std::strerror(-rc));
  }
  br->registered_ = true;
  io_uring_buf_ring_init(br->entries_);
  const int mask = io_uring_buf_ring_mask(count);
  for (uint32_t id = 0; id < count; ++id) {
    io_uring_buf_ring_add(br->entries_, br->slab_ + size_t{id} * buffer_bytes, buffer_bytes,
                          static_cast<uint16_t>(id), mask, static_cast<int>(id));
  }
  io_uring_buf_ring_advance(br->entries_, static_cast<int>(count));
  return br;
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
  if (entries_ != nullptr) munmap(entries_, entries_bytes_);
  if (slab_ != nullptr) munmap(slab_, slab_bytes_);
}

std::span<const uint8_t> BufferRing::take(uint16_t id, uint32_t len) {
  RK_ASSERT(id < count_ && len <= buffer_bytes_);
  ++out_;
  return {slab_ + size_t{id} * buffer_bytes_, len};
}

void BufferRing::recycle(uint16_t id) {
  RK_ASSERT(id < count_ && out_ > 0);
  io_uring_buf_ring_add(entries_, slab_ + size_t{id} * buffer_bytes_, buffer_bytes_, id,
                        io_uring_buf_ring_mask(count_), static_cast<int>(unpublished_));
  ++unpublished_;
  --out_;
}

void BufferRing::publish() {
  if (unpublished_ == 0) return;
  io_uring_buf_ring_advance(entries_, static_cast<int>(unpublished_));
  unpublished_ = 0;
}

}  // namespace rk
