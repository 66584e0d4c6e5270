#include "api/pipeline_convert.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/preprocess/step_registry.h"
#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat::api {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

absl::StatusOr<ChainSpec> ChainFromJson(const std::string& json) {
  absl::StatusOr<v1::Pipeline> pipeline = ParsePipelineJson(json);
  if (!pipeline.ok()) return pipeline.status();
  return ToChainSpec(*pipeline);
}

// The v1 oneof and core's registry list the same steps: a step added to
// one and not the other fails here.
TEST(PipelineConvertTest, EveryStepOfTheProtoIsRegistered) {
  const google::protobuf::OneofDescriptor* oneof =
      v1::PreprocessStep::descriptor()->FindOneofByName("step");
  ASSERT_NE(oneof, nullptr);
  std::vector<std::string> names;
  for (int i = 0; i < oneof->field_count(); ++i) names.push_back(oneof->field(i)->name());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAreArray(StepRegistry::Default().Names()));
}

TEST(PipelineConvertTest, EachStepKeepsItsFields) {
  absl::StatusOr<ChainSpec> spec = ChainFromJson(R"({"preprocess": [
      {"bandpass": {"freq_min": 250, "freq_max": 5000, "filter_order": 3, "margin_ms": 10,
                    "direction": "forward"}},
      {"highpass": {"freq_min": 1}},
      {"lowpass": {"freq_max": 40, "margin_ms": "auto"}},
      {"bandstop": {"freq_min": 58, "freq_max": 62}},
      {"notch": {"freq": 50, "q": 20}},
      {"common_reference": {"reference": "single", "operator": "average",
                            "ref_channel_ids": ["c3"]}},
      {"scale": {"gain": [0.5, 2], "offset": [1]}},
      {"phase_shift": {"margin_ms": 20, "inter_sample_shift": [0, 0.5]}}]})");
  ASSERT_THAT(spec.status(), IsOk());
  ASSERT_EQ(spec->steps.size(), 8u);
  const char* kPaths[] = {"preprocess[0].bandpass", "preprocess[1].highpass",
                          "preprocess[2].lowpass",  "preprocess[3].bandstop",
                          "preprocess[4].notch",    "preprocess[5].common_reference",
                          "preprocess[6].scale",    "preprocess[7].phase_shift"};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(spec->steps[i].path, kPaths[i]);
    EXPECT_EQ(absl::StrCat("preprocess[", i, "].", spec->steps[i].options.step_name()), kPaths[i]);
  }
  const auto* bp = spec->steps[0].options.get_if<ButterworthOptions>();
  ASSERT_NE(bp, nullptr);
  EXPECT_EQ(bp->band, BandType::kBandpass);
  EXPECT_EQ(bp->freq_min_hz, 250);
  EXPECT_EQ(bp->freq_max_hz, 5000);
  EXPECT_EQ(bp->filter_order, 3);
  EXPECT_EQ(bp->margin_ms, 10);
  EXPECT_EQ(bp->direction, FilterDirection::kForward);
  const auto* hp = spec->steps[1].options.get_if<ButterworthOptions>();
  ASSERT_NE(hp, nullptr);
  EXPECT_EQ(hp->band, BandType::kHighpass);
  EXPECT_EQ(hp->freq_min_hz, 1);
  EXPECT_EQ(hp->filter_order, 5);
  EXPECT_FALSE(hp->margin_ms.has_value());
  const auto* lp = spec->steps[2].options.get_if<ButterworthOptions>();
  ASSERT_NE(lp, nullptr);
  EXPECT_EQ(lp->band, BandType::kLowpass);
  EXPECT_EQ(lp->freq_max_hz, 40);
  EXPECT_FALSE(lp->margin_ms.has_value());
  const auto* bs = spec->steps[3].options.get_if<ButterworthOptions>();
  ASSERT_NE(bs, nullptr);
  EXPECT_EQ(bs->band, BandType::kBandstop);
  EXPECT_EQ(bs->freq_min_hz, 58);
  EXPECT_EQ(bs->freq_max_hz, 62);
  const auto* notch = spec->steps[4].options.get_if<NotchOptions>();
  ASSERT_NE(notch, nullptr);
  EXPECT_EQ(notch->freq_hz, 50);
  EXPECT_EQ(notch->q, 20);
  EXPECT_EQ(notch->direction, FilterDirection::kForwardBackward);
  const auto* cr = spec->steps[5].options.get_if<CommonReferenceOptions>();
  ASSERT_NE(cr, nullptr);
  EXPECT_EQ(cr->reference, ReferenceKind::kSingle);
  EXPECT_EQ(cr->op, ReferenceOperator::kAverage);
  EXPECT_THAT(cr->ref_channel_ids, ElementsAre("c3"));
  EXPECT_EQ(cr->local_radius_inner, 30);
  EXPECT_EQ(cr->local_radius_outer, 55);
  const auto* scale = spec->steps[6].options.get_if<ScaleOptions>();
  ASSERT_NE(scale, nullptr);
  EXPECT_THAT(scale->gain, ElementsAre(0.5, 2.0));
  EXPECT_THAT(scale->offset, ElementsAre(1.0));
  const auto* ps = spec->steps[7].options.get_if<PhaseShiftOptions>();
  ASSERT_NE(ps, nullptr);
  EXPECT_EQ(ps->margin_ms, 20);
  EXPECT_THAT(ps->inter_sample_shift, ElementsAre(0.0, 0.5));
}

