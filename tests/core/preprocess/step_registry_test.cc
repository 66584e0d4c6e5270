#include "core/preprocess/step_registry.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "core/util/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tbb/task_arena.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kKnown[] =
    "bandpass, bandstop, common_reference, highpass, lowpass, notch, phase_shift, scale";

JsonValue Json(const std::string& text) {
  absl::StatusOr<JsonValue> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : JsonValue();
}

std::shared_ptr<InMemorySource> Source(int64_t frames, int64_t channels, SampleType type) {
  Traces t = Traces::Uninitialized(SampleType::kFloat64, frames, channels);
  for (int64_t i = 0; i < t.size(); ++i) t.data<double>()[i] = std::sin(0.01 * i);
  RecordingInfo info{30000, DefaultChannelIds(channels), {}};
  info.inter_sample_shift.assign(static_cast<size_t>(channels), 0.25);
  return std::make_shared<InMemorySource>(ConvertTraces(t, type), info);
}

// ---------------------------------------------------------------------------
// A step the registry has never heard of, registered by this test only: it
// multiplies every sample by `factor`, and says it needs a margin and
// memory that no built-in step would.
struct MultiplyOptions {
  double factor = 1.0;
  std::string step_name() const { return "test_multiply"; }
};

class MultiplyStep final : public PreprocessStep {
 public:
  static constexpr int64_t kMargin = 7;
  static constexpr int64_t kChunkBytes = 123456789;

  MultiplyStep(MultiplyOptions options, std::shared_ptr<const TraceSource> parent,
               SampleType output_type)
      : options_(options),
        parent_(std::move(parent)),
        output_type_(output_type),
        canonical_(absl::StrCat("test_multiply(factor=", options.factor, ")")) {}

  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return output_type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    absl::StatusOr<Traces> in = parent_->GetTraces(start, end);
    if (!in.ok()) return in.status();
    Traces x = ConvertTraces(*in, SampleType::kFloat64);
    for (int64_t i = 0; i < x.size(); ++i) x.data<double>()[i] *= options_.factor;
    return ConvertTraces(x, output_type_);
  }
  const std::string& canonical() const override { return canonical_; }
  int64_t margin_samples() const override { return kMargin; }
  int64_t ChunkBytes(int64_t frames) const override { return kChunkBytes; }

 private:
  MultiplyOptions options_;
  std::shared_ptr<const TraceSource> parent_;
  SampleType output_type_;
  std::string canonical_;
};

absl::StatusOr<MultiplyOptions> ParseMultiply(const JsonValue& json, const std::string& path) {
  MultiplyOptions o;
  if (const JsonValue* f = json.Find("factor"); f != nullptr) {
    if (!f->is_number()) return absl::InvalidArgumentError(path + ".factor must be a number");
    o.factor = f->number_value();
  }
  return o;
}

absl::StatusOr<std::unique_ptr<MultiplyStep>> CreateMultiply(
    const MultiplyOptions& options, std::shared_ptr<const TraceSource> parent,
    SampleType output_type, const std::string& path) {
  return std::make_unique<MultiplyStep>(options, std::move(parent), output_type);
}

StepRegistry WithMultiply() {
  StepRegistry registry = StepRegistry::Default();
  registry.Add(
      MakeStepRegistration<MultiplyOptions>("test_multiply", &ParseMultiply, &CreateMultiply));
  return registry;
}

// ---------------------------------------------------------------------------

TEST(StepRegistryTest, EveryStepIsRegistered) {
  EXPECT_THAT(StepRegistry::Default().Names(),
              ElementsAre("bandpass", "bandstop", "common_reference", "highpass", "lowpass",
                          "notch", "phase_shift", "scale"));
}

// Each step's parser makes options that name that step, so a chain finds
// the step again; the required fields are the contract's.
TEST(StepRegistryTest, ParsedOptionsNameTheirStep) {
  const struct {
    const char* name;
    const char* json;
  } kSteps[] = {
      {"bandpass", "{}"},
      {"highpass", "{}"},
      {"lowpass", R"({"freq_max": 100})"},
      {"bandstop", R"({"freq_min": 50, "freq_max": 70})"},
      {"notch", R"({"freq": 60})"},
      {"common_reference", "{}"},
      {"scale", "{}"},
      {"phase_shift", "{}"},
  };
  for (const auto& step : kSteps) {
    SCOPED_TRACE(step.name);
    absl::StatusOr<StepOptions> o = StepRegistry::Default().ParseOptions(
        step.name, Json(step.json), absl::StrCat("preprocess[0].", step.name));
    ASSERT_THAT(o.status(), IsOk());
    EXPECT_EQ(o->step_name(), step.name);
  }
}

