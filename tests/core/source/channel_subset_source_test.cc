#include "core/source/channel_subset_source.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 6 frames x 4 channels "a".."d"; sample (f, c) = 10 * f + c.
Traces Ramp(SampleType type) {
  Traces t = Traces::Uninitialized(type, 6, 4);
  for (int64_t f = 0; f < 6; ++f) {
    for (int64_t c = 0; c < 4; ++c) {
      const int v = static_cast<int>(10 * f + c);
      if (type == SampleType::kInt16) t.row<int16_t>(f)[c] = static_cast<int16_t>(v);
      if (type == SampleType::kFloat32) t.row<float>(f)[c] = static_cast<float>(v) + 0.25f;
      if (type == SampleType::kFloat64) t.row<double>(f)[c] = v + 0.5;
    }
  }
  return t;
}

RecordingInfo FullInfo() {
  RecordingInfo info;
  info.sampling_rate_hz = 250;
  info.channel_ids = {"a", "b", "c", "d"};
  info.channel_locations = {{{0, 1}}, {{2, 3}}, {{4, 5}}, {{6, 7}}};
  info.gain_to_uv = {1, 2, 3, 4};
  info.offset_to_uv = {-1, -2, -3, -4};
  info.inter_sample_shift = {0.1, 0.2, 0.3, 0.4};
  info.channel_types = {"eeg", "eog", "eeg", "stim"};
  info.unit = "V";
  info.channel_ids_from_file = true;
  info.highpass_hz = 0.5;
  info.lowpass_hz = 40;
  info.inter_sample_shift_note = "note";
  return info;
}

std::shared_ptr<const TraceSource> Source(SampleType type, RecordingInfo info = FullInfo()) {
  return std::make_shared<InMemorySource>(Ramp(type), std::move(info));
}

TEST(ChannelSubsetSourceTest, Int16ValuesOfTheKeptChannels) {
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"d", "b"}, "bads");
  ASSERT_THAT(s, IsOk());
  const TraceSource& kept = **s;
  EXPECT_EQ(kept.sample_type(), SampleType::kInt16);
  EXPECT_EQ(kept.num_frames(), 6);
  EXPECT_EQ(kept.num_channels(), 2);
  absl::StatusOr<Traces> t = kept.GetTraces(2, 5);
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->type(), SampleType::kInt16);
  ASSERT_EQ(t->frames(), 3);
  ASSERT_EQ(t->channels(), 2);
  // Channels a (0) and c (2), in the parent's order.
  EXPECT_THAT(std::vector<int16_t>(t->data<int16_t>(), t->data<int16_t>() + 6),
              ElementsAre(20, 22, 30, 32, 40, 42));
}

TEST(ChannelSubsetSourceTest, Float64ValuesOfTheKeptChannels) {
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kFloat64), {"a"}, "bads");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ((*s)->sample_type(), SampleType::kFloat64);
  absl::StatusOr<Traces> t = (*s)->GetTraces(0, 6);
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->type(), SampleType::kFloat64);
  ASSERT_EQ(t->channels(), 3);
  for (int64_t f = 0; f < 6; ++f) {
    EXPECT_EQ(t->row<double>(f)[0], 10 * f + 1 + 0.5);
    EXPECT_EQ(t->row<double>(f)[1], 10 * f + 2 + 0.5);
    EXPECT_EQ(t->row<double>(f)[2], 10 * f + 3 + 0.5);
  }
}

TEST(ChannelSubsetSourceTest, Float32ValuesOfTheKeptChannels) {
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kFloat32), {"a", "c"}, "bads");
  ASSERT_THAT(s, IsOk());
  absl::StatusOr<Traces> t = (*s)->GetTraces(5, 6);
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->channels(), 2);
  EXPECT_EQ(t->row<float>(0)[0], 51.25f);
  EXPECT_EQ(t->row<float>(0)[1], 53.25f);
}

TEST(ChannelSubsetSourceTest, MetadataFollowsTheKeptChannels) {
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"c", "a"}, "bads");
  ASSERT_THAT(s, IsOk());
  const RecordingInfo& info = (*s)->info();
  EXPECT_THAT(info.channel_ids, ElementsAre("b", "d"));
  EXPECT_THAT(info.channel_locations,
              ElementsAre(std::array<double, 2>{2, 3}, std::array<double, 2>{6, 7}));
  EXPECT_THAT(info.gain_to_uv, ElementsAre(2, 4));
  EXPECT_THAT(info.offset_to_uv, ElementsAre(-2, -4));
  EXPECT_THAT(info.inter_sample_shift, ElementsAre(0.2, 0.4));
  EXPECT_THAT(info.channel_types, ElementsAre("eog", "stim"));
  // What is not per channel is the parent's.
  EXPECT_EQ(info.sampling_rate_hz, 250);
  EXPECT_EQ(info.unit, "V");
  EXPECT_TRUE(info.channel_ids_from_file);
  EXPECT_EQ(info.highpass_hz, 0.5);
  EXPECT_EQ(info.lowpass_hz, 40);
  EXPECT_EQ(info.inter_sample_shift_note, "note");
}

TEST(ChannelSubsetSourceTest, MetadataTheParentLacksStaysEmpty) {
  RecordingInfo info;
  info.sampling_rate_hz = 100;
  info.channel_ids = {"a", "b", "c", "d"};
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kInt16, info), {"b"}, "bads");
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT((*s)->info().channel_ids, ElementsAre("a", "c", "d"));
  EXPECT_TRUE((*s)->info().gain_to_uv.empty());
  EXPECT_TRUE((*s)->info().offset_to_uv.empty());
  EXPECT_TRUE((*s)->info().channel_locations.empty());
  EXPECT_TRUE((*s)->info().inter_sample_shift.empty());
  EXPECT_TRUE((*s)->info().channel_types.empty());
}

TEST(ChannelSubsetSourceTest, DroppingNothingIsTheParent) {
  std::shared_ptr<const TraceSource> parent = Source(SampleType::kInt16);
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(parent, {}, "bads");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->get(), parent.get());
}

TEST(ChannelSubsetSourceTest, ANameTwiceIsDroppedOnce) {
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"b", "b"}, "bads");
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT((*s)->info().channel_ids, ElementsAre("a", "c", "d"));
}

TEST(ChannelSubsetSourceTest, Errors) {
  EXPECT_THAT(ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"b", "Cz"},
                                        "recording.exclude_channels"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.exclude_channels: the recording has no channel \"Cz\" "
                                 "(it has a,b,c,d)")));
  EXPECT_THAT(
      ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"a", "b", "c", "d"},
                                "recording.exclude_channels"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("recording.exclude_channels: dropping a,b,c,d leaves no channel")));
  absl::StatusOr<std::shared_ptr<const TraceSource>> s =
      ChannelSubsetSource::Drop(Source(SampleType::kInt16), {"a"}, "bads");
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT((*s)->GetTraces(4, 7), StatusIs(absl::StatusCode::kOutOfRange));
}

}  // namespace
}  // namespace neurofeat
