// File: process_stats.h
//
// ProcessStats: what the kernel says about this process (resident memory,
// CPU time, open files, start time), read from /proc/self on each scrape and
// exported under the standard Prometheus `process_*` names, so dashboards
// can set them against the memory budget and the CPU limit.
//
// Example:
//   absl::StatusOr<ProcessStats> s = ReadProcessStats();
//   if (s.ok()) gauge("process_resident_memory_bytes", s->resident_bytes);
#ifndef NEUROFEAT_SERVER_PROCESS_STATS_H_
#define NEUROFEAT_SERVER_PROCESS_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace neurofeat::server {

struct ProcessStats {
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // since the Unix epoch
  int64_t open_fds = 0;
  int64_t threads = 0;
};

// ParseProcStat() reads the fields of a /proc/<pid>/stat line; `boot_time`
// (seconds since the epoch), `ticks_per_second` and `page_bytes` convert
// them. Errors: InvalidArgument on a malformed line.
absl::StatusOr<ProcessStats> ParseProcStat(const std::string& line, double boot_time,
                                           int64_t ticks_per_second, int64_t page_bytes);

// ReadProcessStats() reads /proc/self (stat, /proc/stat's btime, fd/).
absl::StatusOr<ProcessStats> ReadProcessStats();

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_PROCESS_STATS_H_
