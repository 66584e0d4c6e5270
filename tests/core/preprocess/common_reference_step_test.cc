#include "core/preprocess/common_reference_step.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

// Five channels on a line, 20 um apart; one frame of known values.
std::shared_ptr<InMemorySource> Line(std::vector<float> values, bool with_locations = true) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, 1, static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) t.data<float>()[i] = values[i];
  RecordingInfo info;
  info.sampling_rate_hz = 1000;
  info.channel_ids = {"a", "b", "c", "d", "e"};
  info.channel_ids.resize(values.size());
  if (with_locations) {
    for (size_t i = 0; i < values.size(); ++i) info.channel_locations.push_back({0, 20.0 * i});
  }
  return std::make_shared<InMemorySource>(std::move(t), info);
}

std::vector<float> Row(const TraceSource& s) {
  absl::StatusOr<Traces> t = s.GetTraces(0, 1);
  EXPECT_TRUE(t.ok()) << t.status();
  return std::vector<float>(t->data<float>(), t->data<float>() + t->channels());
}

TEST(CommonReferenceStepTest, GlobalMedianOfHandPickedValues) {
  auto step = CommonReferenceStep::Create({}, Line({1, 9, 3, 7, 5}), SampleType::kFloat32, "p");
  ASSERT_TRUE(step.ok());
  EXPECT_THAT(Row(**step), ::testing::ElementsAre(-4, 4, -2, 2, 0));  // median 5
}

// Gaussian noise of standard deviation `sd` (float32 or float64), and the
// info of a 30 kHz recording of `channels` channels.
Traces Noise(SampleType type, int64_t frames, int64_t channels, double sd, unsigned seed) {
  Traces t = Traces::Uninitialized(SampleType::kFloat64, frames, channels);
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, sd);
  for (int64_t i = 0; i < t.size(); ++i) t.data<double>()[i] = normal(rng);
  return type == SampleType::kFloat64 ? std::move(t) : ConvertTraces(t, type);
}

RecordingInfo NoiseInfo(int64_t channels) {
  RecordingInfo info;
  info.sampling_rate_hz = 30000;
  info.channel_ids = DefaultChannelIds(channels);
  return info;
}

// A large chunk (rows split across the arena) and a small one give every
// row minus numpy's median of it.
TEST(CommonReferenceStepTest, LargeAndSmallChunksSubtractEachRowsMedian) {
  const int64_t frames = 12000, channels = 384;  // 18 MB of float32 out
  const Traces t = Noise(SampleType::kFloat32, frames, channels, 50.0, 3);
  auto source = std::make_shared<InMemorySource>(CopyFrames(t, 0, frames), NoiseInfo(channels));
  auto step = CommonReferenceStep::Create({}, source, SampleType::kFloat32, "p");
  ASSERT_TRUE(step.ok());
  for (const auto& [a, b] : {std::pair<int64_t, int64_t>{0, frames}, {100, 164}}) {
    absl::StatusOr<Traces> out = (*step)->GetTraces(a, b);
    ASSERT_TRUE(out.ok()) << out.status();
    int64_t wrong = 0;
    std::vector<float> row(channels);
    for (int64_t f = a; f < b; ++f) {
      const float* x = t.row<float>(f);
      row.assign(x, x + channels);
      std::sort(row.begin(), row.end());
      // numpy: the mean of the two middle values, in float32.
      const float median = (row[channels / 2 - 1] + row[channels / 2]) / 2.0f;
      for (int64_t c = 0; c < channels; ++c) wrong += out->row<float>(f - a)[c] != x[c] - median;
    }
    EXPECT_EQ(wrong, 0) << a << ".." << b;
  }
}