TEST(StepRegistryTest, UnknownNameListsTheKnownOnes) {
  const std::string want = absl::StrCat(
      "preprocess[2].bandpas: unknown preprocess step \"bandpas\" (known: ", kKnown, ")");
  EXPECT_THAT(StepRegistry::Default().Lookup("bandpas", "preprocess[2].bandpas"),
              StatusIs(absl::StatusCode::kInvalidArgument, want));
  EXPECT_THAT(StepRegistry::Default().ParseOptions("bandpas", Json("{}"), "preprocess[2].bandpas"),
              StatusIs(absl::StatusCode::kInvalidArgument, want));
  EXPECT_EQ(StepRegistry::Default().Find("bandpas"), nullptr);
}

TEST(StepRegistryTest, ChainRefusesAStepItsRegistryDoesNotKnow) {
  ChainSpec spec;
  spec.steps.push_back({"preprocess[0].bandpass", ButterworthOptions{}});
  spec.steps.push_back({"preprocess[1].test_multiply", MultiplyOptions{}});
  EXPECT_THAT(
      PreprocessChain::Build(spec, Source(1000, 2, SampleType::kFloat32), SampleType::kFloat32),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("preprocess[1].test_multiply: unknown preprocess step "
                            "\"test_multiply\" (known: ",
                            kKnown, ")")));
  // Options that name no step at all.
  ChainSpec empty_options;
  empty_options.steps.push_back({"preprocess[0]", StepOptions()});
  EXPECT_THAT(PreprocessChain::Build(empty_options, Source(1000, 2, SampleType::kFloat32),
                                     SampleType::kFloat32),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("preprocess[0]: unknown preprocess step \"\" (known: bandpass")));
}

