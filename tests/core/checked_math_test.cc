// Checked sizes: products and sums that would pass 2^53 (or wrap int64),
// negative sizes and non-finite or huge doubles are errors naming the field.
#include "core/checked_math.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neurofeat {
namespace {

using ::testing::HasSubstr;

TEST(CheckedMathTest, ProductOfAShapeThatWrapsInt64IsAnError) {
  // (2^62 + 30000) x 4 x 4 wraps to 480,000 in int64 arithmetic.
  const int64_t frames = (int64_t{1} << 62) + 30000;
  EXPECT_EQ(static_cast<int64_t>(static_cast<uint64_t>(frames) * 16u), 480000);
  absl::StatusOr<int64_t> bytes = CheckedProduct({frames, 4, 4}, "recording.samples.shape");
  ASSERT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("recording.samples.shape"));
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("4611686018427417904 x 4 x 4"));
}

TEST(CheckedMathTest, ProductsAndSumsUpToTheLimitAreExact) {
  EXPECT_EQ(*CheckedProduct({30000, 384, 2}, "f"), 23040000);
  EXPECT_EQ(*CheckedProduct({}, "f"), 1);
  EXPECT_EQ(*CheckedProduct({0, int64_t{1} << 62}, "f"), 0);
  EXPECT_EQ(*CheckedMul(int64_t{1} << 26, int64_t{1} << 27, "f"), kMaxCount);
  EXPECT_FALSE(CheckedMul(int64_t{1} << 26, (int64_t{1} << 27) + 1, "f").ok());
  EXPECT_EQ(*CheckedAdd(kMaxCount - 1, 1, "f"), kMaxCount);
  EXPECT_FALSE(CheckedAdd(kMaxCount, 1, "f").ok());
  EXPECT_FALSE(CheckedAdd(std::numeric_limits<int64_t>::max(), 1, "f").ok());
}

TEST(CheckedMathTest, NegativeSizesAreErrors) {
  EXPECT_FALSE(CheckedMul(-1, 4, "f").ok());
  EXPECT_FALSE(CheckedAdd(4, -1, "f").ok());
  EXPECT_FALSE(CheckedProduct({3, -2}, "f").ok());
}

TEST(CheckedMathTest, SaturatingEstimatesNeverShrink) {
  EXPECT_EQ(SaturatingMul(1000, 1000), 1000000);
  EXPECT_EQ(SaturatingMul(int64_t{1} << 40, int64_t{1} << 40), kMaxCount);
  EXPECT_EQ(SaturatingMul(-5, 3), kMaxCount);
  EXPECT_EQ(SaturatingAdd(kMaxCount, 1), kMaxCount);
  EXPECT_EQ(SaturatingAdd(std::numeric_limits<int64_t>::max(), 1), kMaxCount);
  EXPECT_EQ(SaturatingAdd(2, 3), 5);
}

TEST(CheckedMathTest, DoubleToCountRangeChecksAndTruncates) {
  EXPECT_EQ(*DoubleToCount(1500.9, "f"), 1500);
  EXPECT_EQ(*DoubleToCount(0.0, "f"), 0);
  EXPECT_EQ(*DoubleToCount(9007199254740992.0, "f"), kMaxCount);
  struct Case {
    double value;
    const char* shown;
  };
  for (const Case& c : {Case{1e300, "1e+300"}, Case{-1.0, "-1"},
                        Case{std::numeric_limits<double>::quiet_NaN(), "nan"},
                        Case{std::numeric_limits<double>::infinity(), "inf"},
                        Case{9007199254740994.0, "9.0072e+15"}}) {
    SCOPED_TRACE(c.shown);
    absl::StatusOr<int64_t> n = DoubleToCount(c.value, "preprocess[0].bandpass.margin_ms");
    ASSERT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(n.status().message()), HasSubstr("preprocess[0].bandpass.margin_ms"));
    EXPECT_THAT(std::string(n.status().message()), HasSubstr(c.shown));
  }
}

TEST(CheckedMathTest, CountsAndFiniteNumbers) {
  EXPECT_TRUE(CheckCount(5, 1, 10, "f").ok());
  EXPECT_THAT(std::string(CheckCount(0, 1, 10, "nSavedChans").message()),
              HasSubstr("nSavedChans: 0 is not in [1, 10]"));
  EXPECT_TRUE(CheckFinite(1e300, "f").ok());
  EXPECT_EQ(CheckFinite(std::nan(""), "bands[0].lo").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace neurofeat
