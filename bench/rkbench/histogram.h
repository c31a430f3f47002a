// A log-linear latency histogram in the manner of HdrHistogram: exact below 256 ns, then 128
// linear sub-buckets per power of two (relative error under 0.8%), values clamped at 2^40 ns
// (about 18 minutes). Owned by one worker thread; merged by the main thread after the run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace rkbench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 8;                        // 256 exact values
  static constexpr uint64_t kHalf = uint64_t{1} << (kSubBucketBits - 1);
  static constexpr int kValueBitsMax = 40;
  static constexpr uint64_t kValueMax = (uint64_t{1} << kValueBitsMax) - 1;
  static constexpr size_t kBucketCount = kHalf * (kValueBitsMax - kSubBucketBits + 2);

  void record(uint64_t value_ns) {
    if (value_ns > kValueMax) value_ns = kValueMax;
    counts_[index_of(value_ns)]++;
    count_++;
    sum_ns_ += value_ns;
    if (value_ns > max_ns_) max_ns_ = value_ns;
  }

  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_ns_) / count_ : 0.0; }
  // The value at quantile q in [0, 1]: the midpoint of the bucket holding it (max for q = 1).
  uint64_t quantile_ns(double q) const;

  static size_t index_of(uint64_t value) {
    if (value < 2 * kHalf) return value;
    int msb = 63 - __builtin_clzll(value);
    int shift = msb - (kSubBucketBits - 1);
    return kHalf * shift + (value >> shift);
  }
  static uint64_t lowest_of(size_t index) {
    if (index < 2 * kHalf) return index;
    uint64_t shift = index / kHalf - 1;
    return (index - kHalf * shift) << shift;
  }
  static uint64_t highest_of(size_t index) {
    if (index < 2 * kHalf) return index;
    uint64_t shift = index / kHalf - 1;
    return lowest_of(index) + (uint64_t{1} << shift) - 1;
  }

 private:
  // The largest value (msb = kValueBitsMax - 1) must land inside counts_.
  static_assert(kHalf * (kValueBitsMax - kSubBucketBits) + 2 * kHalf - 1 < kBucketCount);
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t max_ns_ = 0;
};

}  // namespace rkbench
