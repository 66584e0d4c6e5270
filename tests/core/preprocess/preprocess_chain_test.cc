#include "core/preprocess/preprocess_chain.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/source/in_memory_source.h"
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

// The leading filter proves finiteness from its final state instead of a
// scan; every kernel path (full stripes, a partial stripe, the (b, a) notch),
// direction, input type and position must still catch the sample.
TEST(PreprocessChainTest, EveryFilterPathRefusesNonFiniteSamples) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t channels : {4, 32, 43}) {
    for (FilterDirection direction : {FilterDirection::kForwardBackward, FilterDirection::kForward,
                                      FilterDirection::kBackward}) {
      for (bool notch : {false, true}) {
        for (SampleType type : {SampleType::kFloat32, SampleType::kFloat64}) {
          for (int64_t frame : {int64_t{0}, int64_t{1234}, int64_t{2999}}) {
            for (double bad : {nan, inf, -inf}) {
              Traces t = Traces::Zeros(SampleType::kFloat64, 3000, channels);
              for (int64_t i = 0; i < t.size(); ++i) t.data<double>()[i] = std::sin(0.3 * i);
              const int64_t channel = channels - 1 - frame % channels;
              t.row<double>(frame)[channel] = bad;
              auto src = std::make_shared<InMemorySource>(
                  ConvertTraces(t, type), RecordingInfo{30000, DefaultChannelIds(channels), {}});
              ChainSpec spec;
              if (notch) {
                NotchOptions o;
                o.freq_hz = 60;
                o.direction = direction;
                spec.steps.push_back({"preprocess[0].notch", o});
              } else {
                ButterworthOptions o;
                o.direction = direction;
                spec.steps.push_back({"preprocess[0].bandpass", o});
              }
              auto chain = PreprocessChain::Build(spec, src, SampleType::kFloat32);
              ASSERT_TRUE(chain.ok());
              const std::string want = absl::StrCat("frame ", frame, ", channel ", channel, " is ",
                                                    std::isnan(bad) ? "NaN" : "infinite");
              EXPECT_THAT((*chain)->output().GetTraces(0, 3000),
                          StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(want)))
                  << channels << " channels, notch " << notch << ", direction "
                  << static_cast<int>(direction) << ", frame " << frame << ", value " << bad;
              // The same recording without the bad sample passes.
              t.row<double>(frame)[channel] = 0.5;
              auto good = std::make_shared<InMemorySource>(
                  ConvertTraces(t, type), RecordingInfo{30000, DefaultChannelIds(channels), {}});
              auto good_chain = PreprocessChain::Build(spec, good, SampleType::kFloat32);
              ASSERT_TRUE(good_chain.ok());
              EXPECT_TRUE((*good_chain)->output().GetTraces(0, 3000).ok());
            }
          }
        }
      }
    }
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
