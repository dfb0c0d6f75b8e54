// KeyChooser: draws key indices in [0, keys) uniformly or from a zipfian
// distribution (YCSB's generator, Gray et al., "Quickly generating
// billion-record synthetic databases"), index 0 the hottest.
//
// Construction computes zeta(keys, theta) once, O(keys); Next() is O(1)
// and const, so one KeyChooser is shared by every worker thread, each with
// its own random engine. Header-only for the unit tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace datasync {

enum class KeyDistribution { kUniform, kZipfian };

class KeyChooser {
 public:
  static constexpr double kDefaultTheta = 0.99;

  // REQUIRES: keys >= 1, 0 < theta < 1.
  KeyChooser(KeyDistribution distribution, uint64_t keys, double theta = kDefaultTheta)
      : distribution_(distribution), keys_(keys), theta_(theta) {
    if (distribution_ != KeyDistribution::kZipfian) return;
    zeta_n_ = Zeta(keys_, theta_);
    const double zeta2 = Zeta(2, theta_);
    alpha_ = 1.0 / (1.0 - theta_);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(keys_), 1.0 - theta_)) /
           (1.0 - zeta2 / zeta_n_);
    half_pow_theta_ = std::pow(0.5, theta_);
  }

  uint64_t keys() const { return keys_; }
  KeyDistribution distribution() const { return distribution_; }

  template <typename Engine>
  uint64_t Next(Engine& engine) const {
    if (distribution_ == KeyDistribution::kUniform) {
      return std::uniform_int_distribution<uint64_t>(0, keys_ - 1)(engine);
    }
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    const double uz = u * zeta_n_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + half_pow_theta_) return std::min<uint64_t>(1, keys_ - 1);
    const double scaled =
        static_cast<double>(keys_) * std::pow(eta_ * u - eta_ + 1.0, alpha_);
    return std::min(static_cast<uint64_t>(scaled), keys_ - 1);
  }

 private:
  static double Zeta(uint64_t n, double theta) {
    double sum = 0;
    for (uint64_t i = 1; i <= n; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i), theta);
    }
    return sum;
  }

  KeyDistribution distribution_;
  uint64_t keys_;
  double theta_;
  double zeta_n_ = 0;
  double alpha_ = 0;
  double eta_ = 0;
  double half_pow_theta_ = 0;
};

}  // namespace datasync