// The messages the pipeline contract has always given, now from the steps'
// own parsers.
TEST(StepRegistryTest, ParsersNameTheFieldAndValue) {
  const struct {
    const char* name;
    const char* json;
    const char* message;
  } kCases[] = {
      {"lowpass", "{}", "p.freq_max is required"},
      {"bandstop", R"({"freq_max": 70})", "p.freq_min is required"},
      {"bandstop", R"({"freq_min": 50})", "p.freq_max is required"},
      {"notch", R"({"q": 10})", "p.freq is required"},
      {"bandpass", R"({"margin_ms": true})", "p.margin_ms=true must be a number of ms or \"auto\""},
      {"bandpass", R"({"margin_ms": "fast"})",
       "p.margin_ms=\"fast\" must be a number of ms or \"auto\""},
      {"highpass", R"({"margin_ms": [1, 2]})",
       "p.margin_ms=[1,2] must be a number of ms or \"auto\""},
      {"notch", R"({"freq": 60, "margin_ms": -1})",
       "p.margin_ms=-1 must be a non-negative number of ms"},
      {"bandpass", R"({"direction": "sideways"})",
       "p.direction=\"sideways\" is not a direction (forward-backward, forward, backward)"},
      {"common_reference", R"({"reference": "globl"})",
       "p.reference=\"globl\" is not one of global, single, local"},
      {"common_reference", R"({"operator": "mean"})",
       "p.operator=\"mean\" is not one of median, average"},
      {"common_reference", R"({"local_radius": [1, 2, 3]})",
       "p.local_radius has 3 values; give [inner, outer]"},
      // Types the v1 messages rule out, for JSON from anywhere else.
      {"bandpass", R"({"freq_min": "low"})", "p.freq_min=\"low\" must be a number"},
      {"bandpass", R"({"filter_order": 4.5})", "p.filter_order=4.5 must be an integer"},
      {"scale", R"({"gain": [1, "x"]})", "p.gain[1]=\"x\" must be a number"},
      {"common_reference", R"({"ref_channel_ids": [3]})",
       "p.ref_channel_ids[0]=3 must be a string"},
      {"scale", R"({"gains": [2]})", "unknown key \"gains\" in p (known: gain, offset)"},
      {"phase_shift", "[]", "p=[] must be an object of options"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.name, " ", c.json));
    EXPECT_THAT(StepRegistry::Default().ParseOptions(c.name, Json(c.json), "p"),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(StepRegistryTest, ParsersReadEveryField) {
  absl::StatusOr<StepOptions> bp = StepRegistry::Default().ParseOptions(
      "bandpass", Json(R"({"freq_min": 250.5, "freq_max": 0.30000000000000004, "filter_order": 3,
               "margin_ms": 12.5, "direction": "backward"})"),
      "p");
  ASSERT_THAT(bp.status(), IsOk());
  const auto* b = bp->get_if<ButterworthOptions>();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->band, BandType::kBandpass);
  EXPECT_EQ(b->freq_min_hz, 250.5);
  EXPECT_EQ(b->freq_max_hz, 0.30000000000000004);
  EXPECT_EQ(b->filter_order, 3);
  EXPECT_EQ(b->margin_ms, 12.5);
  EXPECT_EQ(b->direction, FilterDirection::kBackward);

  // "auto" and null keep the automatic margin; protobuf's names for the
  // non-finite doubles are numbers.
  absl::StatusOr<StepOptions> hp = StepRegistry::Default().ParseOptions(
      "highpass", Json(R"({"freq_min": "NaN", "margin_ms": "auto"})"), "p");
  ASSERT_THAT(hp.status(), IsOk());
  EXPECT_TRUE(std::isnan(hp->get_if<ButterworthOptions>()->freq_min_hz));
  EXPECT_FALSE(hp->get_if<ButterworthOptions>()->margin_ms.has_value());
  EXPECT_EQ(hp->get_if<ButterworthOptions>()->freq_max_hz, 6000);  // unused, default

  absl::StatusOr<StepOptions> cr = StepRegistry::Default().ParseOptions(
      "common_reference",
      Json(R"({"reference": "local", "operator": "average", "ref_channel_ids": [],
               "local_radius": [10, 40.5]})"),
      "p");
  ASSERT_THAT(cr.status(), IsOk());
  const auto* c = cr->get_if<CommonReferenceOptions>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reference, ReferenceKind::kLocal);
  EXPECT_EQ(c->op, ReferenceOperator::kAverage);
  EXPECT_EQ(c->local_radius_inner, 10);
  EXPECT_EQ(c->local_radius_outer, 40.5);

  absl::StatusOr<StepOptions> sc =
      StepRegistry::Default().ParseOptions("scale", Json(R"({"gain": [0.195, "-Infinity"]})"), "p");
  ASSERT_THAT(sc.status(), IsOk());
  ASSERT_THAT(sc->get_if<ScaleOptions>()->gain, ElementsAre(0.195, -INFINITY));
  EXPECT_THAT(sc->get_if<ScaleOptions>()->offset, ElementsAre(0.0));

  absl::StatusOr<StepOptions> ps = StepRegistry::Default().ParseOptions(
      "phase_shift", Json(R"({"margin_ms": 20, "inter_sample_shift": [0, 0.5]})"), "p");
  ASSERT_THAT(ps.status(), IsOk());
  EXPECT_EQ(ps->get_if<PhaseShiftOptions>()->margin_ms, 20);
  EXPECT_THAT(ps->get_if<PhaseShiftOptions>()->inter_sample_shift, ElementsAre(0.0, 0.5));
  EXPECT_EQ(ps->get_if<ScaleOptions>(), nullptr);
}

