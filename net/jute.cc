// Bounds-checked jute field reading and big-endian field writing.
#include "net/jute.h"

#include <limits>

#include "base/assert.h"

namespace rk {

namespace {

uint32_t load_be32(const uint8_t* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof(value));
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap32(value);
  return value;
}

uint64_t load_be64(const uint8_t* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap64(value);
  return value;
}

}  // namespace

const uint8_t* JuteReader::take(size_t n) {
  if (failed_ || bytes_.size() - offset_ < n) {
    failed_ = true;
    return nullptr;
  }
  const uint8_t* p = bytes_.data() + offset_;
  offset_ += n;
  return p;
}

int32_t JuteReader::read_int() {
  const uint8_t* p = take(4);
  return p ? static_cast<int32_t>(load_be32(p)) : 0;
}

int64_t JuteReader::read_long() {
  const uint8_t* p = take(8);
  return p ? static_cast<int64_t>(load_be64(p)) : 0;
}

bool JuteReader::read_bool() {
  const uint8_t* p = take(1);
  return p && *p != 0;
}

bool JuteReader::read_buffer(std::string& out) {
  out.clear();
  int32_t length = read_int();
  if (failed_) return false;
  if (length == -1) return true;
  if (length < -1) {
    failed_ = true;
    return false;
  }
  const uint8_t* p = take(static_cast<size_t>(length));
  if (p) out.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(length));
  return false;
}

int32_t JuteReader::read_count(size_t element_bytes_min) {
  RK_ASSERT(element_bytes_min > 0);  // else any count would fit
  int32_t count = read_int();
  if (failed_) return 0;
  if (count == -1) return 0;
  if (count < -1) {
    failed_ = true;
    return 0;
  }
  // Dividing instead of multiplying keeps a huge count from overflowing the check.
  if (static_cast<size_t>(count) > remaining() / element_bytes_min) {
    failed_ = true;
    return 0;
  }
  return count;
}

void JuteReader::read_string_vector(std::vector<std::string>& out) {
  out.clear();
  int32_t count = read_count(4);  // every ustring carries at least its length
  out.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && !failed_; ++i) read_string(out.emplace_back());
}

void JuteWriter::write_buffer(std::string_view bytes) {
  write_count(bytes.size());
  out_.append(bytes);
}

void JuteWriter::write_count(size_t count) {
  RK_ASSERT(count <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  write_int(static_cast<int32_t>(count));
}

void JuteWriter::write_string_vector(const std::vector<std::string>& items) {
  write_count(items.size());
  for (const std::string& item : items) write_string(item);
}

size_t JuteWriter::begin_frame() {
  size_t frame_start = out_.size();
  write_int(0);
  return frame_start;
}

void JuteWriter::end_frame(size_t frame_start) {
  RK_ASSERT(frame_start + 4 <= out_.size());
  size_t payload_bytes = out_.size() - frame_start - 4;
  RK_ASSERT(payload_bytes <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  for (size_t i = 0; i < 4; ++i) {
    out_[frame_start + i] = static_cast<char>((payload_bytes >> (8 * (3 - i))) & 0xff);
  }
}

}  // namespace rk
