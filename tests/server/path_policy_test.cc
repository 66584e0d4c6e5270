#include "server/path_policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// Removes `levels` nested directories named `level` (and the file "f" at
// the bottom) under `root` with *at calls: their paths are too long for
// path-based removal.
struct DeepTreeRemover {
  std::string root, level;
  int levels = 0;
  ~DeepTreeRemover() {
    std::vector<int> fds = {::open(root.c_str(), O_DIRECTORY | O_CLOEXEC)};
    for (int i = 0; i < levels && fds.back() >= 0; ++i) {
      fds.push_back(::openat(fds.back(), level.c_str(), O_DIRECTORY | O_CLOEXEC));
    }
    if (fds.back() >= 0) ::unlinkat(fds.back(), "f", 0);
    for (size_t i = fds.size() - 1; i > 0; --i) {
      if (fds[i] >= 0) ::close(fds[i]);
      if (fds[i - 1] >= 0) ::unlinkat(fds[i - 1], level.c_str(), AT_REMOVEDIR);
    }
    if (fds[0] >= 0) ::close(fds[0]);
  }
};

// Names and paths the kernel could not take are malformed input, not paths
// outside a root: INVALID_ARGUMENT naming the length and the limit.
TEST(PathPolicyTest, OverlongNamesAndPathsAreInvalidNamingLengthAndLimit) {
  TempDir tmp;
  // A root whose own path is long, holding a file 16 directories of 250
  // bytes deep: short enough as a request, too long joined to the root.
  const std::string root = tmp.File(std::string(120, 'r'));
  std::filesystem::create_directories(root);
  WriteFile(root + "/" + std::string(255, 'b'), "x");
  const std::string level(250, 'd');
  DeepTreeRemover remover{root, level, 16};
  std::string deep;
  int fd = ::open(root.c_str(), O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(::mkdirat(fd, level.c_str(), 0700), 0);
    const int next = ::openat(fd, level.c_str(), O_DIRECTORY | O_CLOEXEC);
    ::close(fd);
    fd = next;
    ASSERT_GE(fd, 0);
    deep += level + "/";
  }
  ::close(::openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ::close(fd);
  deep += "f";
  ASSERT_EQ(deep.size(), 4017u);
  auto policy = PathPolicy::Create({root});
  ASSERT_TRUE(policy.ok());
  const std::string real_root = std::filesystem::canonical(root).string();
  std::string path_4096;
  while (path_4096.size() < 4096) path_4096 += level + "/";
  path_4096.resize(4096);
  // Its first directory is missing: not found before its length matters.
  std::string missing_4095;
  while (missing_4095.size() < 4095) missing_4095 += std::string(250, 'e') + "/";
  missing_4095.resize(4095);

  struct Case {
    std::string name;
    std::string path;
    absl::StatusCode code;
    std::string message;  // the whole message; empty: not checked
  };
  const std::vector<Case> cases = {
      {"name of 300 bytes", std::string(300, 'a') + ".npy", absl::StatusCode::kInvalidArgument,
       "recording.path.path: the name \"aaaaaaaaaaaaaaaaaaaaaaaa…\" is 304 bytes long, over the "
       "limit of 255 bytes for one file or directory name (NAME_MAX)"},
      {"name of 256 bytes in a directory", "sub/" + std::string(256, 'c'),
       absl::StatusCode::kInvalidArgument,
       "recording.path.path: the name \"cccccccccccccccccccccccc…\" is 256 bytes long, over the "
       "limit of 255 bytes for one file or directory name (NAME_MAX)"},
      {"absolute path elsewhere with a long name", "/elsewhere/" + std::string(256, 'c'),
       absl::StatusCode::kInvalidArgument,
       "recording.path.path: the name \"cccccccccccccccccccccccc…\" is 256 bytes long, over the "
       "limit of 255 bytes for one file or directory name (NAME_MAX)"},
      {"path of 4096 bytes", path_4096, absl::StatusCode::kInvalidArgument,
       "recording.path.path: \"dddddddddddddddddddddddd…\" is 4096 bytes long, over the limit "
       "of 4095 bytes for a path (PATH_MAX 4096 with its terminating NUL)"},
      {"too long once joined to the root", deep, absl::StatusCode::kInvalidArgument,
       "recording.path.path: \"dddddddddddddddddddddddd…\" (4017 bytes) is too long under the "
       "data root: the resolved path exceeds the limit of 4095 bytes (PATH_MAX)"},
      {"missing, of 4095 bytes", missing_4095, absl::StatusCode::kNotFound, ""},
      {"missing name of 255 bytes", std::string(255, 'e'), absl::StatusCode::kNotFound, ""},
      {"name of 255 bytes", std::string(255, 'b'), absl::StatusCode::kOk, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> got = policy->Resolve(c.path);
    if (c.code == absl::StatusCode::kOk) {
      EXPECT_THAT(got, ::neurofeat::testing::IsOkAndHolds(real_root + "/" + c.path));
    } else if (c.message.empty()) {
      EXPECT_THAT(got.status(), StatusIs(c.code));
    } else {
      EXPECT_THAT(got.status(), StatusIs(c.code, c.message));
    }
  }
}

// Hard links are followed (path_policy.h says why): a hard link inside a
// root to a file made elsewhere is read like any file of the root, under
// its name inside the root.
TEST(PathPolicyTest, HardLinksInsideARootAreFollowed) {
  TempDir root, other;
  WriteFile(other.File("elsewhere.npy"), "content");
  std::error_code ec;
  std::filesystem::create_hard_link(other.File("elsewhere.npy"), root.File("linked.npy"), ec);
  if (ec) GTEST_SKIP() << "no hard links across these directories: " << ec.message();
  auto policy = PathPolicy::Create({root.path()});
  ASSERT_TRUE(policy.ok());
  const std::string real_root = std::filesystem::canonical(root.path()).string();
  absl::StatusOr<std::string> got = policy->Resolve("linked.npy");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, real_root + "/linked.npy");
  EXPECT_EQ(::neurofeat::testing::ReadFile(*got), "content");
  // The other name stays outside.
  EXPECT_THAT(policy->Resolve(other.File("elsewhere.npy")).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace neurofeat::server
