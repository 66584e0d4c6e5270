// Connectivity features: identical, opposite and phase-shifted channels,
// and each leaf on hand-made coherency and phase values.
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ColumnValues;
using ::neurofeat::testing::Extract;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::LeafPipeline;
using ::neurofeat::testing::RunLeaf;

NodeShape PairShape(ValueKind kind, std::string producer, int64_t n,
                    std::vector<double> freqs = {}) {
  NodeShape s;
  s.kind = kind;
  s.producer = std::move(producer);
  s.rows = {"a<>b"};
  s.channels = {"a", "b"};
  s.pairs = {{0, 1}};
  s.n = n;
  s.freqs = std::move(freqs);
  return s;
}

double PhaseLeaf(const std::string& fn, const std::vector<std::complex<double>>& z) {
  NodeValue v;
  v.z = z;
  auto out = RunLeaf(fn, "{}",
                     PairShape(ValueKind::kPhaseDiff, "connectivity_phase_diff_preprocessor",
                               static_cast<int64_t>(z.size())),
                     v, InfoFor(100, 2));
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? (*out)[0] : std::nan("");
}

// A constant phase lead phi: every index is 1 (ciPLV = sin / |sin|).
TEST(ConnectivityFeaturesTest, PhaseIndicesOfAConstantLead) {
  const double phi = std::numbers::pi / 4;
  const std::vector<std::complex<double>> z(50, std::polar(1.0, phi));
  EXPECT_NEAR(PhaseLeaf("connectivity_phase_locking_value", z), 1.0, 1e-15);
  EXPECT_NEAR(PhaseLeaf("connectivity_corrected_imaginary_phase_locking_value", z), 1.0, 1e-12);
  EXPECT_EQ(PhaseLeaf("connectivity_phase_lag_index", z), 1.0);
  EXPECT_NEAR(PhaseLeaf("connectivity_weighted_phase_lag_index", z), 1.0, 1e-15);
  EXPECT_EQ(PhaseLeaf("connectivity_directed_phase_lag_index", z), 1.0);
}

// Alternating +phi / -phi: locked in magnitude cos(phi), no lag.
TEST(ConnectivityFeaturesTest, PhaseIndicesOfASymmetricJitter) {
  const double phi = 0.5;
  std::vector<std::complex<double>> z;
  for (int i = 0; i < 50; ++i) z.push_back(std::polar(1.0, i % 2 == 0 ? phi : -phi));
  EXPECT_NEAR(PhaseLeaf("connectivity_phase_locking_value", z), std::cos(phi), 1e-14);
  EXPECT_NEAR(PhaseLeaf("connectivity_corrected_imaginary_phase_locking_value", z), 0.0, 1e-15);
  EXPECT_EQ(PhaseLeaf("connectivity_phase_lag_index", z), 0.0);
  EXPECT_NEAR(PhaseLeaf("connectivity_weighted_phase_lag_index", z), 0.0, 1e-15);
  EXPECT_EQ(PhaseLeaf("connectivity_directed_phase_lag_index", z), 0.5);
}

// c = 0.6 + 0.3i on every bin: |c|^2 = 0.45, Im = 0.3, lagged 0.3 / 0.8.
TEST(ConnectivityFeaturesTest, CoherenceLeavesOnAConstantCoherency) {
  NodeValue v;
  v.z.assign(10, {0.6, 0.3});
  std::vector<double> f;
  for (int k = 1; k <= 10; ++k) f.push_back(k);
  const NodeShape shape =
      PairShape(ValueKind::kCoherency, "connectivity_coherency_preprocessor", 10, f);
  const std::string bands = R"({"bands": [{"name": "x", "lo": 2, "hi": 5}]})";
  auto msc = RunLeaf("connectivity_magnitude_square_coherence", bands, shape, v, InfoFor(100, 2));
  auto icoh = RunLeaf("connectivity_imaginary_coherence", bands, shape, v, InfoFor(100, 2));
  auto lcoh = RunLeaf("connectivity_lagged_coherence", bands, shape, v, InfoFor(100, 2));
  ASSERT_TRUE(msc.ok() && icoh.ok() && lcoh.ok());
  EXPECT_NEAR((*msc)[0], 0.45, 1e-15);
  EXPECT_NEAR((*icoh)[0], 0.3, 1e-15);
  EXPECT_NEAR((*lcoh)[0], 0.375, 1e-15);
}