// The chain's margin and memory are the steps' own answers. At 30 kHz the
// default bandpass pulls int(5000 / 300 ms * 30 kHz) = 500 frames a side and
// phase_shift int(40 ms * 30 kHz) = 1200.
TEST(StepRegistryTest, MarginsAndCostsComeFromTheSteps) {
  ChainSpec spec;
  spec.steps.push_back({"a", PhaseShiftOptions{}});
  spec.steps.push_back({"b", ButterworthOptions{}});
  spec.steps.push_back({"c", CommonReferenceOptions{}});
  absl::StatusOr<std::unique_ptr<PreprocessChain>> chain =
      PreprocessChain::Build(spec, Source(100000, 4, SampleType::kInt16), SampleType::kFloat32);
  ASSERT_THAT(chain.status(), IsOk());
  EXPECT_EQ((*chain)->margin_frames(), 1700);
  // The chain holds every step's blocks (the buffer pool keeps them for the
  // next chunk); each step counts its working copies and output, the first
  // also the source's read. Bytes per channel for 30000 output frames (4
  // channels):
  //   common_reference: 30000 out x 4                             = 120000
  //   bandpass: 30000 out x 4                                     = 120000
  //   phase_shift: 33400 in x (2 + 2 + 4 work) + 31000 out x 4    = 391200
  // and the bandpass's float64 stripes, one per task the arena runs at
  // once: (31000 + 2 x 33 padlen (scipy's 3 x (2 x 5 sections + 1))) rows x
  // 8 lanes x 4 stripes x 8 bytes.
  const int64_t tasks = tbb::this_task_arena::max_concurrency();
  EXPECT_EQ((*chain)->PeakBytes(30000), 4 * (120000 + 120000 + 391200) + tasks * 31066 * 256);
  // Near the end of the recording the margins are clipped: 99000 frames
  // pull 100000 through the bandpass and the phase shift.
  //   99000 x 4 + 99000 x 4 + 100000 x (2 + 2 + 4) + 100000 x 4 = 1992000
  EXPECT_EQ((*chain)->PeakBytes(99000), 4 * 1992000 + tasks * 100066 * 256);

  // A step of the test's own: its margin and its bytes, not a formula of
  // the chain's.
  ChainSpec with_test_step;
  with_test_step.steps.push_back({"a", MultiplyOptions{}});
  with_test_step.steps.push_back({"b", ButterworthOptions{}});
  StepRegistry registry = WithMultiply();
  absl::StatusOr<std::unique_ptr<PreprocessChain>> mixed = PreprocessChain::Build(
      with_test_step, Source(100000, 4, SampleType::kFloat32), SampleType::kFloat32, registry);
  ASSERT_THAT(mixed.status(), IsOk());
  EXPECT_EQ((*mixed)->margin_frames(), 507);
  EXPECT_EQ((*mixed)->PeakBytes(30000),
            MultiplyStep::kChunkBytes + 4 * 120000 + tasks * 31066 * 256);
}

// A step registered by the test runs inside a chain, between built-in
// steps, with no change to the chain: its options come from JSON through
// the registry, its canonical form joins the chain's.
TEST(StepRegistryTest, TestStepRunsInAChain) {
  StepRegistry registry = WithMultiply();
  absl::StatusOr<StepOptions> options =
      registry.ParseOptions("test_multiply", Json(R"({"factor": -2})"), "preprocess[1].x");
  ASSERT_THAT(options.status(), IsOk());
  ScaleOptions offset;
  offset.offset = {1.0};
  ChainSpec spec;
  spec.steps.push_back({"preprocess[0].scale", offset});
  spec.steps.push_back({"preprocess[1].test_multiply", *options});

  Traces x = Traces::Uninitialized(SampleType::kFloat32, 3, 2);
  const float values[] = {0.5f, -1.0f, 2.0f, 0.0f, 3.25f, -4.0f};
  for (int i = 0; i < 6; ++i) x.data<float>()[i] = values[i];
  auto source =
      std::make_shared<InMemorySource>(std::move(x), RecordingInfo{1000, DefaultChannelIds(2), {}});
  absl::StatusOr<std::unique_ptr<PreprocessChain>> chain =
      PreprocessChain::Build(spec, source, SampleType::kFloat32, registry);
  ASSERT_THAT(chain.status(), IsOk());
  EXPECT_EQ((*chain)->canonical(),
            "scale(gain=[1],offset=[1],dtype=float32)|test_multiply(factor=-2)");
  absl::StatusOr<Traces> out = (*chain)->output().GetTraces(0, 3);
  ASSERT_THAT(out.status(), IsOk());
  // (x + 1) * -2
  const float want[] = {-3.0f, 0.0f, -6.0f, -2.0f, -8.5f, 6.0f};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out->data<float>()[i], want[i]) << i;

  // The default registry is untouched.
  EXPECT_EQ(StepRegistry::Default().Find("test_multiply"), nullptr);
}

// StepOptions keeps the options' own type and reads the name from them as
// they are now (a ButterworthOptions names the step of its band).
TEST(StepRegistryTest, StepOptionsIsAValueNamedByItsOptions) {
  StepOptions o = ButterworthOptions{};
  EXPECT_EQ(o.step_name(), "bandpass");
  StepOptions copy = o;
  copy.get_if<ButterworthOptions>()->band = BandType::kLowpass;
  EXPECT_EQ(copy.step_name(), "lowpass");
  EXPECT_EQ(o.step_name(), "bandpass");
  EXPECT_EQ(o.get_if<NotchOptions>(), nullptr);
  EXPECT_EQ(StepOptions().step_name(), "");
}

}  // namespace
}  // namespace neurofeat
