// LatencyHistogram (services/loadgen/histogram.h): percentiles within the
// bucket precision, exact count/min/max, merge.
#include "../../services/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace datasync {
namespace {

// The true percentile of sorted values: the value of rank ceil(p% of n).
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  const auto rank = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

TEST(HistogramTest, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.mean(), 0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 200; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 100u);
  EXPECT_EQ(h.ValueAtPercentile(99), 198u);
  EXPECT_EQ(h.ValueAtPercentile(0), 1u);
  EXPECT_EQ(h.ValueAtPercentile(100), 200u);
  EXPECT_DOUBLE_EQ(h.mean(), 100.5);
}

TEST(HistogramTest, PercentilesWithinBucketPrecision) {
  std::mt19937_64 rng(42);
  // Log-uniform over 1 us .. 100 s: every bucket range gets exercised.
  std::uniform_real_distribution<double> exponent(0, 8);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const uint64_t exact = ExactPercentile(values, p);
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + 1.0 / 128))
        << "p" << p;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
}

TEST(HistogramTest, MaxAndMinAreExact) {
  LatencyHistogram h;
  h.Record(1'234'567);
  h.Record(987);
  EXPECT_EQ(h.max(), 1'234'567u);
  EXPECT_EQ(h.min(), 987u);
  EXPECT_EQ(h.ValueAtPercentile(100), 1'234'567u);
  EXPECT_EQ(h.ValueAtPercentile(0), 987u);
}

TEST(HistogramTest, ValuesBeyondTheRangeKeepAnExactMax) {
  LatencyHistogram h;
  const uint64_t huge = 500'000'000'000ULL;  // far beyond 100 s
  h.Record(5);
  h.Record(huge);
  EXPECT_EQ(h.max(), huge);
  EXPECT_EQ(h.ValueAtPercentile(100), huge);
  EXPECT_EQ(h.ValueAtPercentile(50), 5u);
  // Clamped into the top bucket, which is still above 100 s.
  EXPECT_GE(h.ValueAtPercentile(99), LatencyHistogram::kHighestTrackable);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> dist(1, 5'000'000);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = dist(rng);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  LatencyHistogram merged;
  merged.Merge(a);
  merged.Merge(b);
  merged.Merge(LatencyHistogram());  // merging nothing changes nothing
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {0.0, 25.0, 50.0, 75.0, 99.0, 100.0}) {
    EXPECT_EQ(merged.ValueAtPercentile(p), all.ValueAtPercentile(p)) << "p" << p;
  }
}

TEST(HistogramTest, ResetForgetsEverything) {
  LatencyHistogram h;
  h.RecordN(1000, 10);
  EXPECT_EQ(h.count(), 10u);
  h.Reset();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.max(), 0u);
  h.Record(3);
  EXPECT_EQ(h.min(), 3u);
  EXPECT_EQ(h.ValueAtPercentile(50), 3u);
}

}  // namespace
}  // namespace datasync
