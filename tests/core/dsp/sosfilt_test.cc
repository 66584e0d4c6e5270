#include "core/dsp/sosfilt.h"

#include <cstring>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dsp/iir_design.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace neurofeat {
namespace {

// The dispatched kernel equals the scalar transcription of scipy's _sosfilt
// bit for bit, on every SIMD target this build and CPU support, for every
// section count, in both directions.
TEST(SosfiltTest, EveryTargetIsBitIdenticalToScalarReference) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 50.0);
  const int64_t frames = 997;
  std::vector<double> input(frames * kSosStripeLanes);
  for (double& v : input) v = noise(rng);
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    for (int order = 1; order <= 10; ++order) {
      absl::StatusOr<SosFilter> f = DesignButterworth(order, BandType::kBandpass, 300, 6000, 30000);
      ASSERT_TRUE(f.ok());
      const int n = static_cast<int>(f->sections.size());
      std::vector<double> sos;
      for (const auto& s : f->sections) sos.insert(sos.end(), s.begin(), s.end());
      for (bool reverse : {false, true}) {
        SCOPED_TRACE(absl::StrCat(hwy::TargetName(target), " sections ", n, " reverse ", reverse));
        std::vector<double> a = input, b = input;
        std::vector<double> za(n * 2 * kSosStripeLanes), zb;
        for (size_t i = 0; i < za.size(); ++i) za[i] = 0.01 * static_cast<double>(i);
        zb = za;
        SosfiltStripe(sos.data(), n, za.data(), a.data(), frames, reverse);
        SosfiltStripeScalar(sos.data(), n, zb.data(), b.data(), frames, reverse);
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));
        ASSERT_EQ(0, std::memcmp(za.data(), zb.data(), za.size() * sizeof(double)));
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

// Identity: the impulse response of one section is its difference equation.
TEST(SosfiltTest, SingleSectionImpulseResponse) {
  const double sos[6] = {0.5, 0.25, 0.125, 1.0, -0.5, 0.25};
  std::vector<double> x(8 * kSosStripeLanes, 0.0);
  for (int l = 0; l < kSosStripeLanes; ++l) x[l] = 1.0;
  std::vector<double> z(2 * kSosStripeLanes, 0.0);
  SosfiltStripe(sos, 1, z.data(), x.data(), 8, false);
  // y[n] = b[n] + 0.5 y[n-1] - 0.25 y[n-2]
  double y[8];
  const double b[3] = {0.5, 0.25, 0.125};
  for (int t = 0; t < 8; ++t) {
    y[t] =
        (t < 3 ? b[t] : 0.0) + (t >= 1 ? 0.5 * y[t - 1] : 0.0) - (t >= 2 ? 0.25 * y[t - 2] : 0.0);
    for (int l = 0; l < kSosStripeLanes; ++l) EXPECT_NEAR(x[t * kSosStripeLanes + l], y[t], 1e-15);
  }
}

}  // namespace
}  // namespace neurofeat
