#include "core/preprocess/filter_step.h"

#include <cstring>
#include <mutex>
#include <random>

#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

// Records every range a step asks of it.
class RecordingSource final : public TraceSource {
 public:
  explicit RecordingSource(std::shared_ptr<const TraceSource> inner) : inner_(std::move(inner)) {}
  const RecordingInfo& info() const override { return inner_->info(); }
  int64_t num_frames() const override { return inner_->num_frames(); }
  SampleType sample_type() const override { return inner_->sample_type(); }
  absl::StatusOr<Traces> GetTraces(int64_t s, int64_t e) const override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.emplace_back(s, e);
    return inner_->GetTraces(s, e);
  }
  std::vector<std::pair<int64_t, int64_t>> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::shared_ptr<const TraceSource> inner_;
  mutable std::mutex mu_;
  mutable std::vector<std::pair<int64_t, int64_t>> requests_;
};

std::shared_ptr<InMemorySource> Noise(int64_t frames, int64_t channels, double fs) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, channels);
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0, 10);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  RecordingInfo info{fs, DefaultChannelIds(channels), {}};
  return std::make_shared<InMemorySource>(std::move(t), info);
}

TEST(FilterStepTest, FetchesAutoMarginClippedAtEdgesAndCrops) {
  auto inner = Noise(10000, 3, 30000);
  auto rec = std::make_shared<RecordingSource>(inner);
  ButterworthOptions o;  // 300-6000 Hz: auto margin int(5000/300 ms * 30 kHz) = 500
  auto step = FilterStep::CreateButterworth(o, rec, SampleType::kFloat32, "preprocess[0].bandpass");
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ((*step)->margin_samples(), 500);
  ASSERT_TRUE((*step)->GetTraces(2000, 3000).ok());
  ASSERT_TRUE((*step)->GetTraces(100, 1100).ok());
  ASSERT_TRUE((*step)->GetTraces(9800, 10000).ok());
  using P = std::pair<int64_t, int64_t>;
  EXPECT_THAT(rec->requests(), ::testing::ElementsAre(P{1500, 3500}, P{0, 1600}, P{9300, 10000}));
}

TEST(FilterStepTest, ChunkEqualsFilteringTheMarginBlockAndCropping) {
  auto src = Noise(8000, 5, 30000);
  ButterworthOptions o;
  auto step = FilterStep::CreateButterworth(o, src, SampleType::kFloat32, "p");
  ASSERT_TRUE(step.ok());
  absl::StatusOr<Traces> got = (*step)->GetTraces(3000, 4000);
  ASSERT_TRUE(got.ok());
  absl::StatusOr<Traces> block = src->GetTraces(2500, 4500);
  Traces want = Traces::Uninitialized(SampleType::kFloat32, 1000, 5);
  ASSERT_TRUE(
      ApplyIirFilter((*step)->filter(), FilterDirection::kForwardBackward, *block, 500, 1500, &want)
          .ok());
  EXPECT_EQ(0, std::memcmp(got->bytes(), want.bytes(), want.size_bytes()));
}

struct BadOptionCase {
  const char* name;
  ButterworthOptions options;
  const char* message;
};

TEST(FilterStepTest, RejectsBadOptionsNamingFieldAndValue) {
  auto src = Noise(1000, 2, 30000);
  auto with = [](auto f) {
    ButterworthOptions o;
    f(o);
    return o;
  };
  const BadOptionCase cases[] = {
      {"max above nyquist", with([](auto& o) { o.freq_max_hz = 20000; }),
       "preprocess[0].bandpass.freq_max=20000 is at or above Nyquist (15000 Hz"},
      {"max at nyquist", with([](auto& o) { o.freq_max_hz = 15000; }),
       "preprocess[0].bandpass.freq_max=15000 is at or above Nyquist"},
      {"min >= max", with([](auto& o) { o.freq_min_hz = 7000; }),
       "preprocess[0].bandpass.freq_min=7000 must be below preprocess[0].bandpass.freq_max=6000"},
      {"order 0", with([](auto& o) { o.filter_order = 0; }),
       "preprocess[0].bandpass.filter_order=0 is outside the supported range 1..10"},
      {"order 11", with([](auto& o) { o.filter_order = 11; }), "filter_order=11"},
      {"negative corner", with([](auto& o) { o.freq_min_hz = -5; }),
       "preprocess[0].bandpass.freq_min=-5 must be a positive frequency"},
      {"negative margin", with([](auto& o) { o.margin_ms = -1.0; }),
       "preprocess[0].bandpass.margin_ms=-1"},
      // The automatic margin (5 periods of freq_min) overflows: name the
      // corner the user set, not the margin derived from it.
      {"corner so low its margin overflows", with([](auto& o) { o.freq_min_hz = 1e-300; }),
       "preprocess[0].bandpass.freq_min=1e-300 is too low: the margin derived from it (5e+303 "
       "ms) is out of range; raise it or set preprocess[0].bandpass.margin_ms"},
      {"margin given too long", with([](auto& o) { o.margin_ms = 1e300; }),
       "preprocess[0].bandpass.margin_ms=1e+300 ms in frames: "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(FilterStep::CreateButterworth(c.options, src, SampleType::kFloat32,
                                              "preprocess[0].bandpass"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
  NotchOptions n;
  n.freq_hz = 16000;
  EXPECT_THAT(
      FilterStep::CreateNotch(n, src, SampleType::kFloat32, "preprocess[1].notch"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("preprocess[1].notch.freq=16000")));
  n.freq_hz = 50;
  n.q = 0;
  EXPECT_THAT(FilterStep::CreateNotch(n, src, SampleType::kFloat32, "preprocess[1].notch"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("preprocess[1].notch.q=0")));
}

TEST(FilterStepTest, RecordingShorterThanPaddingIsAnError) {
  auto src = Noise(20, 2, 30000);  // padlen of the default bandpass is 33
  auto step = FilterStep::CreateButterworth(ButterworthOptions{}, src, SampleType::kFloat32,
                                            "preprocess[0].bandpass");
  ASSERT_TRUE(step.ok());
  EXPECT_THAT((*step)->GetTraces(0, 20),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("preprocess[0].bandpass: a chunk of 20 frames is too short")));
}

}  // namespace
}  // namespace neurofeat
