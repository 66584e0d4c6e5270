#include "core/dsp/sosfilt.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dsp/iir_design.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace neurofeat {
namespace {

// The dispatched kernel equals the scalar transcription of scipy's _sosfilt
// bit for bit, on every SIMD target this build and CPU support, for every
// section count, in both directions, for every band type (they take
// different kernel forms: band-pass, low-pass and even high-pass fuse the
// exact b1*x and b2*x terms, band-stop only b2*x, odd high-pass none) and
// for arbitrary coefficients.
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
    std::vector<std::pair<std::string, std::vector<double>>> designs;
    for (int order = 1; order <= 10; ++order) {
      for (BandType band :
           {BandType::kBandpass, BandType::kLowpass, BandType::kHighpass, BandType::kBandstop}) {
        absl::StatusOr<SosFilter> f = DesignButterworth(order, band, 300, 6000, 30000);
        ASSERT_TRUE(f.ok());
        std::vector<double> sos;
        for (const auto& s : f->sections) sos.insert(sos.end(), s.begin(), s.end());
        designs.emplace_back(absl::StrCat("butter band ", static_cast<int>(band)), sos);
      }
      // Arbitrary coefficients, but with the unit b0/b2 tail and b1 = 2 of
      // a Butterworth design in some sections.
      std::uniform_real_distribution<double> coef(-0.9, 0.9);
      std::vector<double> sos;
      for (int s = 0; s < (order + 1) / 2; ++s) {
        const bool unit = s > 0 && order % 3 == 0;
        sos.insert(sos.end(), {unit ? 1.0 : coef(rng), unit ? 2.0 : coef(rng),
                               unit ? -1.0 : coef(rng), 1.0, coef(rng), coef(rng) * 0.5});
      }
      designs.emplace_back("random", sos);
    }
    for (const auto& [name, sos] : designs) {
      const int n = static_cast<int>(sos.size() / 6);
      for (bool reverse : {false, true}) {
        SCOPED_TRACE(absl::StrCat(hwy::TargetName(target), " ", name, " sections ", n, " reverse ",
                                  reverse));
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

// Reading float32/int16 traces with a row stride, writing them back with a
// negative stride, equals filtering a float64 copy and casting (float32:
// nearest; int16: half to even, saturated).
TEST(SosfiltTest, SegmentConvertsOnTheFlyLikeCopyThenCast) {
  absl::StatusOr<SosFilter> f = DesignButterworth(4, BandType::kBandpass, 1, 40, 250);
  ASSERT_TRUE(f.ok());
  const int n = static_cast<int>(f->sections.size());
  std::vector<double> sos;
  for (const auto& s : f->sections) sos.insert(sos.end(), s.begin(), s.end());
  const int64_t frames = 500, stride = 11;  // rows of 11 channels, stripe at column 2
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 3000.0f);
  std::vector<float> xf(frames * stride);
  std::vector<int16_t> xi(frames * stride);
  for (size_t i = 0; i < xf.size(); ++i) {
    xf[i] = noise(rng);
    xi[i] = static_cast<int16_t>(std::max(-32768.0f, std::min(32767.0f, noise(rng) * 5)));
  }
  for (int kind = 0; kind < 2; ++kind) {
    SCOPED_TRACE(kind == 0 ? "float32" : "int16");
    std::vector<double> stripe(frames * kSosStripeLanes);
    for (int64_t t = 0; t < frames; ++t) {
      for (int l = 0; l < kSosStripeLanes; ++l) {
        stripe[t * kSosStripeLanes + l] =
            kind == 0 ? xf[t * stride + 2 + l] : xi[t * stride + 2 + l];
      }
    }
    std::vector<double> za(n * 2 * kSosStripeLanes, 0.0), zb = za;
    SosfiltStripeScalar(sos.data(), n, zb.data(), stripe.data(), frames, /*reverse=*/false);
    std::vector<float> yf(frames * stride, 0.0f);
    std::vector<int16_t> yi(frames * stride, 0);
    // Output written last row first through a negative stride.
    if (kind == 0) {
      SosfiltSegment(sos.data(), n, za.data(), StripeIo::Of(xf.data() + 2, stride),
                     StripeIo::Of(yf.data() + (frames - 1) * stride + 2, -stride), frames);
    } else {
      SosfiltSegment(sos.data(), n, za.data(), StripeIo::Of(xi.data() + 2, stride),
                     StripeIo::Of(yi.data() + (frames - 1) * stride + 2, -stride), frames);
    }
    for (int64_t t = 0; t < frames; ++t) {
      for (int l = 0; l < kSosStripeLanes; ++l) {
        const double want = stripe[t * kSosStripeLanes + l];
        const int64_t at = (frames - 1 - t) * stride + 2 + l;
        if (kind == 0) {
          ASSERT_EQ(yf[at], static_cast<float>(want)) << t << " " << l;
        } else {
          const double r = std::min(32767.0, std::max(-32768.0, std::nearbyint(want)));
          ASSERT_EQ(yi[at], static_cast<int16_t>(r)) << t << " " << l;
        }
      }
    }
    EXPECT_EQ(0, std::memcmp(za.data(), zb.data(), za.size() * sizeof(double)));
    // Columns outside the stripe are untouched.
    if (kind == 0) {
      EXPECT_EQ(yf[0], 0.0f);
      EXPECT_EQ(yf[2 + kSosStripeLanes], 0.0f);
    }
  }
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
