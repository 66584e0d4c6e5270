// phase_shift against SpikeInterface (tests/data/phase_shift: golden rows
// of SpikeInterface a5f7dbb3's PhaseShiftRecording on a 60000 x 16 input with
// Neuropixels 1.0 shifts), and against identities: shift 0 is the identity,
// a whole-sample shift is a delay, the output is linear in the input.
#include <cmath>
#include <cstring>

#include "core/preprocess/phase_shift_step.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::LoadNpy;
using ::neurofeat::testing::LoadTraces;

constexpr double kFs = 30000;

std::vector<double> Shifts() {
  NpyArray s = LoadNpy("phase_shift/inter_sample_shift.npy");
  return std::vector<double>(s.as<double>(), s.as<double>() + s.header.shape[0]);
}

std::shared_ptr<InMemorySource> Source(Traces x, std::vector<double> shifts = {}) {
  RecordingInfo info;
  info.sampling_rate_hz = kFs;
  info.channel_ids = DefaultChannelIds(x.channels());
  info.inter_sample_shift = std::move(shifts);
  return std::make_shared<InMemorySource>(std::move(x), info);
}

// The golden's float32 input: int16 * 0.25 (exact).
Traces FloatInput() {
  Traces x = LoadTraces("phase_shift/input_int16.npy");
  Traces f = Traces::Uninitialized(SampleType::kFloat32, x.frames(), x.channels());
  for (int64_t i = 0; i < x.size(); ++i) f.data<float>()[i] = x.data<int16_t>()[i] * 0.25f;
  return f;
}

std::unique_ptr<PreprocessChain> Chain(std::shared_ptr<const TraceSource> source,
                                       std::vector<PreprocessStepSpec> steps, SampleType out) {
  ChainSpec spec;
  spec.steps = std::move(steps);
  auto chain = PreprocessChain::Build(spec, std::move(source), out);
  EXPECT_TRUE(chain.ok()) << chain.status();
  return chain.ok() ? *std::move(chain) : nullptr;
}

PreprocessStepSpec PhaseShift(std::vector<double> shifts = {},
                              PhaseShiftOptions::Method method = PhaseShiftOptions::Method::kAuto) {
  PhaseShiftOptions o;
  o.inter_sample_shift = std::move(shifts);
  o.method = method;
  return {"preprocess[0].phase_shift", o};
}

// Output of GetTraces calls over [0, n) in chunks of `chunk` frames.
Traces Chunked(const TraceSource& s, int64_t chunk) {
  const int64_t n = s.num_frames();
  Traces out = Traces::Uninitialized(s.sample_type(), n, s.num_channels());
  const size_t row = s.num_channels() * SampleTypeSize(s.sample_type());
  for (int64_t a = 0; a < n; a += chunk) {
    absl::StatusOr<Traces> t = s.GetTraces(a, std::min(n, a + chunk));
    EXPECT_TRUE(t.ok()) << t.status();
    std::memcpy(out.bytes() + a * row, t->bytes(), t->size_bytes());
  }
  return out;
}

struct Diff {
  double max_abs = 0;
  double rms = 0;  // of the golden rows
};

// Our float32 output at the golden's rows against the golden rows.
Diff CompareRows(const Traces& ours, const std::string& golden) {
  NpyArray rows = LoadNpy("phase_shift/rows.npy");
  Traces want = LoadTraces(golden);
  Diff d;
  double sum2 = 0;
  for (int64_t i = 0; i < want.frames(); ++i) {
    const int64_t t = rows.as<int64_t>()[i];
    for (int64_t c = 0; c < want.channels(); ++c) {
      const double w = want.row<float>(i)[c];
      sum2 += w * w;
      d.max_abs = std::max(d.max_abs, std::fabs(w - ours.row<float>(t)[c]));
    }
  }
  d.rms = std::sqrt(sum2 / static_cast<double>(want.size()));
  std::printf("%s: max|diff| %.3g = %.3g x RMS\n", golden.c_str(), d.max_abs, d.max_abs / d.rms);
  return d;
}

// Every parity test runs with SpikeInterface's own length-L transform and
// with the same sums at a 5-smooth length (what kAuto picks when L has a
// large prime factor, as the 7000-frame grid's 9400 = 2^3 5^2 47 does).
class PhaseShiftParityTest : public ::testing::TestWithParam<PhaseShiftOptions::Method> {};

