#include "core/exec/cpu_limits.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;

// A fake cgroup file system: `files` maps paths under the root to content;
// /proc/self/cgroup is written beside it.
struct FakeCgroup {
  TempDir dir;
  CpuLimitInputs inputs;
  FakeCgroup(const std::string& self_cgroup,
             const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, content] : files) {
      std::filesystem::create_directories(
          std::filesystem::path(dir.path() + "/root" + path).parent_path());
      WriteFile(dir.path() + "/root" + path, content);
    }
    WriteFile(dir.File("self_cgroup"), self_cgroup);
    inputs.cgroup_root = dir.path() + "/root";
    inputs.proc_self_cgroup = dir.File("self_cgroup");
    inputs.affinity_cpus = 8;
  }
};

TEST(CpuLimitsTest, CgroupV2QuotaCapsThreads) {
  FakeCgroup fake("0::/kubepods/pod1\n", {{"/kubepods/pod1/cpu.max", "200000 100000\n"}});
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 2);
  EXPECT_EQ(l.decided_by, "cgroup");
  EXPECT_DOUBLE_EQ(*l.cgroup_quota_cpus, 2.0);
}

TEST(CpuLimitsTest, CgroupV2MaxMeansNoLimit) {
  FakeCgroup fake("0::/\n", {{"/cpu.max", "max 100000\n"}});
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 8);
  EXPECT_EQ(l.decided_by, "affinity");
  EXPECT_FALSE(l.cgroup_quota_cpus.has_value());
}

TEST(CpuLimitsTest, AncestorQuotaAppliesWhenSmaller) {
  FakeCgroup fake("0::/a/b\n", {{"/a/b/cpu.max", "max 100000"}, {"/a/cpu.max", "300000 100000"}});
  EXPECT_EQ(DetectCpuLimits(fake.inputs).threads, 3);
}

TEST(CpuLimitsTest, FractionalQuotaRoundsDownButNeverBelowOne) {
  FakeCgroup fake("0::/\n", {{"/cpu.max", "150000 100000"}});
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 1);
  EXPECT_DOUBLE_EQ(*l.cgroup_quota_cpus, 1.5);
  FakeCgroup half("0::/\n", {{"/cpu.max", "50000 100000"}});
  EXPECT_EQ(DetectCpuLimits(half.inputs).threads, 1);
  FakeCgroup two_and_half("0::/\n", {{"/cpu.max", "250000 100000"}});
  EXPECT_EQ(DetectCpuLimits(two_and_half.inputs).threads, 2);
}

TEST(CpuLimitsTest, CgroupV1CfsQuota) {
  FakeCgroup fake("12:cpu,cpuacct:/docker/abc\n11:memory:/docker/abc\n",
                  {{"/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000"},
                   {"/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000"}});
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 3);
  EXPECT_EQ(l.decided_by, "cgroup");
}

TEST(CpuLimitsTest, CgroupV1UnlimitedQuotaIsMinusOne) {
  FakeCgroup fake("4:cpu,cpuacct:/\n", {{"/cpu,cpuacct/cpu.cfs_quota_us", "-1"},
                                        {"/cpu,cpuacct/cpu.cfs_period_us", "100000"}});
  EXPECT_EQ(DetectCpuLimits(fake.inputs).threads, 8);
}

TEST(CpuLimitsTest, NoCgroupFilesMeansNoLimit) {
  FakeCgroup fake("", {});
  EXPECT_EQ(DetectCpuLimits(fake.inputs).threads, 8);
}

TEST(CpuLimitsTest, SlurmAndFlagTakeTheSmallest) {
  FakeCgroup fake("0::/\n", {{"/cpu.max", "600000 100000"}});
  fake.inputs.slurm_cpus_per_task = "4";
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 4);
  EXPECT_EQ(l.decided_by, "slurm");
  fake.inputs.flag_threads = 3;
  l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 3);
  EXPECT_EQ(l.decided_by, "flag");
  fake.inputs.flag_threads = 16;  // a flag cannot raise the limit
  EXPECT_EQ(DetectCpuLimits(fake.inputs).threads, 4);
  fake.inputs.slurm_cpus_per_task = "garbage";
  fake.inputs.flag_threads.reset();
  EXPECT_EQ(DetectCpuLimits(fake.inputs).threads, 6);
}

TEST(CpuLimitsTest, AffinityMaskCaps) {
  FakeCgroup fake("0::/\n", {{"/cpu.max", "600000 100000"}});
  fake.inputs.affinity_cpus = 2;
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 2);
  EXPECT_EQ(l.decided_by, "affinity");
  EXPECT_NE(l.Describe().find("threads=2"), std::string::npos);
}

TEST(CpuLimitsTest, ASlurmAllocationEqualToTheAffinityMaskIsWhatDecided) {
  FakeCgroup fake("0::/\n", {{"/cpu.max", "200000 100000"}});
  fake.inputs.affinity_cpus = 2;
  fake.inputs.slurm_cpus_per_task = "2";
  CpuLimits l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 2);
  EXPECT_EQ(l.decided_by, "slurm");
  fake.inputs.slurm_cpus_per_task = "3";  // more than the mask: the mask decides
  l = DetectCpuLimits(fake.inputs);
  EXPECT_EQ(l.threads, 2);
  EXPECT_NE(l.decided_by, "slurm");
}

}  // namespace
}  // namespace neurofeat
