// Entropy, fractal and scaling features against hand-counted cases and the
// known values for white noise.
#include <cmath>
#include <numbers>
#include <random>

#include "core/features/entropy_counts.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::Extract;
using ::neurofeat::testing::GroupPipeline;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::LeafPipeline;

double One(const std::string& pipeline, const std::vector<float>& x) {
  auto t = Extract(pipeline, InfoFor(100, 1), x, 1, static_cast<int64_t>(x.size()));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? t->values[0] : std::nan("");
}
double Leaf(const std::string& fn, const std::vector<float>& x, const std::string& params = "{}") {
  return One(LeafPipeline(fn, params), x);
}
double Entropy(const std::string& fn, const std::vector<float>& x,
               const std::string& params = "{}") {
  return One(GroupPipeline("complexity_entropy_preprocessor", params, fn), x);
}

std::vector<float> WhiteNoise(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// A constant: r = 0, every vector matches every other. With n = 100, m = 2
// there are 99 vectors of dimension 2 and 98 of dimension 3.
TEST(ComplexityFeaturesTest, EntropiesOfAConstant) {
  const std::vector<float> x(100, 3.0f);
  EXPECT_DOUBLE_EQ(Entropy("complexity_sample_entropy", x), -std::log((98.0 * 97) / (99.0 * 98)));
  EXPECT_DOUBLE_EQ(Entropy("complexity_approx_entropy", x), 0.0);
}

// Period 4 (0, 1, 0, -1): r = 0.2 std only matches vectors of the same
// phase. Dimension 2: 99 vectors in phases of 25, 25, 25, 24; dimension 3:
// 98 vectors in phases of 25, 25, 24, 24.
TEST(ComplexityFeaturesTest, SampleEntropyOfAPeriodicSignal) {
  std::vector<float> x(100);
  for (int i = 0; i < 100; ++i) x[i] = static_cast<float>((i % 4 == 1) - (i % 4 == 3));
  const double b = 3 * 25 * 24 + 24 * 23;
  const double a = 2 * 25 * 24 + 2 * 24 * 23;
  EXPECT_DOUBLE_EQ(Entropy("complexity_sample_entropy", x), -std::log(a / b));
  const double phi_m = (3 * 25 * std::log(25 / 99.0) + 24 * std::log(24 / 99.0)) / 99;
  const double phi_mp1 = (2 * 25 * std::log(25 / 98.0) + 2 * 24 * std::log(24 / 98.0)) / 98;
  EXPECT_NEAR(Entropy("complexity_approx_entropy", x), phi_m - phi_mp1, 1e-15);
}

// The sorted sweep counts exactly what a brute-force count does, for
// several dimensions and strides.
TEST(ComplexityFeaturesTest, NeighbourCountsEqualBruteForce) {
  const std::vector<float> xf = WhiteNoise(300, 3);
  const std::vector<double> x(xf.begin(), xf.end());
  const std::vector<int32_t> sorted = SortedPositions(x.data(), 300);
  for (int64_t m : {1, 2, 3}) {
    for (int64_t l : {1, 2, 5}) {
      const double r = 0.3;
      std::vector<int32_t> cm, cp;
      CountNeighbours(x.data(), 300, m, r, l, sorted, &cm, &cp);
      for (int64_t dim : {m, m + 1}) {
        const int64_t count = (300 - dim + 1) / l;
        const std::vector<int32_t>& got = dim == m ? cm : cp;
        ASSERT_EQ(static_cast<int64_t>(got.size()), count);
        for (int64_t i = 0; i < count; ++i) {
          int32_t want = 0;
          for (int64_t j = 0; j < count; ++j) {
            double d = 0.0;
            for (int64_t k = 0; k < dim; ++k)
              d = std::max(d, std::fabs(x[i * l + k] - x[j * l + k]));
            want += d <= r;
          }
          ASSERT_EQ(got[i], want) << "m " << m << " l " << l << " dim " << dim << " i " << i;
        }
      }
    }
  }
}

// Multiscale entropy of a constant: at stride l there are
// N_m = (n - 1) / l and N_mp1 = (n - 2) / l vectors, all matching.
TEST(ComplexityFeaturesTest, MultiscaleEntropyOfAConstant) {
  const int n = 200, l_max = 6;
  const std::vector<float> x(n, 1.0f);
  std::vector<double> s;
  for (int l = 1; l <= l_max; ++l) {
    const double nm = (n - 1) / l, nmp1 = (n - 2) / l;
    s.push_back(-std::log(nmp1 * (nmp1 - 1) / (nm * (nm - 1))));
  }
  double trapz = 0.0;
  for (int i = 0; i + 1 < l_max; ++i) trapz += 0.5 * (s[i] + s[i + 1]);
  EXPECT_NEAR(Leaf("complexity_multiscale_entropy", x, R"({"l_max": 6})"), trapz / l_max, 1e-15);
}

// cos(pi n / 2) = 1, 0, -1, 0: the m = 2 embedding has orthogonal columns of
// equal norm, so two equal singular values: entropy ln 2.
TEST(ComplexityFeaturesTest, SvdEntropyOfAQuarterRateCosine) {
  std::vector<float> x(65);  // 64 rows: both columns hold 32 values of +-1
  for (int i = 0; i < 65; ++i) x[i] = static_cast<float>(std::cos(std::numbers::pi * i / 2));
  EXPECT_NEAR(Leaf("complexity_svd_entropy", x, R"({"m": 2})"), std::log(2.0), 1e-12);
}

// A constant binarises to all zeros: the Kaspar-Schuster count is 2.
TEST(ComplexityFeaturesTest, LempelZivOfAConstant) {
  const std::vector<float> x(8, 1.0f);
  EXPECT_DOUBLE_EQ(Leaf("complexity_lempel_ziv", x, R"({"normalize": false})"), 2.0);
  EXPECT_DOUBLE_EQ(Leaf("complexity_lempel_ziv", x), 2.0 * 3 / 8);
}

TEST(ComplexityFeaturesTest, WhiteNoiseScalingExponentsAreOneHalf) {
  double hurst = 0.0, dfa = 0.0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const std::vector<float> x = WhiteNoise(4096, seed);
    hurst += Leaf("complexity_hurst_exp", x) / 8;
    dfa += Leaf("complexity_detrended_fluctuation_analysis", x) / 8;
  }
  EXPECT_NEAR(hurst, 0.5, 0.06);
  EXPECT_NEAR(dfa, 0.5, 0.06);
}

