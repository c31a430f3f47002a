// Path validation and splitting, mirroring ZooKeeper's PathUtils on UTF-8 input.
#include "engine/path.h"

#include <array>
#include <cstdint>

namespace rk {
namespace {

// Decodes one UTF-8 sequence at `i`; returns the code point and advances `i`. Malformed
// input yields U+FFFD, as Java's decoder substitutes it.
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int extra = (b0 >= 0xF0 && b0 < 0xF8) ? 3 : (b0 >= 0xE0) ? 2 : (b0 >= 0xC2 && b0 < 0xE0) ? 1 : -1;
  if (extra < 0) {
    ++i;
    return 0xFFFD;
  }
  uint32_t cp = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    if (i + k >= s.size() || (byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  i += extra + 1;
  if (cp < kMin[extra] || cp > 0x10FFFF) return 0xFFFD;
  return cp;
}

bool is_forbidden_char(uint32_t c) {
  return (c > 0 && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xF8FF) ||
         (c >= 0xFFF0 && c <= 0xFFFF) || c > 0xFFFF;  // > U+FFFF: a surrogate pair in Java
}

// Printable ASCII except '/' and '.': bytes whose validity depends on nothing around them.
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7F; ++c) plain[c] = c != '/' && c != '.';
  return plain;
}();

}  // namespace

bool is_valid_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  size_t i = 1;
  while (i < path.size()) {
    // Most bytes are printable ASCII other than '/' and '.': nothing to decode or look back at.
    while (kPlainByte[static_cast<uint8_t>(path[i])]) {
      if (++i == path.size()) return true;
    }
    char c = path[i];
    char last = path[i - 1];
    if (c == '\0') return false;
    if (c == '/' && last == '/') return false;
    if (c == '.' && last == '/') {
      // "." or ".." as a whole component
      size_t end = i + 1;
      if (end < path.size() && path[end] == '.') ++end;
      if (end == path.size() || path[end] == '/') return false;
    }
    uint32_t cp = next_code_point(path, i);
    if (is_forbidden_char(cp)) return false;
  }
  return true;
}

std::string_view parent_path(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? kRootPath : path.substr(0, slash);
}

std::string_view node_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_special_path(std::string_view path) {
  return path == kRootPath || path == kZookeeperPath || path == kQuotaPath || path == kConfigPath;
}

}  // namespace rk