// A step whose input is another type converts each row where it uses it:
// the same output as converting the whole chunk first.
TEST(CommonReferenceStepTest, ConvertingRowsEqualsConvertingTheChunk) {
  const int64_t frames = 3000, channels = 64;
  const Traces t = Noise(SampleType::kFloat64, frames, channels, 3000.0, 5);
  const RecordingInfo info = NoiseInfo(channels);
  for (SampleType out : {SampleType::kFloat32, SampleType::kInt16}) {
    for (ReferenceOperator op : {ReferenceOperator::kMedian, ReferenceOperator::kAverage}) {
      CommonReferenceOptions o;
      o.op = op;
      auto raw = std::make_shared<InMemorySource>(CopyFrames(t, 0, frames), info);
      auto converted = std::make_shared<InMemorySource>(ConvertTraces(t, out), info);
      auto a = CommonReferenceStep::Create(o, raw, out, "p");
      auto b = CommonReferenceStep::Create(o, converted, out, "p");
      ASSERT_TRUE(a.ok() && b.ok());
      absl::StatusOr<Traces> x = (*a)->GetTraces(0, frames), y = (*b)->GetTraces(0, frames);
      ASSERT_TRUE(x.ok() && y.ok());
      ASSERT_EQ(x->size_bytes(), y->size_bytes());
      EXPECT_EQ(std::memcmp(x->bytes(), y->bytes(), x->size_bytes()), 0)
          << SampleTypeName(out) << " op " << static_cast<int>(op);
    }
  }
}

TEST(CommonReferenceStepTest, GlobalMedianOverReferenceSubset) {
  CommonReferenceOptions o;
  o.ref_channel_ids = {"a", "b"};  // median of {1, 9} = 5
  auto step = CommonReferenceStep::Create(o, Line({1, 9, 3, 7, 6}), SampleType::kFloat32, "p");
  ASSERT_TRUE(step.ok());
  EXPECT_THAT(Row(**step), ::testing::ElementsAre(-4, 4, -2, 2, 1));
}

TEST(CommonReferenceStepTest, LocalAnnulusUsesNeighboursBetweenRadii) {
  // (inner, outer] = (30, 55]: channels 40 um away (two positions) qualify,
  // 20 and 60 um do not.
  CommonReferenceOptions o;
  o.reference = ReferenceKind::kLocal;
  o.op = ReferenceOperator::kAverage;
  o.local_radius_inner = 30;
  o.local_radius_outer = 55;
  auto step = CommonReferenceStep::Create(o, Line({1, 2, 4, 8, 16}), SampleType::kFloat32, "p");
  ASSERT_TRUE(step.ok()) << step.status();
  // a: {c} -> 1-4; b: {d} -> 2-8; c: {a, e} -> 4-8.5; d: {b} -> 8-2; e: {c} -> 16-4
  EXPECT_THAT(Row(**step), ::testing::ElementsAre(-3, -6, -4.5, 6, 12));
}

TEST(CommonReferenceStepTest, RejectsBadOptionsNamingFieldAndValue) {
  CommonReferenceOptions unknown;
  unknown.ref_channel_ids = {"a", "zz"};
  EXPECT_THAT(CommonReferenceStep::Create(unknown, Line({1, 2, 3}), SampleType::kFloat32,
                                          "preprocess[1].common_reference"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("preprocess[1].common_reference.ref_channel_ids[1]=\"zz\" is not "
                                 "a channel")));
  CommonReferenceOptions single;
  single.reference = ReferenceKind::kSingle;
  EXPECT_THAT(CommonReferenceStep::Create(single, Line({1, 2, 3}), SampleType::kFloat32, "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one channel id")));
  CommonReferenceOptions local;
  local.reference = ReferenceKind::kLocal;
  EXPECT_THAT(CommonReferenceStep::Create(local, Line({1, 2, 3}, false), SampleType::kFloat32, "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs channel locations")));
  local.local_radius_inner = 60;
  EXPECT_THAT(CommonReferenceStep::Create(local, Line({1, 2, 3}), SampleType::kFloat32, "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("local_radius=[60, 55]")));
}

}  // namespace
}  // namespace neurofeat
