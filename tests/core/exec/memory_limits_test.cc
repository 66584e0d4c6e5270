#include "core/exec/memory_limits.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

// A fake /sys/fs/cgroup, /proc/self/cgroup and /proc/meminfo (64 GiB).
struct FakeSystem {
  TempDir dir;
  MemoryLimitInputs inputs;
  FakeSystem(const std::string& self_cgroup,
             const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, content] : files) {
      std::filesystem::create_directories(
          std::filesystem::path(dir.path() + "/root" + path).parent_path());
      WriteFile(dir.path() + "/root" + path, content);
    }
    WriteFile(dir.File("self_cgroup"), self_cgroup);
    WriteFile(dir.File("meminfo"), "MemTotal:       67108864 kB\nMemFree: 1 kB\n");
    inputs.cgroup_root = dir.path() + "/root";
    inputs.proc_self_cgroup = dir.File("self_cgroup");
    inputs.meminfo = dir.File("meminfo");
  }
};

int64_t BudgetFor(int64_t limit) { return limit - (64 * kMiB + limit / 8); }

TEST(MemoryLimitsTest, CgroupV2MemoryMax) {
  FakeSystem fake("0::/kubepods/pod\n", {{"/kubepods/pod/memory.max", "2147483648\n"}});
  MemoryLimits m = DetectMemoryLimits(fake.inputs);
  EXPECT_EQ(m.limit_bytes, 2 * kGiB);
  EXPECT_EQ(m.decided_by, "cgroup");
  EXPECT_EQ(m.budget_bytes, BudgetFor(2 * kGiB));
}

TEST(MemoryLimitsTest, CgroupV2MaxFallsBackToTheMachine) {
  FakeSystem fake("0::/\n", {{"/memory.max", "max\n"}});
  MemoryLimits m = DetectMemoryLimits(fake.inputs);
  EXPECT_EQ(m.limit_bytes, 64 * kGiB);
  EXPECT_EQ(m.decided_by, "machine");
  EXPECT_FALSE(m.cgroup_bytes.has_value());
}

TEST(MemoryLimitsTest, AncestorLimitApplies) {
  FakeSystem fake("0::/a/b\n", {{"/a/b/memory.max", "max"}, {"/a/memory.max", "1073741824"}});
  EXPECT_EQ(DetectMemoryLimits(fake.inputs).limit_bytes, kGiB);
}

TEST(MemoryLimitsTest, CgroupV1LimitAndItsUnlimitedValue) {
  FakeSystem fake("4:memory:/job\n", {{"/memory/job/memory.limit_in_bytes", "536870912"}});
  EXPECT_EQ(DetectMemoryLimits(fake.inputs).limit_bytes, 512 * kMiB);
  FakeSystem unlimited("4:memory:/job\n",
                       {{"/memory/job/memory.limit_in_bytes", "9223372036854771712"}});
  EXPECT_EQ(DetectMemoryLimits(unlimited.inputs).decided_by, "machine");
}

TEST(MemoryLimitsTest, SlurmPerNodeAndPerCpu) {
  FakeSystem fake("0::/\n", {});
  fake.inputs.slurm_mem_per_node = "3000";  // MB
  MemoryLimits m = DetectMemoryLimits(fake.inputs);
  EXPECT_EQ(m.limit_bytes, 3000 * kMiB);
  EXPECT_EQ(m.decided_by, "slurm");
  fake.inputs.slurm_mem_per_node.reset();
  fake.inputs.slurm_mem_per_cpu = "1024";
  fake.inputs.cpus = 3;
  EXPECT_EQ(DetectMemoryLimits(fake.inputs).limit_bytes, 3 * kGiB);
}

TEST(MemoryLimitsTest, SmallestWinsAndTheFlagIsTheBudgetItself) {
  FakeSystem fake("0::/\n", {{"/memory.max", "4294967296"}});
  fake.inputs.slurm_mem_per_node = "2048";
  EXPECT_EQ(DetectMemoryLimits(fake.inputs).decided_by, "slurm");
  fake.inputs.flag_budget_bytes = 300 * kMiB;
  MemoryLimits m = DetectMemoryLimits(fake.inputs);
  EXPECT_EQ(m.decided_by, "flag");
  EXPECT_EQ(m.budget_bytes, 300 * kMiB);
  // A flag above the cgroup limit does not raise it.
  fake.inputs.flag_budget_bytes = 100 * kGiB;
  fake.inputs.slurm_mem_per_node.reset();
  EXPECT_EQ(DetectMemoryLimits(fake.inputs).decided_by, "cgroup");
}

TEST(MemoryLimitsTest, ByteSizes) {
  EXPECT_EQ(ParseByteSize("536870912"), 512 * kMiB);
  EXPECT_EQ(ParseByteSize("512MiB"), 512 * kMiB);
  EXPECT_EQ(ParseByteSize("2G"), 2 * kGiB);
  EXPECT_EQ(ParseByteSize("1.5Gi"), 3 * kGiB / 2);
  EXPECT_FALSE(ParseByteSize("lots").has_value());
  EXPECT_FALSE(ParseByteSize("-1").has_value());
  EXPECT_FALSE(ParseByteSize("5 parsecs").has_value());
}

}  // namespace
}  // namespace neurofeat