std::vector<float> TwoChannels(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> x = a;
  x.insert(x.end(), b.begin(), b.end());
  return x;
}

std::vector<float> Noise(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

TEST(ConnectivityFeaturesTest, CorrelationsOfLinearlyRelatedChannels) {
  const int n = 512;
  const std::vector<float> a = Noise(n, 5);
  std::vector<float> b(n), c(n);
  for (int i = 0; i < n; ++i) {
    b[i] = 2 * a[i] + 1;
    c[i] = -a[i];
  }
  auto t = Extract(LeafPipeline("connectivity_temporal_correlation"), InfoFor(256, 2),
                   TwoChannels(a, b), 1, n);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->columns, ::testing::ElementsAre("f_c0<>c1"));
  EXPECT_NEAR(t->values[0], 1.0, 1e-12);
  t = Extract(LeafPipeline("connectivity_max_cross_correlation"), InfoFor(256, 2),
              TwoChannels(a, c), 1, n);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->values[0], 1.0, 1e-9);  // |corr| at lag 0
}

// Identical channels: coherency 1 at every frequency, spectra correlated 1.
TEST(ConnectivityFeaturesTest, IdenticalChannelsAreFullyCoherent) {
  const int n = 512;
  const std::vector<float> a = Noise(n, 9);
  const std::string pipeline = R"({"features": [
    {"name": "coh", "preprocessor": {"fn": "connectivity_coherency_preprocessor",
                                     "params": {"window_size_in_sec": 1.0}},
     "features": [{"name": "msc", "fn": "connectivity_magnitude_square_coherence"},
                  {"name": "icoh", "fn": "connectivity_imaginary_coherence"}]},
    {"name": "s", "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
     "features": [{"name": "corr", "fn": "connectivity_spectral_correlation"}]},
    {"name": "alpha", "preprocessor": {"fn": "signal_bandpass_filter_preprocessor",
                                       "params": {"f_min": 8, "f_max": 12}},
     "features": [{"name": "ph", "preprocessor": {"fn": "connectivity_phase_diff_preprocessor"},
                   "features": [{"name": "plv", "fn": "connectivity_phase_locking_value"}]}]}]})";
  auto t = Extract(pipeline, InfoFor(256, 2, 1.0, 100.0), TwoChannels(a, a), 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  for (const char* band : {"delta", "theta", "alpha", "beta"}) {
    EXPECT_NEAR(ColumnValues(*t, std::string("coh_msc_") + band + "_c0<>c1")[0], 1.0, 1e-12);
    EXPECT_NEAR(ColumnValues(*t, std::string("coh_icoh_") + band + "_c0<>c1")[0], 0.0, 1e-12);
  }
  EXPECT_NEAR(ColumnValues(*t, "s_corr_c0<>c1")[0], 1.0, 1e-12);
  EXPECT_NEAR(ColumnValues(*t, "alpha_ph_plv_c0<>c1")[0], 1.0, 1e-12);
}

// Pairs given explicitly keep their order and names; pick renames children.
TEST(ConnectivityFeaturesTest, ExplicitPairsAndPickedChannels) {
  const int n = 256;
  std::vector<float> x = Noise(3 * n, 2);
  const std::string pipeline = R"({"features": [
    {"name": "t", "fn": "connectivity_temporal_correlation", "params": {"pairs": [["c2", "c0"]]}},
    {"name": "p", "preprocessor": {"fn": "pick_channels_preprocessor", "params": {"channels": ["c2", "c1"]}},
     "features": [{"name": "mean", "fn": "signal_mean"},
                  {"name": "t", "fn": "connectivity_temporal_correlation"}]}]})";
  auto t = Extract(pipeline, InfoFor(256, 3), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->columns,
              ::testing::ElementsAre("t_c2<>c0", "p_mean_c2", "p_mean_c1", "p_t_c2<>c1"));
  double mean2 = 0.0;
  for (int i = 0; i < n; ++i) mean2 += x[2 * n + i] / static_cast<double>(n);
  EXPECT_NEAR(ColumnValues(*t, "p_mean_c2")[0], mean2, 1e-15);
}

}  // namespace
}  // namespace neurofeat
