#include "server/path_policy.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"

namespace neurofeat::server {
namespace {

// realpath(3), or the errno.
std::string RealPath(const std::string& path, int* error) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) {
    *error = errno;
    return "";
  }
  *error = 0;
  return buf;
}

// Linux's limits: NAME_MAX bytes per component; PATH_MAX bytes for a
// whole path including its terminating NUL.
constexpr size_t kMaxComponentBytes = NAME_MAX;
constexpr size_t kMaxPathBytes = PATH_MAX - 1;

// The first bytes of `s`, for messages about strings too long to show.
std::string Head(absl::string_view s) {
  constexpr size_t kShown = 24;
  return s.size() <= kShown ? std::string(s) : absl::StrCat(s.substr(0, kShown), "…");
}

// A path the kernel would refuse by its length alone: InvalidArgument
// naming the length and the limit (the request is wrong whatever is on
// disk, and nothing on disk is consulted).
absl::Status CheckLength(absl::string_view path) {
  if (path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(absl::StrCat("recording.path.path: \"", Head(path), "\" is ",
                                                   path.size(), " bytes long, over the limit of ",
                                                   kMaxPathBytes, " bytes for a path (PATH_MAX ",
                                                   PATH_MAX, " with its terminating NUL)"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.size() > kMaxComponentBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.path.path: the name \"", Head(part), "\" is ", part.size(),
                       " bytes long, over the limit of ", kMaxComponentBytes,
                       " bytes for one file or directory name (NAME_MAX)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PathPolicy> PathPolicy::Create(const std::vector<std::string>& roots) {
  PathPolicy policy;
  for (const std::string& root : roots) {
    int error = 0;
    std::string real = RealPath(root, &error);
    struct stat st;
    if (real.empty() || ::stat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--data-root=", root, " is not an existing directory",
                       error != 0 ? absl::StrCat(" (", std::strerror(error), ")") : std::string()));
    }
    while (real.size() > 1 && real.back() == '/') real.pop_back();
    policy.roots_.push_back(real);
  }
  return policy;
}

bool PathPolicy::Inside(const std::string& real) const {
  for (const std::string& root : roots_) {
    if (real == root) return false;  // the root itself is not a file
    if (root == "/" || absl::StartsWith(real, root + "/")) return true;
  }
  return false;
}

absl::StatusOr<std::string> PathPolicy::Resolve(const std::string& path) const {
  if (path.empty()) return absl::InvalidArgumentError("recording.path.path: empty");
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("recording.path.path: contains a NUL byte");
  }
  NF_RETURN_IF_ERROR(CheckLength(path));
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::PermissionDeniedError(
          absl::StrCat("recording.path.path: \"", path, "\": \"..\" is not allowed"));
    }
  }
  if (roots_.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("recording.path.path: \"", path, "\": this server has no data roots"));
  }
  std::vector<std::string> candidates;
  if (path.front() == '/') {
    bool lexically_inside = false;
    for (const std::string& root : roots_) {
      if (root == "/" || absl::StartsWith(path, root + "/")) lexically_inside = true;
    }
    if (!lexically_inside) {
      return absl::PermissionDeniedError(
          absl::StrCat("recording.path.path: \"", path, "\" is outside the data roots"));
    }
    candidates.push_back(path);
  } else {
    for (const std::string& root : roots_) candidates.push_back(absl::StrCat(root, "/", path));
  }
  for (const std::string& candidate : candidates) {
    int error = 0;
    const std::string real = RealPath(candidate, &error);
    if (real.empty()) {
      if (error == ENOENT || error == ENOTDIR) continue;
      if (error == ENAMETOOLONG) {
        // Short enough alone, too long under the root or once symlinks are
        // expanded.
        return absl::InvalidArgumentError(absl::StrCat(
            "recording.path.path: \"", Head(path), "\" (", path.size(),
            " bytes) is too long under the data root: the resolved path exceeds the limit of ",
            kMaxPathBytes, " bytes (PATH_MAX)"));
      }
      return absl::PermissionDeniedError(
          absl::StrCat("recording.path.path: \"", path, "\": ", std::strerror(error)));
    }
    if (!Inside(real)) {
      return absl::PermissionDeniedError(
          absl::StrCat("recording.path.path: \"", path, "\" resolves outside the data roots"));
    }
    return real;
  }
  return absl::NotFoundError(
      absl::StrCat("recording.path.path: \"", path, "\" not found under the data roots"));
}

}  // namespace neurofeat::server
