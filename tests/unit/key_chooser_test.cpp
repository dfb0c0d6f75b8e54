// KeyChooser (services/loadgen/key_chooser.h): range, and the shape of the
// zipfian distribution.
#include "../../services/loadgen/key_chooser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace datasync {
namespace {

std::vector<uint64_t> Draw(const KeyChooser& chooser, int n) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> counts(chooser.keys(), 0);
  for (int i = 0; i < n; ++i) {
    const uint64_t k = chooser.Next(rng);
    EXPECT_LT(k, chooser.keys());
    if (k < counts.size()) ++counts[k];
  }
  return counts;
}

TEST(KeyChooserTest, UniformCoversTheRangeEvenly) {
  KeyChooser chooser(KeyDistribution::kUniform, 100);
  std::vector<uint64_t> counts = Draw(chooser, 100000);
  for (uint64_t c : counts) {
    EXPECT_GT(c, 800u);
    EXPECT_LT(c, 1200u);
  }
}

TEST(KeyChooserTest, ZipfianFavoursLowIndicesAsTheoryPredicts) {
  constexpr uint64_t kKeys = 1000;
  KeyChooser chooser(KeyDistribution::kZipfian, kKeys);
  constexpr int kDraws = 200000;
  std::vector<uint64_t> counts = Draw(chooser, kDraws);
  double zeta = 0;
  for (uint64_t i = 1; i <= kKeys; ++i) zeta += 1.0 / std::pow(i, 0.99);
  // P(rank 1) = 1/zeta, P(rank 2) = 2^-0.99/zeta.
  EXPECT_NEAR(counts[0] / double{kDraws}, 1 / zeta, 0.01);
  EXPECT_NEAR(counts[1] / double{kDraws}, std::pow(2, -0.99) / zeta, 0.01);
  EXPECT_GT(counts[1], counts[10]);
  EXPECT_GT(counts[10], counts[500]);
  EXPECT_GT(counts[kKeys - 1] + counts[kKeys - 2], 0u);  // the tail is reached
}

TEST(KeyChooserTest, TinyKeySpaces) {
  std::mt19937_64 rng(3);
  for (auto d : {KeyDistribution::kUniform, KeyDistribution::kZipfian}) {
    KeyChooser one(d, 1);
    KeyChooser two(d, 2);
    for (int i = 0; i < 1000; ++i) {
      EXPECT_EQ(one.Next(rng), 0u);
      EXPECT_LT(two.Next(rng), 2u);
    }
  }
}

}  // namespace
}  // namespace datasync
