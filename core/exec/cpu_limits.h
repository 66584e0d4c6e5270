// File: cpu_limits.h
//
// DetectCpuLimits(): how many threads of compute this process may use: the
// smallest of the CPU affinity mask, the cgroup CPU quota (v2 cpu.max, v1
// cpu.cfs_quota_us / cpu.cfs_period_us, on the process's cgroup and every
// ancestor), SLURM_CPUS_PER_TASK and an operator's --threads. oneTBB 2021.8
// does not read the quota itself, so we cap the arena ourselves.
//
// Example:
//   CpuLimits limits = DetectCpuLimits(CpuLimitInputs::FromSystem(flag));
//   std::cerr << limits.Describe();
#ifndef NEUROFEAT_CORE_EXEC_CPU_LIMITS_H_
#define NEUROFEAT_CORE_EXEC_CPU_LIMITS_H_

#include <optional>
#include <string>

namespace neurofeat {

// CpuLimitInputs: where to look. Tests point the paths at fake trees.
struct CpuLimitInputs {
  // Root of the cgroup file system. Default: /sys/fs/cgroup.
  std::string cgroup_root = "/sys/fs/cgroup";
  // The process's cgroup membership file. Default: /proc/self/cgroup.
  std::string proc_self_cgroup = "/proc/self/cgroup";
  // CPUs in the affinity mask; nullopt when unknown.
  std::optional<int> affinity_cpus;
  // Value of SLURM_CPUS_PER_TASK, if set.
  std::optional<std::string> slurm_cpus_per_task;
  // Operator's --threads (0 or nullopt: no cap).
  std::optional<int> flag_threads;

  // FromSystem() fills the affinity mask and Slurm variable of this process.
  static CpuLimitInputs FromSystem(std::optional<int> flag_threads);
};

struct CpuLimits {
  // Threads the arena gets, >= 1.
  int threads = 1;
  // The cgroup quota in CPUs (may be fractional); nullopt if unlimited.
  std::optional<double> cgroup_quota_cpus;
  std::optional<int> affinity_cpus;
  std::optional<int> slurm_cpus;
  std::optional<int> flag_threads;
  // Which source set `threads`: "affinity", "cgroup", "slurm", "flag".
  std::string decided_by;
  // Describe() is one line for logs: "threads=2 (affinity=2 cgroup=1.5 ...)".
  std::string Describe() const;
};

// DetectCpuLimits() never fails: unreadable or malformed files count as "no
// limit" from that source. A fractional quota is rounded down (a 1.5-CPU
// quota gives 1 thread: two would be throttled), and never below 1.
CpuLimits DetectCpuLimits(const CpuLimitInputs& inputs);

// CgroupCpuQuota() is the quota part alone, in CPUs (min over the cgroup and
// its ancestors); nullopt when there is none.
std::optional<double> CgroupCpuQuota(const std::string& cgroup_root,
                                     const std::string& proc_self_cgroup);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_EXEC_CPU_LIMITS_H_
