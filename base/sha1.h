// SHA-1 (FIPS 180-4), for ZooKeeper's digest authentication: an ACL id is
// "user:" + base64(sha1("user:password")). Not for anything that needs collision resistance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rk {

using Sha1Digest = std::array<uint8_t, 20>;

// Incremental hashing: update() any number of times, then finish() once.
class Sha1 {
 public:
  Sha1();
  void update(std::string_view bytes);
  Sha1Digest finish();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 5> state_;
  std::array<uint8_t, 64> block_{};
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

Sha1Digest sha1(std::string_view bytes);

}  // namespace rk
