#include "core/exec/cgroup_files.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace neurofeat::internal {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return std::string(absl::StripAsciiWhitespace(s));
}

namespace {

// "/a/b" -> {"/a/b", "/a", ""} (relative to the mount root).
std::vector<std::string> Ancestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path.back() == '/') path.pop_back();
  while (true) {
    out.push_back(path);
    if (path.empty()) break;
    size_t slash = path.rfind('/');
    path = slash == std::string::npos ? "" : path.substr(0, slash);
  }
  return out;
}

}  // namespace

std::vector<std::string> CgroupDirs(const std::string& cgroup_root,
                                    const std::string& proc_self_cgroup,
                                    const std::string& controller, bool* v2) {
  *v2 = false;
  std::vector<std::string> dirs;
  std::optional<std::string> content = ReadSmallFile(proc_self_cgroup);
  std::string v1_path, v1_mount, v2_path;
  bool have_v1 = false, have_v2 = false;
  if (content.has_value()) {
    for (absl::string_view line : absl::StrSplit(*content, '\n')) {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (parts.size() != 3) continue;
      if (parts[0] == "0" && parts[1].empty()) {
        have_v2 = true;
        v2_path = parts[2];
        continue;
      }
      for (absl::string_view c : absl::StrSplit(parts[1], ',')) {
        if (c == controller) {
          have_v1 = true;
          v1_path = parts[2];
          v1_mount = parts[1];
        }
      }
    }
  }
  if (have_v1) {
    // v1 hierarchies are mounted per controller set, e.g. cpu,cpuacct; try
    // the exact name, then the controller alone.
    for (const std::string& mount : {v1_mount, controller}) {
      for (const std::string& a : Ancestors(v1_path)) dirs.push_back(cgroup_root + "/" + mount + a);
    }
    return dirs;
  }
  *v2 = true;
  for (const std::string& a : Ancestors(have_v2 ? v2_path : "")) dirs.push_back(cgroup_root + a);
  return dirs;
}

}  // namespace neurofeat::internal