INSTANTIATE_TEST_SUITE_P(Methods, PhaseShiftParityTest,
                         ::testing::Values(PhaseShiftOptions::Method::kAuto,
                                           PhaseShiftOptions::Method::kDirect,
                                           PhaseShiftOptions::Method::kSmoothLength),
                         [](const auto& info) {
                           switch (info.param) {
                             case PhaseShiftOptions::Method::kDirect:
                               return std::string("Direct");
                             case PhaseShiftOptions::Method::kSmoothLength:
                               return std::string("SmoothLength");
                             default:
                               return std::string("Auto");
                           }
                         });

TEST_P(PhaseShiftParityTest, WholeSegmentFloat32MatchesSpikeInterface) {
  auto chain =
      Chain(Source(FloatInput()), {PhaseShift(Shifts(), GetParam())}, SampleType::kFloat32);
  ASSERT_NE(chain, nullptr);
  absl::StatusOr<Traces> out = chain->output().GetTraces(0, 60000);
  ASSERT_TRUE(out.ok()) << out.status();
  const Diff d = CompareRows(*out, "phase_shift/out_a_float32_whole__rows.npy");
  // The float64 tier of the golden README (a float64 port: 1e-5 x RMS).
  EXPECT_LE(d.max_abs, 1e-5 * d.rms) << "rms " << d.rms;
}

TEST_P(PhaseShiftParityTest, EachGetTracesCallHasItsOwnMarginsAsInSpikeInterface) {
  auto chain =
      Chain(Source(FloatInput()), {PhaseShift(Shifts(), GetParam())}, SampleType::kFloat32);
  ASSERT_NE(chain, nullptr);
  for (const auto& [chunk, golden] :
       {std::pair<int64_t, std::string>{30000, "out_b_float32_chunked_1s"},
        {7000, "out_b_float32_chunked_7000"}}) {
    const Traces ours = Chunked(chain->output(), chunk);
    const Diff d = CompareRows(ours, "phase_shift/" + golden + "__rows.npy");
    EXPECT_LE(d.max_abs, 1e-5 * d.rms) << golden;
    // And it is not the whole-segment answer (computing once and slicing
    // would pass the whole-segment test and fail this one).
    const Diff whole = CompareRows(ours, "phase_shift/out_a_float32_whole__rows.npy");
    EXPECT_GT(whole.max_abs, 0.05) << golden;
  }
}

TEST_P(PhaseShiftParityTest, Int16AgreesWithSpikeInterfaceWhereItDoesNotWrap) {
  auto chain = Chain(Source(LoadTraces("phase_shift/input_int16.npy")),
                     {PhaseShift(Shifts(), GetParam())}, SampleType::kInt16);
  ASSERT_NE(chain, nullptr);
  absl::StatusOr<Traces> out = chain->output().GetTraces(0, 60000);
  ASSERT_TRUE(out.ok()) << out.status();
  NpyArray rows = LoadNpy("phase_shift/rows.npy");
  Traces want = LoadTraces("phase_shift/out_c_int16_whole__rows.npy");
  int64_t mismatches = 0;
  for (int64_t i = 0; i < want.frames(); ++i) {
    const int64_t t = rows.as<int64_t>()[i];
    for (int64_t c = 0; c < want.channels(); ++c) {
      mismatches += want.row<int16_t>(i)[c] != out->row<int16_t>(t)[c];
    }
  }
  // The golden data stay inside int16: equal sample for sample.
  EXPECT_EQ(mismatches, 0);
}

TEST(PhaseShiftParityTest, Int16SaturatesWhereSpikeInterfaceWraps) {
  // A near-full-scale square wave: delaying its edges by half a sample overshoots
  // (Gibbs) past the int16 range.
  const int64_t n = 4000;
  Traces x = Traces::Uninitialized(SampleType::kInt16, n, 1);
  for (int64_t t = 0; t < n; ++t) x.data<int16_t>()[t] = (t / 50) % 2 ? 30000 : -30000;
  PhaseShiftOptions o;
  o.inter_sample_shift = {0.5};
  auto src = Source(std::move(x));
  auto exact = PhaseShiftStep::Create(o, src, SampleType::kFloat64, "p");
  auto ours = PhaseShiftStep::Create(o, src, SampleType::kInt16, "p");
  ASSERT_TRUE(exact.ok() && ours.ok());
  Traces f = *(*exact)->GetTraces(0, n);
  Traces s = *(*ours)->GetTraces(0, n);
  int64_t agree = 0, saturated = 0;
  for (int64_t t = 0; t < n; ++t) {
    const double v = std::nearbyint(f.data<double>()[t]);
    const int16_t si_wrapped = static_cast<int16_t>(static_cast<int32_t>(v));
    const int16_t got = s.data<int16_t>()[t];
    if (v >= -32768 && v <= 32767) {
      EXPECT_EQ(got, si_wrapped) << t;
      ++agree;
    } else {
      EXPECT_EQ(got, v > 0 ? 32767 : -32768) << t;
      EXPECT_NE(got, si_wrapped) << t;  // SpikeInterface's value has the wrong sign
      ++saturated;
    }
  }
  EXPECT_GT(saturated, 10);
  EXPECT_GT(agree, n / 2);
}

