#include "core/exec/cpu_limits.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/exec/cgroup_files.h"

namespace neurofeat {

CpuLimitInputs CpuLimitInputs::FromSystem(std::optional<int> flag_threads) {
  CpuLimitInputs in;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) in.affinity_cpus = CPU_COUNT(&set);
  if (const char* v = std::getenv("SLURM_CPUS_PER_TASK")) in.slurm_cpus_per_task = v;
  in.flag_threads = flag_threads;
  return in;
}

std::optional<double> CgroupCpuQuota(const std::string& cgroup_root,
                                     const std::string& proc_self_cgroup) {
  bool v2 = false;
  std::optional<double> best;
  for (const std::string& dir : internal::CgroupDirs(cgroup_root, proc_self_cgroup, "cpu", &v2)) {
    std::optional<double> quota;
    if (v2) {
      std::optional<std::string> max = internal::ReadSmallFile(dir + "/cpu.max");
      if (!max.has_value()) continue;
      std::vector<std::string> parts = absl::StrSplit(*max, ' ', absl::SkipEmpty());
      double q = 0, period = 100000;
      if (parts.empty() || parts[0] == "max" || !absl::SimpleAtod(parts[0], &q)) continue;
      if (parts.size() > 1 && !absl::SimpleAtod(parts[1], &period)) continue;
      if (q > 0 && period > 0) quota = q / period;
    } else {
      std::optional<std::string> q_s = internal::ReadSmallFile(dir + "/cpu.cfs_quota_us");
      std::optional<std::string> p_s = internal::ReadSmallFile(dir + "/cpu.cfs_period_us");
      double q = 0, period = 0;
      if (!q_s || !p_s || !absl::SimpleAtod(*q_s, &q) || !absl::SimpleAtod(*p_s, &period)) continue;
      if (q > 0 && period > 0) quota = q / period;
    }
    if (quota.has_value() && (!best.has_value() || *quota < *best)) best = quota;
  }
  return best;
}

CpuLimits DetectCpuLimits(const CpuLimitInputs& inputs) {
  CpuLimits out;
  int threads = std::max(1, inputs.affinity_cpus.value_or(1 << 20));
  out.decided_by = "affinity";
  out.affinity_cpus = inputs.affinity_cpus;
  // `wins_ties`: Slurm pins its tasks (affinity) and may confine them
  // (cgroup) to exactly what it allocated; then the allocation is what
  // decided, and the logs should say so.
  auto consider = [&](int value, const char* source, bool wins_ties = false) {
    if (value >= 1 && (value < threads || (wins_ties && value == threads))) {
      threads = value;
      out.decided_by = source;
    }
  };
  out.cgroup_quota_cpus = CgroupCpuQuota(inputs.cgroup_root, inputs.proc_self_cgroup);
  if (out.cgroup_quota_cpus.has_value()) {
    consider(std::max(1, static_cast<int>(std::floor(*out.cgroup_quota_cpus + 1e-9))), "cgroup");
  }
  if (inputs.slurm_cpus_per_task.has_value()) {
    int slurm = 0;
    if (absl::SimpleAtoi(*inputs.slurm_cpus_per_task, &slurm) && slurm >= 1) {
      out.slurm_cpus = slurm;
      consider(slurm, "slurm", /*wins_ties=*/true);
    }
  }
  if (inputs.flag_threads.has_value() && *inputs.flag_threads >= 1) {
    out.flag_threads = inputs.flag_threads;
    consider(*inputs.flag_threads, "flag");
  }
  if (threads == (1 << 20)) threads = 1;
  out.threads = threads;
  return out;
}

std::string CpuLimits::Describe() const {
  auto opt = [](const auto& v) { return v.has_value() ? absl::StrCat(*v) : std::string("none"); };
  return absl::StrCat("threads=", threads, " (decided by ", decided_by,
                      "; affinity=", opt(affinity_cpus), " cgroup_quota=", opt(cgroup_quota_cpus),
                      " slurm_cpus_per_task=", opt(slurm_cpus), " flag=", opt(flag_threads), ")");
}

}  // namespace neurofeat
