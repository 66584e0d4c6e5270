#include "core/dsp/iir_filter.h"

#include <cmath>
#include <numbers>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

Traces Sine(double freq, double fs, int64_t frames, int64_t channels) {
  Traces t = Traces::Uninitialized(SampleType::kFloat64, frames, channels);
  for (int64_t i = 0; i < frames; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      t.row<double>(i)[c] = std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / fs + c);
    }
  }
  return t;
}

double Rms(const Traces& t, int64_t from, int64_t to, int64_t c) {
  double s = 0;
  for (int64_t i = from; i < to; ++i) s += t.row<double>(i)[c] * t.row<double>(i)[c];
  return std::sqrt(s / static_cast<double>(to - from));
}

// Identity: zero-phase filtering squares the magnitude response, so a sine
// at a corner comes out at half amplitude, one in the passband unchanged,
// and one in the stopband removed; and zero phase means no shift.
TEST(IirFilterTest, ZeroPhaseFilterSquaresTheMagnitudeResponse) {
  const double fs = 30000;
  IirFilter f = IirFilter::FromSos(*DesignButterworth(5, BandType::kBandpass, 300, 6000, fs));
  for (auto [freq, gain] : {std::pair{300.0, 0.5}, {1500.0, 1.0}, {6000.0, 0.5}, {20.0, 0.0}}) {
    Traces in = Sine(freq, fs, 60000, 5);  // 5 channels: one full stripe and a partial one
    Traces out = Traces::Uninitialized(SampleType::kFloat64, 60000, 5);
    ASSERT_TRUE(ApplyIirFilter(f, FilterDirection::kForwardBackward, in, 0, 60000, &out).ok());
    for (int64_t c = 0; c < 5; ++c) {
      const double ratio = Rms(out, 20000, 40000, c) / Rms(in, 20000, 40000, c);
      EXPECT_NEAR(ratio, gain, 2e-3) << "freq " << freq << " channel " << c;
    }
    if (gain == 1.0) {
      for (int64_t i = 20000; i < 20100; ++i) {
        EXPECT_NEAR(out.row<double>(i)[2], in.row<double>(i)[2], 5e-3);
      }
    }
  }
}

TEST(IirFilterTest, RefusesChunkNotLongerThanPadlen) {
  IirFilter f = IirFilter::FromSos(*DesignButterworth(5, BandType::kBandpass, 300, 6000, 30000));
  Traces in = Traces::Zeros(SampleType::kFloat32, 33, 2);
  Traces out = Traces::Uninitialized(SampleType::kFloat32, 33, 2);
  EXPECT_THAT(ApplyIirFilter(f, FilterDirection::kForwardBackward, in, 0, 33, &out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("padlen=33")));
  Traces in34 = Traces::Zeros(SampleType::kFloat32, 34, 2);
  Traces out34 = Traces::Uninitialized(SampleType::kFloat32, 34, 2);
  EXPECT_TRUE(ApplyIirFilter(f, FilterDirection::kForwardBackward, in34, 0, 34, &out34).ok());
  // One-directional passes need no padding.
  EXPECT_TRUE(ApplyIirFilter(f, FilterDirection::kForward, in, 0, 33, &out).ok());
}

TEST(IirFilterTest, Int16OutputRoundsHalfToEvenAndSaturates) {
  // A first-order section with b0 = 1 passes values through; check the cast.
  SosFilter pass;
  pass.sections.push_back({1, 0, 0, 1, 0, 0});
  IirFilter f = IirFilter::FromSos(pass);
  Traces in = Traces::Uninitialized(SampleType::kFloat64, 6, 1);
  const double values[6] = {0.5, 1.5, 2.5, -0.5, 40000.0, -40000.0};
  for (int i = 0; i < 6; ++i) in.row<double>(i)[0] = values[i];
  Traces out = Traces::Uninitialized(SampleType::kInt16, 6, 1);
  ASSERT_TRUE(ApplyIirFilter(f, FilterDirection::kForward, in, 0, 6, &out).ok());
  const int16_t want[6] = {0, 2, 2, 0, 32767, -32768};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out.row<int16_t>(i)[0], want[i]) << i;
}

}  // namespace
}  // namespace neurofeat
