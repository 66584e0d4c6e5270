#include "server/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace neurofeat::server {
namespace {

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    double v = 0;
    if (line.rfind("btime ", 0) == 0 && absl::SimpleAtod(line.substr(6), &v)) return v;
  }
  return 0;
}

int64_t CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int64_t n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcStat(const std::string& line, double boot_time,
                                           int64_t ticks_per_second, int64_t page_bytes) {
  // The command name (field 2) is in parentheses and may hold spaces and
  // parentheses itself: the fields that follow start after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("malformed /proc stat line: ", line));
  }
  const std::vector<std::string> f =
      absl::StrSplit(line.substr(close + 1), ' ', absl::SkipWhitespace());
  // f[0] is field 3 (state); field n is f[n - 3].
  auto field = [&](int n, double* v) {
    return n - 3 < static_cast<int>(f.size()) && absl::SimpleAtod(f[n - 3], v);
  };
  double utime = 0, stime = 0, threads = 0, start = 0, vsize = 0, rss = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(20, &threads) || !field(22, &start) ||
      !field(23, &vsize) || !field(24, &rss)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed /proc stat line: ", line));
  }
  ProcessStats s;
  const double ticks = static_cast<double>(ticks_per_second);
  s.cpu_seconds = (utime + stime) / ticks;
  s.threads = static_cast<int64_t>(threads);
  s.start_time_seconds = boot_time + start / ticks;
  s.virtual_bytes = static_cast<int64_t>(vsize);
  s.resident_bytes = static_cast<int64_t>(rss) * page_bytes;
  return s;
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return absl::UnavailableError("cannot read /proc/self/stat");
  absl::StatusOr<ProcessStats> s =
      ParseProcStat(line, BootTimeSeconds(), sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
  if (s.ok()) s->open_fds = CountOpenFds();
  return s;
}

}  // namespace neurofeat::server
