#include "cmdline/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ArgsTest, DurationsWithUnits) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("250ms", "f"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("2.5", "f"), 2.5);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("10min", "f"), 600);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1h", "f"), 3600);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("7d", "f"), 7 * 86400);
  EXPECT_THAT(ParseDurationSeconds("-1s", "cache-ttl").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cache-ttl=-1s")));
  EXPECT_FALSE(ParseDurationSeconds("soon", "f").ok());
}

TEST(ArgsTest, RepeatableFlagsKeepEveryValueOthersRefuseRepeats) {
  ArgParser parser("t", {{"data-root", true, "", true}, {"listen", true, ""}});
  const char* argv[] = {"t", "--data-root", "/a", "--data-root=/b", "--listen", "x"};
  auto args = parser.Parse(6, const_cast<char**>(argv), 1);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->GetAll("data-root"), ::testing::ElementsAre("/a", "/b"));
  const char* twice[] = {"t", "--listen", "x", "--listen", "y"};
  EXPECT_THAT(
      parser.Parse(5, const_cast<char**>(twice), 1).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--listen is given more than once")));
  const char* unknown[] = {"t", "--lisen", "x"};
  EXPECT_THAT(
      parser.Parse(3, const_cast<char**>(unknown), 1).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("known: --data-root, --listen")));
}

}  // namespace
}  // namespace neurofeat
