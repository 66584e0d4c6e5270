#include "core/exec/memory_limits.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/exec/cgroup_files.h"

namespace neurofeat {
namespace {

// cgroup v1 reports "no limit" as a huge page-rounded number.
constexpr int64_t kV1Unlimited = int64_t{1} << 60;

std::optional<int64_t> CgroupMemoryLimit(const std::string& root, const std::string& self) {
  bool v2 = false;
  std::optional<int64_t> best;
  for (const std::string& dir : internal::CgroupDirs(root, self, "memory", &v2)) {
    std::optional<std::string> text =
        internal::ReadSmallFile(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"));
    int64_t v = 0;
    if (!text.has_value() || *text == "max" || !absl::SimpleAtoi(*text, &v)) continue;
    if (v <= 0 || v >= kV1Unlimited) continue;
    if (!best.has_value() || v < *best) best = v;
  }
  return best;
}

std::optional<int64_t> MegabytesToBytes(const std::optional<std::string>& text) {
  if (!text.has_value()) return std::nullopt;
  std::optional<int64_t> v = ParseByteSize(*text);
  // Slurm gives plain numbers in MB (and accepts a unit suffix).
  int64_t plain = 0;
  if (absl::SimpleAtoi(*text, &plain))
    return plain > 0 ? std::optional<int64_t>(plain << 20) : std::nullopt;
  return v;
}

std::optional<int64_t> MemTotal(const std::string& meminfo) {
  std::optional<std::string> text = internal::ReadSmallFile(meminfo);
  if (!text.has_value()) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kb = 0;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &kb) && kb > 0) return kb * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> ParseByteSize(const std::string& text) {
  std::string s(absl::StripAsciiWhitespace(text));
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  double number = 0;
  if (i == 0 || !absl::SimpleAtod(s.substr(0, i), &number) || !(number >= 0)) return std::nullopt;
  std::string unit = absl::AsciiStrToLower(s.substr(i));
  double scale = 1;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "k" || unit == "kb" || unit == "ki" || unit == "kib") {
    scale = 1024.0;
  } else if (unit == "m" || unit == "mb" || unit == "mi" || unit == "mib") {
    scale = 1024.0 * 1024;
  } else if (unit == "g" || unit == "gb" || unit == "gi" || unit == "gib") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "t" || unit == "tb" || unit == "ti" || unit == "tib") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  const double bytes = number * scale;
  if (!(bytes < 9e18)) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

MemoryLimitInputs MemoryLimitInputs::FromSystem(std::optional<int64_t> flag_budget_bytes,
                                                int cpus) {
  MemoryLimitInputs in;
  if (const char* v = std::getenv("SLURM_MEM_PER_NODE")) in.slurm_mem_per_node = v;
  if (const char* v = std::getenv("SLURM_MEM_PER_CPU")) in.slurm_mem_per_cpu = v;
  in.cpus = cpus;
  in.flag_budget_bytes = flag_budget_bytes;
  return in;
}

MemoryLimits DetectMemoryLimits(const MemoryLimitInputs& in) {
  MemoryLimits out;
  out.decided_by = "none";
  auto consider = [&](std::optional<int64_t> v, const char* source) {
    if (v.has_value() && *v > 0 && (!out.limit_bytes.has_value() || *v < *out.limit_bytes)) {
      out.limit_bytes = v;
      out.decided_by = source;
    }
  };
  out.machine_bytes = MemTotal(in.meminfo);
  consider(out.machine_bytes, "machine");
  out.cgroup_bytes = CgroupMemoryLimit(in.cgroup_root, in.proc_self_cgroup);
  consider(out.cgroup_bytes, "cgroup");
  if (std::optional<int64_t> node = MegabytesToBytes(in.slurm_mem_per_node)) {
    out.slurm_bytes = node;
  } else if (std::optional<int64_t> per_cpu = MegabytesToBytes(in.slurm_mem_per_cpu)) {
    out.slurm_bytes = *per_cpu * std::max(1, in.cpus);
  }
  consider(out.slurm_bytes, "slurm");
  if (in.flag_budget_bytes.has_value() && *in.flag_budget_bytes > 0) {
    out.flag_bytes = in.flag_budget_bytes;
    consider(out.flag_bytes, "flag");
  }
  if (!out.limit_bytes.has_value()) {
    out.budget_bytes = int64_t{1} << 30;  // nothing known: a modest default
  } else if (out.decided_by == "flag") {
    out.budget_bytes = *out.limit_bytes;
  } else {
    const int64_t reserve = (int64_t{64} << 20) + *out.limit_bytes / 8;
    out.budget_bytes = std::max<int64_t>(int64_t{16} << 20, *out.limit_bytes - reserve);
  }
  return out;
}

std::string MemoryLimits::Describe() const {
  auto mib = [](const std::optional<int64_t>& v) {
    return v.has_value() ? absl::StrCat(*v >> 20, "MiB") : std::string("none");
  };
  return absl::StrCat("memory budget=", budget_bytes >> 20, "MiB (limit ", mib(limit_bytes),
                      " decided by ", decided_by, "; cgroup=", mib(cgroup_bytes),
                      " slurm=", mib(slurm_bytes), " machine=", mib(machine_bytes),
                      " flag=", mib(flag_bytes), ")");
}

}  // namespace neurofeat