// Values JSON text cannot carry reach the steps through the proto as they
// were set: a NaN corner (refused by the filter), an unset margin Value.
TEST(PipelineConvertTest, ProtoValuesArriveUnchanged) {
  v1::Pipeline pipeline;
  v1::BandpassStep* bp = pipeline.add_preprocess()->mutable_bandpass();
  bp->set_freq_min(std::numeric_limits<double>::quiet_NaN());
  bp->set_freq_max(0.1 + 0.2);
  bp->mutable_margin_ms();  // a Value with no kind: auto
  pipeline.add_preprocess()->mutable_scale()->add_gain(-std::numeric_limits<double>::infinity());
  absl::StatusOr<ChainSpec> spec = ToChainSpec(pipeline);
  ASSERT_THAT(spec.status(), IsOk());
  const auto* o = spec->steps[0].options.get_if<ButterworthOptions>();
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(std::isnan(o->freq_min_hz));
  EXPECT_EQ(o->freq_max_hz, 0.30000000000000004);
  EXPECT_FALSE(o->margin_ms.has_value());
  EXPECT_THAT(spec->steps[1].options.get_if<ScaleOptions>()->gain,
              ElementsAre(-std::numeric_limits<double>::infinity()));
}

struct BadStepCase {
  const char* name;
  const char* json;
  const char* message;
};

void PrintTo(const BadStepCase& c, std::ostream* os) { *os << c.name; }

class PipelineConvertBadStepTest : public ::testing::TestWithParam<BadStepCase> {};

