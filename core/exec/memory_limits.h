// File: memory_limits.h
//
// DetectMemoryLimits(): how many bytes this process may use, the smallest of
// the cgroup memory limit (v2 memory.max, v1 memory.limit_in_bytes, on the
// process's cgroup and every ancestor), the Slurm allocation
// (SLURM_MEM_PER_NODE, or SLURM_MEM_PER_CPU x CPUs, both in MB), the
// machine's memory (MemTotal) and an operator's --memory-budget. The
// working-set budget that admission control hands out is that limit minus a
// reserve for the process itself (code, gRPC buffers, allocator slack).
//
// Example:
//   MemoryLimits m = DetectMemoryLimits(MemoryLimitInputs::FromSystem(flag, cpus));
//   std::cerr << m.Describe();
#ifndef NEUROFEAT_CORE_EXEC_MEMORY_LIMITS_H_
#define NEUROFEAT_CORE_EXEC_MEMORY_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>

namespace neurofeat {

struct MemoryLimitInputs {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_self_cgroup = "/proc/self/cgroup";
  std::string meminfo = "/proc/meminfo";
  std::optional<std::string> slurm_mem_per_node;  // MB
  std::optional<std::string> slurm_mem_per_cpu;   // MB
  int cpus = 1;                                   // for SLURM_MEM_PER_CPU
  std::optional<int64_t> flag_budget_bytes;       // --memory-budget

  static MemoryLimitInputs FromSystem(std::optional<int64_t> flag_budget_bytes, int cpus);
};

struct MemoryLimits {
  // The limit the process lives under, bytes (nullopt: none found).
  std::optional<int64_t> limit_bytes;
  std::optional<int64_t> cgroup_bytes;
  std::optional<int64_t> slurm_bytes;
  std::optional<int64_t> machine_bytes;
  std::optional<int64_t> flag_bytes;
  std::string decided_by;  // "cgroup", "slurm", "machine", "flag" or "none"
  // Bytes of working set admission may hand out to requests.
  int64_t budget_bytes = 0;
  std::string Describe() const;
};

// The reserve kept for the process itself: 64 MiB plus 1/8 of the limit.
// A --memory-budget flag is taken as the budget itself, with no reserve.
MemoryLimits DetectMemoryLimits(const MemoryLimitInputs& inputs);

// ParseByteSize() accepts "536870912", "512MiB", "2GiB", "1.5G", "300M",
// "64k" (k/M/G are powers of 1024 too, as in Kubernetes' Ki/Mi/Gi).
std::optional<int64_t> ParseByteSize(const std::string& text);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_EXEC_MEMORY_LIMITS_H_
