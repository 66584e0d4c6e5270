// ParsePipelineJson(): JSON mistakes named at their JSON path.
#include "api/pipeline_convert.h"

#include <google/protobuf/util/message_differencer.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat::api {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::StartsWith;

struct ErrorCase {
  std::string name;
  std::string json;
  std::string message;  // the whole message
};

// Every shape mistake a user makes, named at its JSON path with what was
// expected there.
const std::vector<ErrorCase>& ErrorCases() {
  static const auto* cases = new std::vector<ErrorCase>{
      // A string where an object goes.
      {"preprocessor given as its name",
       R"({"features": [{"name": "s", "preprocessor": "spectral_preprocessor"}]})",
       "features[0].preprocessor: expected an object {\"fn\": …, \"params\": …}, got a string "
       "(\"spectral_preprocessor\")"},
      {"window given as a number", R"({"window": 256})",
       "window: expected an object {\"size_samples\": …, \"stride_samples\": …, \"drop_last\": …}, "
       "got a number (256)"},
      {"step given as its name", R"({"preprocess": ["bandpass"]})",
       "preprocess[0]: expected an object {\"bandpass\": …, \"highpass\": …, \"lowpass\": …, "
       "\"bandstop\": …, \"notch\": …, \"common_reference\": …, \"scale\": …, \"phase_shift\": …}, "
       "got a string (\"bandpass\")"},
      {"step options given as a string", R"({"preprocess": [{"bandpass": "300-6000"}]})",
       "preprocess[0].bandpass: expected an object {\"freq_min\": …, \"freq_max\": …, "
       "\"filter_order\": …, \"margin_ms\": …, \"direction\": …}, got a string (\"300-6000\")"},
      {"params given as a list", R"({"features": [{"name": "v", "fn": "f", "params": [1, 2]}]})",
       "features[0].params: expected an object of parameters {\"name\": value, …}, got a list"},
      {"the whole pipeline a list", R"([{"bandpass": {}}])",
       "pipeline: expected an object {\"preprocess\": …, \"window\": …, \"features\": …}, got a "
       "list"},
      {"a list element null", R"({"features": [null]})",
       "features[0]: expected an object {\"name\": …, \"fn\": …, \"params\": …, \"preprocessor\": "
       "…, \"features\": …}, got null"},
      // An object where a list goes.
      {"preprocess given as one step", R"({"preprocess": {"bandpass": {"freq_min": 300}}})",
       "preprocess: expected a list [{…}, …], got an object; put it in [ ]"},
      {"features given as one node", R"({"features": {"name": "v", "fn": "signal_variance"}})",
       "features: expected a list [{…}, …], got an object; put it in [ ]"},
      {"child features given as one node",
       R"({"features": [{"name": "s", "features": {"name": "bp", "fn": "f"}}]})",
       "features[0].features: expected a list [{…}, …], got an object; put it in [ ]"},
      {"gain given as one number", R"({"preprocess": [{"scale": {"gain": 0.195}}]})",
       "preprocess[0].scale.gain: expected a list of numbers [1.5, …], got a number (0.195); put "
       "it in [ ]"},
      {"channel ids given as one string",
       R"({"preprocess": [{"common_reference": {"ref_channel_ids": "3"}}]})",
       "preprocess[0].common_reference.ref_channel_ids: expected a list of strings [\"…\", …], got "
       "a string (\"3\"); put it in [ ]"},
      {"a list given a string", R"({"preprocess": "bandpass"})",
       "preprocess: expected a list [{…}, …], got a string (\"bandpass\")"},
      // A number where a string goes, and the other way round.
      {"fn given as a number", R"({"features": [{"name": "v", "fn": 3}]})",
       "features[0].fn: expected a string, got a number (3)"},
      {"name given as a number", R"({"features": [{"name": 1.5, "fn": "f"}]})",
       "features[0].name: expected a string, got a number (1.5)"},
      {"channel id given as a number",
       R"({"preprocess": [{"common_reference": {"ref_channel_ids": [3]}}]})",
       "preprocess[0].common_reference.ref_channel_ids[0]: expected a string, got a number (3)"},
      {"direction given as true", R"({"preprocess": [{"bandpass": {"direction": true}}]})",
       "preprocess[0].bandpass.direction: expected a string, got true"},
      {"frequency given as a word", R"({"preprocess": [{"bandpass": {"freq_min": "low"}}]})",
       "preprocess[0].bandpass.freq_min: expected a number, got a string (\"low\")"},
      {"frequency given as a list", R"({"preprocess": [{"bandpass": {"freq_min": [300]}}]})",
       "preprocess[0].bandpass.freq_min: expected a number, got a list"},
      {"order given as a fraction", R"({"preprocess": [{"bandpass": {"filter_order": 2.5}}]})",
       "preprocess[0].bandpass.filter_order: expected an integer, got a number (2.5)"},
      {"order beyond int32", R"({"preprocess": [{"bandpass": {"filter_order": 3e9}}]})",
       "preprocess[0].bandpass.filter_order: expected an integer from -2147483648 to 2147483647, "
       "got a number (3e+09)"},
      {"window size beyond int64", R"({"window": {"size_samples": 1e20}})",
       "window.size_samples: expected an integer from -9223372036854775808 to "
       "9223372036854775807, got a number (1e+20)"},
      {"window size given as a word", R"({"window": {"size_samples": "all"}})",
       "window.size_samples: expected an integer, got a string (\"all\")"},
      {"drop_last given as a word", R"({"window": {"size_samples": 4, "drop_last": "yes"}})",
       "window.drop_last: expected true or false, got a string (\"yes\")"},
      {"long strings are cut",
       R"({"features": [{"name": "v", "fn": "f", "preprocessor": ")" + std::string(100, 'x') +
           R"("}]})",
       "features[0].preprocessor: expected an object {\"fn\": …, \"params\": …}, got a string (\"" +
           std::string(40, 'x') + "…\")"},
      // Unknown keys: the closest known one, and all of them.
      {"unknown step", R"({"preprocess": [{"bandpas": {}}]})",
       "preprocess[0].bandpas: unknown step; did you mean \"bandpass\"? (known: bandpass, "
       "highpass, lowpass, bandstop, notch, common_reference, scale, phase_shift)"},
      {"unknown step, a prefix", R"({"preprocess": [{"common_ref": {}}]})",
       "preprocess[0].common_ref: unknown step; did you mean \"common_reference\"? (known: "
       "bandpass, highpass, lowpass, bandstop, notch, common_reference, scale, phase_shift)"},
      {"unknown step, nothing close", R"({"preprocess": [{"whiten": {}}]})",
       "preprocess[0].whiten: unknown step (known: bandpass, highpass, lowpass, bandstop, notch, "
       "common_reference, scale, phase_shift)"},
      {"unknown key in a step", R"({"preprocess": [{"bandpass": {"freq_mn": 300}}]})",
       "preprocess[0].bandpass.freq_mn: unknown key; did you mean \"freq_min\"? (known: freq_min, "
       "freq_max, filter_order, margin_ms, direction)"},
      {"two letters wrong", R"({"preprocess": [{"notch": {"freq": 50, "dirumtion": "forward"}}]})",
       "preprocess[0].notch.dirumtion: unknown key; did you mean \"direction\"? (known: freq, q, "
       "margin_ms, direction)"},
      {"short key", R"({"preprocess": [{"notch": {"freq": 50, "qq": 30}}]})",
       "preprocess[0].notch.qq: unknown key; did you mean \"q\"? (known: freq, q, margin_ms, "
       "direction)"},
      {"transposition", R"({"preprocess": [{"highpass": {"freq_mni": 300}}]})",
       "preprocess[0].highpass.freq_mni: unknown key; did you mean \"freq_min\"? (known: freq_min, "
       "filter_order, margin_ms, direction)"},
      {"unknown top-level key", R"({"feature": []})",
       "feature: unknown key; did you mean \"features\"? (known: preprocess, window, features)"},
      {"unknown window key", R"({"window": {"length": 256}})",
       "window.length: unknown key (known: size_samples, stride_samples, drop_last)"},
      {"unknown window key, a prefix", R"({"window": {"size": 256}})",
       "window.size: unknown key; did you mean \"size_samples\"? (known: size_samples, "
       "stride_samples, drop_last)"},
      {"key with a space", R"({"window": {"size samples": 256}})",
       "window[\"size samples\"]: unknown key; did you mean \"size_samples\"? (known: "
       "size_samples, stride_samples, drop_last)"},
      {"unknown key in a nested node",
       R"({"features": [{"name": "s", "features": [{"name": "bp", "fn": "f", "parms": {}}]}]})",
       "features[0].features[0].parms: unknown key; did you mean \"params\"? (known: name, fn, "
       "params, preprocessor, features)"},
      {"unknown key in a preprocessor",
       R"({"features": [{"name": "s", "preprocessor": {"function": "spectral_preprocessor"}}]})",
       "features[0].preprocessor.function: unknown key (known: fn, params)"},
      // One step per item.
      {"two steps in one item", R"({"preprocess": [{"notch": {"freq": 50}, "bandpass": {}}]})",
       "preprocess[0]: \"bandpass\" and \"notch\" are two steps in one item; give each step its "
       "own item of the list"},
  };
  return *cases;
}

