// The core JSON value: strict parsing (every malformed form named with its
// byte offset), canonical printing that tells apart any two different
// values, and the feature descriptors built on it.
#include "core/util/json.h"

#include <cmath>

#include "core/features/feature_tree.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonTest, ParsesEveryKindAndPrintsCanonically) {
  absl::StatusOr<JsonValue> v = ParseJson(
      R"( {"b": [1, 2.5, -3e2, 0.1, true, false, null], "a": "x\"y\\z\n\u00e9\ud83d\ude00",
           "c": {}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(ToCanonicalJson(*v),
            "{\"a\":\"x\\\"y\\\\z\\n\xc3\xa9\xf0\x9f\x98\x80\",\"b\":[1,2.5,-300,0.1,true,false,"
            "null],\"c\":{}}");
  EXPECT_EQ(v->Find("b")->list()[3].number_value(), 0.1);
  EXPECT_EQ(v->Find("missing"), nullptr);
  // Printing and parsing again gives the same value.
  EXPECT_EQ(*ParseJson(ToCanonicalJson(*v)), *v);
}

TEST(JsonTest, MalformedTextIsRefusedWithItsOffset) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"", "expected a value at byte 0"},
                        Case{"{\"a\": 1,}", "expected a quoted key at byte 8"},
                        Case{"[1, 2", "expected ',' or ']' at byte 5"},
                        Case{"01", "expected end of input at byte 1"},
                        Case{"1.", "a digit after '.'"},
                        Case{"-", "a digit"},
                        Case{"\"\\x\"", "an escape"},
                        Case{"\"\\ud800\"", "a low surrogate"},
                        Case{"\"a\nb\"", "no control character"},
                        Case{"{\"a\": 1, \"a\": 2}", "key \"a\" appears twice"},
                        Case{"NaN", "expected a value"},
                        Case{"[1] x", "end of input at byte 4"},
                        Case{"tru", "expected a value"}}) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(ParseJson(c.text).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(JsonTest, NestingIsBounded) {
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_THAT(ParseJson(deep).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper than 64")));
  std::string ok(64, '[');
  ok += std::string(64, ']');
  EXPECT_TRUE(ParseJson(ok).ok());
}

TEST(JsonTest, NumbersPrintInTheirShortestRoundTripForm) {
  for (double x : {8.0, 0.2, 1e-15, 8.123451, 8.123452, 1.0 / 3.0, -0.0, 1e300, 5e-324}) {
    SCOPED_TRACE(x);
    const std::string text = FormatJsonNumber(x);
    EXPECT_EQ(ParseJson(text)->number_value(), x);
  }
  EXPECT_EQ(FormatJsonNumber(8.0), "8");
  EXPECT_EQ(FormatJsonNumber(0.2), "0.2");
  EXPECT_EQ(FormatJsonNumber(std::nan("")), "NaN");
  // Numbers beyond double's range are what the text says: infinite or zero.
  EXPECT_TRUE(std::isinf(ParseJson("1e999")->number_value()));
  EXPECT_EQ(ParseJson("-1e-999")->number_value(), 0.0);
}

// Descriptors (cache keys) printed bands with six digits: 8.123451 and
// 8.123452 Hz made the same descriptor, so one band's cached power would
// have answered for the other.
TEST(JsonTest, FeatureDescriptorsTellApartBandsThatDifferInTheSeventhDigit) {
  SignalInfo info;
  info.fs = 256;
  info.channels = {"a"};
  auto tree_for = [&](double lo) {
    FeatureNodeSpec group;
    group.name = "s";
    group.has_preprocessor = true;
    group.preprocessor_fn = "spectral_preprocessor";
    group.preprocessor_params =
        JsonValue::MakeObject({{"window_size_in_sec", JsonValue::Number(1.0)}});
    FeatureNodeSpec bp;
    bp.name = "bp";
    bp.fn = "spectral_bands_power";
    JsonValue band = JsonValue::MakeObject({{"name", JsonValue::String("x")},
                                            {"lo", JsonValue::Number(lo)},
                                            {"hi", JsonValue::Number(12.0)}});
    bp.params = JsonValue::MakeObject({{"bands", JsonValue::MakeList({band})}});
    group.features.push_back(bp);
    return FeatureTree::Build({group}, info, 512);
  };
  absl::StatusOr<FeatureTree> a = tree_for(8.123451), b = tree_for(8.123452);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->leaves().size(), 1u);
  EXPECT_NE(a->leaves()[0].descriptor, b->leaves()[0].descriptor);
  EXPECT_THAT(a->leaves()[0].descriptor, HasSubstr("8.123451"));
}

}  // namespace
}  // namespace neurofeat