TEST(DimensionalityFeaturesTest, HiguchiOfWhiteNoiseIsNearTwo) {
  EXPECT_NEAR(Leaf("dimensionality_higuchi_fractal_dim", WhiteNoise(4096, 11)), 2.0, 0.05);
}

TEST(DimensionalityFeaturesTest, HiguchiOfALineIsOne) {
  std::vector<float> x(512);
  for (int i = 0; i < 512; ++i) x[i] = 0.5f * i;
  EXPECT_NEAR(Leaf("dimensionality_higuchi_fractal_dim", x), 1.0, 1e-9);
}

TEST(DimensionalityFeaturesTest, KatzOfALineIsOne) {
  std::vector<float> x(100);
  for (int i = 0; i < 100; ++i) x[i] = 2.0f * i - 7;
  EXPECT_NEAR(Leaf("dimensionality_katz_fractal_dim", x), 1.0, 1e-12);
}

// 0, 1, 0, 1 ... (n = 8): the 7 differences alternate sign 6 times.
TEST(DimensionalityFeaturesTest, PetrosianOfAnAlternatingSignal) {
  const std::vector<float> x = {0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_NEAR(Leaf("dimensionality_petrosian_fractal_dim", x),
              std::log(8.0) / (std::log(8.0 / 6.0) + std::log(8.0)), 1e-15);
}

}  // namespace
}  // namespace neurofeat
