// LatencyHistogram: a log-bucketed histogram of non-negative integers
// (microseconds in sync-loadgen), after HdrHistogram.
//
// Values below 256 are counted exactly; above, every power-of-two range is
// split into 128 equal sub-buckets, so a reported percentile is at most
// 1/128 (< 1%, two significant digits) above the true value. Values up to
// kHighestTrackable (100 s in microseconds) keep that precision; larger ones
// land in the top bucket. count, min and max are exact. Memory is fixed
// (about 21 KiB) whatever is recorded, and Merge() adds two histograms.
//
// Header-only so that unit tests can include it without linking the
// service. Not thread-safe: one writer, or a lock around it.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace datasync {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 8;
  static constexpr uint64_t kSubBucketCount = uint64_t{1} << kSubBucketBits;
  static constexpr uint64_t kSubBucketHalf = kSubBucketCount / 2;
  static constexpr uint64_t kHighestTrackable = 100'000'000;

  LatencyHistogram() : counts_(BucketCount(), 0) {}

  void Record(uint64_t value) { RecordN(value, 1); }

  void RecordN(uint64_t value, uint64_t n) {
    if (n == 0) return;
    counts_[IndexOf(value)] += n;
    count_ += n;
    sum_ += static_cast<double>(value) * static_cast<double>(n);
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other) {
    if (other.count_ == 0) return;
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  void Reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    sum_ = 0;
    min_ = std::numeric_limits<uint64_t>::max();
    max_ = 0;
  }

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }

  // The smallest bucket bound at or below which `percentile` percent of the
  // values lie, clamped to [min, max] so that p0 and p100 are exact; max
  // for ranks in the top bucket. 0 when empty. `percentile` outside
  // [0, 100] is clamped.
  uint64_t ValueAtPercentile(double percentile) const {
    if (count_ == 0) return 0;
    const double p = std::clamp(percentile, 0.0, 100.0);
    const auto rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
    if (rank >= count_) return max_;
    uint64_t seen = 0;
    // The top bucket also holds every value beyond the range: its bound
    // says nothing about them, max does.
    for (size_t i = 0; i + 1 < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(HighestEquivalent(i), min(), max_);
    }
    return max_;
  }

 private:
  // Sub-bucket ranges of the top bucket must reach kHighestTrackable.
  static constexpr int kTopBucket =
      std::bit_width(kHighestTrackable) - kSubBucketBits;  // 19
  static constexpr uint64_t kLargestIndexable = (kSubBucketCount << kTopBucket) - 1;

  static constexpr size_t BucketCount() {
    return static_cast<size_t>(kTopBucket) * kSubBucketHalf + kSubBucketCount;
  }

  // Bucket b >= 1 holds [128 << b, 256 << b) in 128 steps of 2^b; the index
  // of a value there is b * 128 + (value >> b).
  static size_t IndexOf(uint64_t value) {
    value = std::min(value, kLargestIndexable);
    if (value < kSubBucketCount) return static_cast<size_t>(value);
    const int bucket = std::bit_width(value) - kSubBucketBits;
    return static_cast<size_t>(bucket) * kSubBucketHalf + (value >> bucket);
  }

  static uint64_t HighestEquivalent(size_t index) {
    if (index < kSubBucketCount) return index;
    const uint64_t bucket = index / kSubBucketHalf - 1;
    const uint64_t sub = index - bucket * kSubBucketHalf;
    return ((sub + 1) << bucket) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace datasync
