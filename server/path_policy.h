// File: path_policy.h
//
// PathPolicy: which files a request may read. A path is resolved (realpath:
// symlinks followed, "." removed) and must lie inside one of the data roots.
// ".." anywhere, absolute paths elsewhere and symlinks that lead out are
// PERMISSION_DENIED; a path outside the roots is refused before the file
// system is asked, so errors never reveal what exists elsewhere. A path the
// kernel could not take (a name over NAME_MAX = 255 bytes, a path over
// PATH_MAX - 1 = 4095 bytes) is INVALID_ARGUMENT naming its length and the
// limit: it is malformed, not outside.
//
// Hard links are followed: a hard link is a name of the same file, which
// no path can tell from its other names (refusing every file with several
// links would refuse datasets deduplicated with hard links), and only
// someone who may write in a data root can make one there: with
// fs.protected_hardlinks (on by default in Debian), only to a file they own
// or may read and write, the same as copying it in. What is under a root
// is what its writers published; the policy guards the names a client
// sends, not the roots' contents.
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
  // NOT_FOUND (inside a root but missing), INVALID_ARGUMENT (empty, a NUL
  // byte, a name or the path too long, also once joined to a root).
  absl::StatusOr<std::string> Resolve(const std::string& path) const;

  const std::vector<std::string>& roots() const { return roots_; }

 private:
  bool Inside(const std::string& real) const;
  std::vector<std::string> roots_;  // real paths, no trailing slash
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_PATH_POLICY_H_
