// File: cgroup_files.h
//
// Helpers shared by the CPU and memory limit readers: reading small files
// and walking a process's cgroup (v1 or v2) from its own directory up to the
// root, since a limit on any ancestor applies.
#ifndef NEUROFEAT_CORE_EXEC_CGROUP_FILES_H_
#define NEUROFEAT_CORE_EXEC_CGROUP_FILES_H_

#include <optional>
#include <string>
#include <vector>

namespace neurofeat::internal {

// ReadSmallFile() returns the trimmed content, or nullopt if unreadable.
std::optional<std::string> ReadSmallFile(const std::string& path);

// CgroupDirs() lists the directories to inspect for `controller` ("cpu" or
// "memory"), the process's own first, then each ancestor up to the mount
// root. For cgroup v2 (a "0::/path" line) `v2` is set to true.
std::vector<std::string> CgroupDirs(const std::string& cgroup_root,
                                    const std::string& proc_self_cgroup,
                                    const std::string& controller, bool* v2);

}  // namespace neurofeat::internal

#endif  // NEUROFEAT_CORE_EXEC_CGROUP_FILES_H_
