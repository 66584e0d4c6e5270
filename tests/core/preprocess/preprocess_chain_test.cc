#include "core/preprocess/preprocess_chain.h"

#include <cmath>
#include <limits>

#include "core/preprocess/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

std::shared_ptr<InMemorySource> Ramp(int64_t frames, int64_t channels, SampleType type) {
  Traces t = Traces::Uninitialized(SampleType::kFloat64, frames, channels);
  for (int64_t i = 0; i < t.size(); ++i)
    t.data<double>()[i] = std::sin(0.01 * static_cast<double>(i));
  RecordingInfo info{30000, DefaultChannelIds(channels), {}};
  return std::make_shared<InMemorySource>(ConvertTraces(t, type), info);
}

ChainSpec BandpassThenMedian() {
  ChainSpec spec;
  spec.steps.push_back({"preprocess[0].bandpass", ButterworthOptions{}});
  spec.steps.push_back({"preprocess[1].common_reference", CommonReferenceOptions{}});
  return spec;
}

TEST(PreprocessChainTest, NonFiniteSamplesAreRefusedWithFrameAndChannel) {
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    Traces t = Traces::Zeros(SampleType::kFloat32, 1000, 4);
    t.row<float>(777)[2] = static_cast<float>(bad);
    auto src = std::make_shared<InMemorySource>(std::move(t),
                                                RecordingInfo{30000, DefaultChannelIds(4), {}});
    auto chain = PreprocessChain::Build(BandpassThenMedian(), src, SampleType::kFloat32);
    ASSERT_TRUE(chain.ok());
    EXPECT_THAT((*chain)->output().GetTraces(0, 1000),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(std::isnan(bad) ? "frame 777, channel 2 is NaN"
                                                   : "frame 777, channel 2 is infinite")));
  }
}

TEST(PreprocessChainTest, CanonicalFormFillsDefaults) {
  auto chain = PreprocessChain::Build(BandpassThenMedian(), Ramp(1000, 4, SampleType::kInt16),
                                      SampleType::kInt16);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ((*chain)->canonical(),
            "bandpass(freq_min=300,freq_max=6000,filter_order=5,margin_samples=500,direction="
            "forward-backward,dtype=int16)|common_reference(reference=global,operator=median,"
            "ref_channel_ids=[],dtype=int16)");
}

TEST(PreprocessChainTest, ZeroChannelsAndBadRateAreRefused) {
  auto empty = std::make_shared<InMemorySource>(Traces::Zeros(SampleType::kFloat32, 100, 0),
                                                RecordingInfo{30000, {}, {}});
  EXPECT_THAT(PreprocessChain::Build(BandpassThenMedian(), empty, SampleType::kFloat32),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zero channels")));
  auto bad_rate = std::make_shared<InMemorySource>(Traces::Zeros(SampleType::kFloat32, 100, 2),
                                                   RecordingInfo{0, DefaultChannelIds(2), {}});
  EXPECT_THAT(PreprocessChain::Build(BandpassThenMedian(), bad_rate, SampleType::kFloat32),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fs=0")));
}

TEST(PreprocessChainTest, EmptyChainConvertsToOutputType) {
  auto chain = PreprocessChain::Build({}, Ramp(10, 2, SampleType::kFloat64), SampleType::kFloat32);
  ASSERT_TRUE(chain.ok());
  absl::StatusOr<Traces> t = (*chain)->output().GetTraces(0, 10);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->type(), SampleType::kFloat32);
  EXPECT_EQ((*chain)->canonical(), "identity");
}

}  // namespace
}  // namespace neurofeat
