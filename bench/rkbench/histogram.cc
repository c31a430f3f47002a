// Quantiles and merging for the log-linear histogram.
#include "bench/rkbench/histogram.h"

#include <algorithm>
#include <cmath>

namespace rkbench {

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < kBucketCount; i++) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

uint64_t Histogram::quantile_ns(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_ns_;
  // The rank of the value sought, 1-based: the smallest value with at least q of the
  // samples at or below it.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; i++) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = lowest_of(i) + (highest_of(i) - lowest_of(i)) / 2;
      return std::min(mid, max_ns_);
    }
  }
  return max_ns_;
}

}  // namespace rkbench
