#include "server/path_policy.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat::server {
namespace {

using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;

TEST(PathPolicyTest, ResolvesInsideAndRefusesOutside) {
  TempDir root, other;
  WriteFile(root.File("a.npy"), "x");
  std::filesystem::create_directories(root.File("d"));
  WriteFile(root.File("d/b.npy"), "x");
  WriteFile(other.File("secret"), "x");
  std::filesystem::create_symlink(other.File("secret"), root.File("escape"));
  std::filesystem::create_symlink(root.File("a.npy"), root.File("inner"));
  auto policy = PathPolicy::Create({root.path()});
  ASSERT_TRUE(policy.ok());
  const std::string real_root = std::filesystem::canonical(root.path()).string();
  EXPECT_EQ(*policy->Resolve("a.npy"), real_root + "/a.npy");
  EXPECT_EQ(*policy->Resolve("./d/b.npy"), real_root + "/d/b.npy");
  EXPECT_EQ(*policy->Resolve("inner"), real_root + "/a.npy");  // a symlink that stays inside
  EXPECT_THAT(policy->Resolve("d/../a.npy").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(policy->Resolve("escape").status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(policy->Resolve(other.File("secret")).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(policy->Resolve("/nonexistent/x").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(policy->Resolve("missing").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(policy->Resolve("").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(policy->Resolve(".").status(), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PathPolicyTest, RootsMustBeDirectoriesAndNoRootsRefusesAll) {
  TempDir dir;
  WriteFile(dir.File("f"), "x");
  EXPECT_THAT(PathPolicy::Create({dir.File("f")}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("--data-root")));
  auto none = PathPolicy::Create({});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(none->Resolve("a").status(), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace neurofeat::server