TEST(PipelineConvertTest, ShapeMistakesNameTheJsonPathAndWhatWasExpected) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParsePipelineJson(c.json).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(PipelineConvertTest, SyntaxErrorsNameTheByte) {
  EXPECT_THAT(ParsePipelineJson(R"({"preprocess": [)").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("pipeline: JSON: expected a value at byte 16")));
  EXPECT_THAT(ParsePipelineJson(R"({"window": {}, "window": {}})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "pipeline: JSON: key \"window\" appears twice (byte 15)"));
  EXPECT_THAT(ParsePipelineJson("").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("pipeline: JSON:")));
}

// What protobuf's JSON mapping takes stays taken: lowerCamelCase keys,
// numbers in strings (int64 fields print that way), null for absent, any
// value for margin_ms.
TEST(PipelineConvertTest, AcceptsWhatTheJsonMappingAccepts) {
  const std::string json = R"({
    "preprocess": [
      {"bandpass": {"freq_min": "300", "freqMax": 6000, "filter_order": 4, "margin_ms": "auto"}},
      {"notch": {"freq": 50, "margin_ms": 12.5, "direction": null}},
      {"common_reference": {"ref_channel_ids": ["a", "b"], "operator": "average"}},
      {"scale": {"gain": [0.195, 2], "offset": []}}
    ],
    "window": {"sizeSamples": "256", "stride_samples": 128, "drop_last": false},
    "features": [
      {"name": "spec",
       "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
       "features": [{"name": "bp", "fn": "spectral_bands_power",
                     "params": {"bands": [{"name": "alpha", "lo": 8, "hi": 12}]}}]},
      {"name": "v", "fn": "signal_variance", "params": null}
    ]
  })";
  absl::StatusOr<v1::Pipeline> p = ParsePipelineJson(json);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->preprocess_size(), 4);
  EXPECT_EQ(p->preprocess(0).bandpass().freq_min(), 300);
  EXPECT_EQ(p->preprocess(0).bandpass().freq_max(), 6000);
  EXPECT_EQ(p->preprocess(0).bandpass().filter_order(), 4);
  EXPECT_EQ(p->preprocess(0).bandpass().margin_ms().string_value(), "auto");
  EXPECT_EQ(p->preprocess(1).notch().margin_ms().number_value(), 12.5);
  EXPECT_FALSE(p->preprocess(1).notch().has_direction());
  EXPECT_EQ(p->preprocess(2).common_reference().ref_channel_ids(1), "b");
  EXPECT_EQ(p->preprocess(3).scale().gain(0), 0.195);
  EXPECT_EQ(p->window().size_samples(), 256);
  EXPECT_EQ(p->window().stride_samples(), 128);
  EXPECT_TRUE(p->window().has_drop_last());
  ASSERT_EQ(p->features_size(), 2);
  EXPECT_EQ(p->features(0).preprocessor().fn(), "spectral_preprocessor");
  EXPECT_EQ(p->features(0).features(0).params().fields().at("bands").list_value().values_size(), 1);
  // The JSON the API prints (int64 as strings) reads back the same.
  absl::StatusOr<v1::Pipeline> again = ParsePipelineJson(PipelineToJson(*p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*again, *p));
}

TEST(PipelineConvertTest, TheExamplesParse) {
  for (const char* name :
       {"eeg_features.json", "eegdash_howto.json", "spikeinterface_preprocess.json"}) {
    SCOPED_TRACE(name);
    const std::string text = ::neurofeat::testing::ReadFile(
        ::neurofeat::testing::TestDataPath("../../examples/") + name);
    ASSERT_FALSE(text.empty());
    EXPECT_TRUE(ParsePipelineJson(text).ok()) << ParsePipelineJson(text).status();
  }
}

}  // namespace
}  // namespace neurofeat::api
