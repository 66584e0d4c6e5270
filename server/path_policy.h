// File: path_policy.h
//
// PathPolicy: which files a request may read. A path is resolved (realpath:
// symlinks followed, "." removed) and must lie inside one of the data roots.
// ".." anywhere, absolute paths elsewhere and symlinks that lead out are
// PERMISSION_DENIED; a path outside the roots is refused before the file
// system is asked, so errors never reveal what exists elsewhere.
//
// Example:
//   NF_ASSIGN_OR_RETURN(PathPolicy policy, PathPolicy::Create({"/data"}));
//   NF_ASSIGN_OR_RETURN(std::string real, policy.Resolve("sub-01/rec.bin"));
#ifndef NEUROFEAT_SERVER_PATH_POLICY_H_
#define NEUROFEAT_SERVER_PATH_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat::server {

class PathPolicy {
 public:
  // Each root must exist and be a directory. No roots: every path is refused.
  static absl::StatusOr<PathPolicy> Create(const std::vector<std::string>& roots);

  // Resolve() maps a request's path to the real path of an existing file
  // inside a root. Relative paths are tried against each root in order.
  // Errors: PERMISSION_DENIED (outside, "..", escaping symlink),
  // NOT_FOUND (inside a root but missing), INVALID_ARGUMENT (empty).
  absl::StatusOr<std::string> Resolve(const std::string& path) const;

  const std::vector<std::string>& roots() const { return roots_; }

 private:
  bool Inside(const std::string& real) const;
  std::vector<std::string> roots_;  // real paths, no trailing slash
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_PATH_POLICY_H_
