// Jute, the binary encoding of ZooKeeper records: big-endian int/long, 1-byte bool, buffers and
// strings as int length (-1 = null) + bytes, vectors as int count (-1 = null) + elements.
#pragma once

#include <cstddef>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rk {

// Reads fields from untrusted bytes. The first out-of-bounds or malformed field sets a sticky
// failure flag; every later read then returns a zero value without touching the input, so a
// decoder may read a whole record and check failed() once at the end.
class JuteReader {
 public:
  explicit JuteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  int32_t read_int();
  int64_t read_long();
  bool read_bool();  // any non-zero byte is true, as Java's readBoolean
  // A buffer or ustring into `out`; returns true when the length was -1 (null), which leaves
  // `out` empty. Lengths below -1 or past the end of the input fail.
  bool read_buffer(std::string& out);
  // A ustring; null decodes as the empty string.
  void read_string(std::string& out) { read_buffer(out); }
  // A vector's element count; -1 (null) reads as 0. Fails unless `count` elements of at least
  // `element_bytes_min` bytes each fit in what is left, so the count can size an allocation.
  int32_t read_count(size_t element_bytes_min);
  void read_string_vector(std::vector<std::string>& out);

  // Marks the input malformed (for checks a caller makes on decoded values).
  void fail() { failed_ = true; }
  bool failed() const { return failed_; }
  size_t remaining() const { return failed_ ? 0 : bytes_.size() - offset_; }
  size_t offset() const { return offset_; }

 private:
  // Returns the next `n` bytes and advances, or nullptr (and fails) when fewer are left.
  const uint8_t* take(size_t n);

  std::span<const uint8_t> bytes_;
  size_t offset_ = 0;
  bool failed_ = false;
};

// Big-endian stores into a buffer the caller sized: fixed-size records (a reply header, a
// Stat) are built on the stack and appended with one copy instead of a bounds-checked append
// per byte.
inline char* put_int(char* at, int32_t value) {
  uint32_t be = static_cast<uint32_t>(value);
  if constexpr (std::endian::native == std::endian::little) be = __builtin_bswap32(be);
  std::memcpy(at, &be, sizeof(be));
  return at + sizeof(be);
}
inline char* put_long(char* at, int64_t value) {
  uint64_t be = static_cast<uint64_t>(value);
  if constexpr (std::endian::native == std::endian::little) be = __builtin_bswap64(be);
  std::memcpy(at, &be, sizeof(be));
  return at + sizeof(be);
}

// Appends fields to a string. Writing our own values cannot fail; a string or vector longer
// than an int can count is a bug of the caller (asserted).
class JuteWriter {
 public:
  explicit JuteWriter(std::string& out) : out_(out) {}

  void write_int(int32_t value) {
    char bytes[4];
    put_int(bytes, value);
    out_.append(bytes, sizeof(bytes));
  }
  void write_long(int64_t value) {
    char bytes[8];
    put_long(bytes, value);
    out_.append(bytes, sizeof(bytes));
  }
  // Bytes already in wire order (a record built with put_int / put_long).
  void write_raw(std::string_view bytes) { out_.append(bytes); }
  void write_bool(bool value) { out_.push_back(value ? 1 : 0); }
  void write_buffer(std::string_view bytes);
  void write_null_buffer() { write_int(-1); }
  void write_string(std::string_view text) { write_buffer(text); }
  void write_count(size_t count);
  void write_string_vector(const std::vector<std::string>& items);

  // A frame is an int length + payload: begin_frame reserves the length, end_frame fills it
  // in with the number of bytes written since.
  size_t begin_frame();
  void end_frame(size_t frame_start);

 private:
  std::string& out_;
};

}  // namespace rk