TEST_P(PipelineConvertBadStepTest, NamesTheFieldAndValue) {
  EXPECT_THAT(ChainFromJson(GetParam().json),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Messages, PipelineConvertBadStepTest,
    ::testing::Values(
        BadStepCase{"no_step", R"({"preprocess": [{"bandpass": {}}, {}]})",
                    "preprocess[1] names no step (known: bandpass, highpass, lowpass, bandstop, "
                    "notch, common_reference, scale, phase_shift)"},
        BadStepCase{"lowpass_without_corner", R"({"preprocess": [{"lowpass": {}}]})",
                    "preprocess[0].lowpass.freq_max is required"},
        BadStepCase{"bandstop_without_lower", R"({"preprocess": [{"bandstop": {"freq_max": 9}}]})",
                    "preprocess[0].bandstop.freq_min is required"},
        BadStepCase{"notch_without_freq", R"({"preprocess": [{"notch": {"q": 9}}]})",
                    "preprocess[0].notch.freq is required"},
        BadStepCase{"margin_bool", R"({"preprocess": [{"bandpass": {"margin_ms": true}}]})",
                    "preprocess[0].bandpass.margin_ms=true must be a number of ms or \"auto\""},
        BadStepCase{"margin_word", R"({"preprocess": [{"highpass": {"margin_ms": "fast"}}]})",
                    "preprocess[0].highpass.margin_ms=\"fast\" must be a number of ms or "
                    "\"auto\""},
        BadStepCase{"margin_negative",
                    R"({"preprocess": [{"scale": {}}, {"notch": {"freq": 60, "margin_ms": -1}}]})",
                    "preprocess[1].notch.margin_ms=-1 must be a non-negative number of ms"},
        BadStepCase{"direction",
                    R"({"preprocess": [{"lowpass": {"freq_max": 9, "direction": "up"}}]})",
                    "preprocess[0].lowpass.direction=\"up\" is not a direction (forward-backward, "
                    "forward, backward)"},
        BadStepCase{"reference",
                    R"({"preprocess": [{"common_reference": {"reference": "globl"}}]})",
                    "preprocess[0].common_reference.reference=\"globl\" is not one of global, "
                    "single, local"},
        BadStepCase{"operator", R"({"preprocess": [{"common_reference": {"operator": "mode"}}]})",
                    "preprocess[0].common_reference.operator=\"mode\" is not one of median, "
                    "average"},
        BadStepCase{"local_radius",
                    R"({"preprocess": [{"common_reference": {"local_radius": [1]}}]})",
                    "preprocess[0].common_reference.local_radius has 1 values; give [inner, "
                    "outer]"}),
    [](const ::testing::TestParamInfo<BadStepCase>& info) { return info.param.name; });

// The canonical forms are part of every cache descriptor: the same JSON
// must give the same strings as it always has.
TEST(PipelineConvertTest, CanonicalFormsAreUnchanged) {
  absl::StatusOr<ChainSpec> spec = ChainFromJson(R"({"preprocess": [
      {"bandpass": {}},
      {"highpass": {"freq_min": 1}},
      {"lowpass": {"freq_max": 40}},
      {"bandstop": {"freq_min": 58, "freq_max": 62, "margin_ms": 10}},
      {"notch": {"freq": 50, "q": 25, "margin_ms": 0, "direction": "forward"}},
      {"common_reference": {"operator": "average"}},
      {"scale": {"gain": [0.195], "offset": [0]}},
      {"phase_shift": {"margin_ms": 20, "inter_sample_shift": [0, 0.5]}}]})");
  ASSERT_THAT(spec.status(), IsOk());
  auto source = std::make_shared<InMemorySource>(Traces::Zeros(SampleType::kFloat32, 1000, 2),
                                                 RecordingInfo{30000, DefaultChannelIds(2), {}});
  absl::StatusOr<std::unique_ptr<PreprocessChain>> chain =
      PreprocessChain::Build(*spec, source, SampleType::kFloat32);
  ASSERT_THAT(chain.status(), IsOk());
  EXPECT_EQ((*chain)->canonical(),
            "bandpass(freq_min=300,freq_max=6000,filter_order=5,margin_samples=500,"
            "direction=forward-backward,dtype=float32)"
            "|highpass(freq_min=1,freq_max=0,filter_order=5,margin_samples=150000,"
            "direction=forward-backward,dtype=float32)"
            "|lowpass(freq_min=0,freq_max=40,filter_order=5,margin_samples=3750,"
            "direction=forward-backward,dtype=float32)"
            "|bandstop(freq_min=58,freq_max=62,filter_order=5,margin_samples=300,"
            "direction=forward-backward,dtype=float32)"
            "|notch(freq=50,q=25,margin_samples=0,direction=forward,dtype=float32)"
            "|common_reference(reference=global,operator=average,ref_channel_ids=[],"
            "dtype=float32)"
            "|scale(gain=[0.195],offset=[0],dtype=float32)"
            "|phase_shift(margin_ms=20,inter_sample_shift=[0,0.5],dtype=float32)");
}

}  // namespace
}  // namespace neurofeat::api