TEST_P(PhaseShiftParityTest, PhaseShiftHighpassMedianChainMatchesSpikeInterface) {
  ButterworthOptions hp;
  hp.band = BandType::kHighpass;
  hp.freq_min_hz = 300;
  CommonReferenceOptions cmr;
  auto chain = Chain(Source(FloatInput()),
                     {PhaseShift(Shifts(), GetParam()),
                      {"preprocess[1].highpass", hp},
                      {"preprocess[2].common_reference", cmr}},
                     SampleType::kFloat32);
  ASSERT_NE(chain, nullptr);
  absl::StatusOr<Traces> out = chain->output().GetTraces(0, 60000);
  ASSERT_TRUE(out.ok()) << out.status();
  const Diff d = CompareRows(*out, "phase_shift/out_d_float32_ps_hp_cmr_whole__rows.npy");
  EXPECT_LE(d.max_abs, 5e-5 * d.rms) << "rms " << d.rms;
}

TEST(PhaseShiftKernelsTest, SmoothLengthGivesTheSameSumsAsTheDirectTransform) {
  // 1 s and 7000-frame calls at several offsets (the recording's ends
  // included): the two methods agree to rounding.
  auto src = Source(FloatInput());
  PhaseShiftOptions direct, smooth;
  direct.inter_sample_shift = smooth.inter_sample_shift = Shifts();
  direct.method = PhaseShiftOptions::Method::kDirect;
  smooth.method = PhaseShiftOptions::Method::kSmoothLength;
  auto a = PhaseShiftStep::Create(direct, src, SampleType::kFloat64, "p");
  auto b = PhaseShiftStep::Create(smooth, src, SampleType::kFloat64, "p");
  ASSERT_TRUE(a.ok() && b.ok());
  for (const auto& [start, end] : {std::pair<int64_t, int64_t>{0, 30000},
                                   {30000, 60000},
                                   {12345, 19345},
                                   {0, 7000},
                                   {53000, 60000},
                                   {100, 101}}) {
    const Traces x = *(*a)->GetTraces(start, end);
    const Traces y = *(*b)->GetTraces(start, end);
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < x.size(); ++i) {
      worst = std::max(worst, std::fabs(x.data<double>()[i] - y.data<double>()[i]));
      scale = std::max(scale, std::fabs(x.data<double>()[i]));
    }
    EXPECT_LT(worst, 1e-12 * scale) << start << ".." << end;
    EXPECT_GT(scale, 0) << start << ".." << end;
  }
}

TEST(PhaseShiftKernelsTest, LengthHelpers) {
  EXPECT_EQ(NextFiveSmooth(64399), 64800);
  EXPECT_EQ(NextFiveSmooth(7), 8);
  EXPECT_EQ(NextFiveSmooth(1), 1);
  EXPECT_TRUE(HasOnlySmallPrimeFactors(32400));
  EXPECT_TRUE(HasOnlySmallPrimeFactors(62400));   // 2^6 3 5^2 13
  EXPECT_FALSE(HasOnlySmallPrimeFactors(33400));  // ... 167
  EXPECT_FALSE(HasOnlySmallPrimeFactors(9400));   // ... 47
}

TEST(PhaseShiftIdentityTest, ZeroShiftIsTheIdentityAndAWholeSampleShiftADelay) {
  const Traces in = FloatInput();
  const int64_t n = in.frames(), ch = in.channels();
  auto src = Source(FloatInput());
  for (double s : {0.0, 1.0, 3.0}) {
    PhaseShiftOptions o;
    o.inter_sample_shift.assign(ch, s);
    auto step = PhaseShiftStep::Create(o, src, SampleType::kFloat64, "p");
    ASSERT_TRUE(step.ok());
    Traces out = *(*step)->GetTraces(0, n);
    const int64_t d = static_cast<int64_t>(s);
    double worst = 0;
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t c = 0; c < ch; ++c) {
        // Before the recording the (tapered) zero padding comes in.
        const double want = t >= d ? in.row<float>(t - d)[c] : 0.0;
        worst = std::max(worst, std::fabs(out.row<double>(t)[c] - want));
      }
    }
    EXPECT_LT(worst, 1e-9) << "shift " << s;
  }
}

TEST(PhaseShiftIdentityTest, ABandLimitedSinusoidIsDelayedBySAwayFromTheEdges) {
  // 1 kHz at 30 kHz for 4 s, shifted by s in 1 s GetTraces calls: away from
  // the recording's ends (where the zero padding meets a cut sinusoid),
  // the output is the sinusoid delayed by s samples.
  const int64_t n = 120000;
  const double f = 1000.0 / kFs;
  Traces x = Traces::Uninitialized(SampleType::kFloat64, n, 1);
  for (int64_t t = 0; t < n; ++t) x.data<double>()[t] = std::sin(2 * M_PI * f * t);
  auto src = Source(std::move(x));
  for (double s : {0.25, 0.5, 0.9}) {
    PhaseShiftOptions o;
    o.inter_sample_shift = {s};
    auto step = PhaseShiftStep::Create(o, src, SampleType::kFloat64, "p");
    ASSERT_TRUE(step.ok());
    const Traces out = Chunked(**step, 30000);
    double middle = 0, edge = 0;
    for (int64_t t = 0; t < n; ++t) {
      const double err = std::fabs(out.data<double>()[t] - std::sin(2 * M_PI * f * (t - s)));
      double& worst = t >= 30000 && t < 90000 ? middle : edge;
      worst = std::max(worst, err);
    }
    std::printf("shift %.2f: max error %.2g in seconds 1-3, %.2g at the ends\n", s, middle, edge);
    // Chunk seams fall inside [1 s, 3 s): each call reads 40 ms of real
    // neighbours, enough for a sinusoid (measured 1.6e-8 .. 2.6e-7).
    EXPECT_LT(middle, 1e-6) << s;
  }
}

TEST(PhaseShiftIdentityTest, PositiveShiftsDelayAnImpulse) {
  // A delay of s moves an impulse at 20 to 20 + s: the largest sample is
  // the nearest one.
  for (const auto& [s, peak] : {std::pair<double, int64_t>{0.25, 20}, {0.7, 21}, {1.4, 21}}) {
    Traces x = Traces::Zeros(SampleType::kFloat64, 200, 1);
    x.data<double>()[20] = 1.0;
    PhaseShiftOptions o;
    o.inter_sample_shift = {s};
    auto step = PhaseShiftStep::Create(o, Source(std::move(x)), SampleType::kFloat64, "p");
    ASSERT_TRUE(step.ok());
    Traces out = *(*step)->GetTraces(0, 200);
    const double* y = out.data<double>();
    EXPECT_EQ(std::max_element(y, y + 200) - y, peak) << "shift " << s;
  }
}

TEST(PhaseShiftStepTest, BadOptionsNameTheField) {
  auto src = Source(Traces::Zeros(SampleType::kFloat32, 100, 3));
  PhaseShiftOptions none;
  auto r = PhaseShiftStep::Create(none, src, SampleType::kFloat32, "preprocess[0].phase_shift");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("preprocess[0].phase_shift.inter_sample_shift"),
            std::string::npos);
  PhaseShiftOptions two;
  two.inter_sample_shift = {0, 0.5};
  r = PhaseShiftStep::Create(two, src, SampleType::kFloat32, "ps");
  EXPECT_NE(r.status().message().find("has 2 values"), std::string::npos) << r.status();
  PhaseShiftOptions nan;
  nan.inter_sample_shift = {0, NAN, 0};
  r = PhaseShiftStep::Create(nan, src, SampleType::kFloat32, "ps");
  EXPECT_NE(r.status().message().find("inter_sample_shift[1]"), std::string::npos);
  for (double m : {0.0, 0.01, -1.0, 1e300}) {
    PhaseShiftOptions tiny;
    tiny.inter_sample_shift = {0, 0, 0};
    tiny.margin_ms = m;
    r = PhaseShiftStep::Create(tiny, src, SampleType::kFloat32, "ps");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << m;
    EXPECT_NE(r.status().message().find("ps.margin_ms"), std::string::npos) << r.status();
  }
  // A margin over the 10 s bound.
  PhaseShiftOptions long_margin;
  long_margin.inter_sample_shift = {0, 0, 0};
  long_margin.margin_ms = 1e9;
  r = PhaseShiftStep::Create(long_margin, src, SampleType::kFloat32, "ps");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("ps.margin_ms=1e+09 must be in [0, 10000] ms"),
            std::string::npos)
      << r.status();
  // The recording's own shifts are used when none are given.
  auto own = Source(Traces::Zeros(SampleType::kFloat32, 100, 3), {0, 0.1, 0.2});
  EXPECT_TRUE(PhaseShiftStep::Create(none, own, SampleType::kFloat32, "ps").ok());
}

}  // namespace
}  // namespace neurofeat
