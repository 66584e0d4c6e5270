// `--server A,B,C`: a dataset spread over three replicas, each recording on
// the replica its key ranks first, so that a re-run finds every result in
// that replica's cache (or in turn with --placement round-robin); and
// completed when one of them is killed mid-run, with every row equal to the
// embedded engine's.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::ServerProcess;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;

constexpr int kRecordings = 30;
constexpr int64_t kChannels = 6, kTimes = 256;

// 30 recordings of `copies` x 128 how-to windows each, rotated so that no
// two are alike, and manifests naming them by input (embedded) and by
// remote_path (servers).
void WriteDataset(const TempDir& dir, int copies) {
  NpyArray x = testing::LoadNpy("eegdash/howto_X_rows.npy");
  const int64_t windows = x.header.shape[0];
  const size_t each = kChannels * kTimes;
  std::string local = "input,subject\n", remote = "remote_path,subject\n";
  std::filesystem::create_directories(dir.File("data"));
  for (int i = 0; i < kRecordings; ++i) {
    const std::string name = absl::StrCat("rec", i, ".npy");
    auto w = NpyWriter::Create(dir.File("data/" + name), NpyDtype::kFloat32,
                               {windows * copies, kChannels, kTimes});
    ASSERT_TRUE(w.ok()) << w.status();
    for (int64_t k = 0; k < windows * copies; ++k) {
      const int64_t src = (k + i) % windows;
      ASSERT_TRUE((*w)->AppendBytes(x.as<float>() + src * each, each * sizeof(float)).ok());
    }
    ASSERT_TRUE((*w)->Finish().ok());
    absl::StrAppend(&local, dir.File("data/" + name), ",", i, "\n");
    absl::StrAppend(&remote, name, ",", i, "\n");
  }
  WriteFile(dir.File("local.csv"), local);
  WriteFile(dir.File("remote.csv"), remote);
}

std::string Extract(const std::string& manifest, const std::string& output) {
  return absl::StrCat("extract --manifest ", manifest,
                      " --fs 128 --channels O1,Oz,O2,Cz,Pz,POz --highpass 1 --lowpass 40",
                      " --pipeline ", testing::TestDataPath("eegdash/howto_pipeline.json"),
                      " --output ", output, " --quiet");
}

// The table without its first column (the input or remote_path).
std::vector<std::string> Rows(const std::string& csv) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    out.emplace_back(line.substr(line.find(',') + 1));
  }
  return out;
}

// A counter of a server's metrics (0 before it is first counted).
int64_t Counter(const ServerProcess& s, const std::string& series) {
  const std::string page = s.Scrape();
  const std::string key = series + " ";
  const size_t at = page.find(key);
  if (at == std::string::npos) return 0;
  double v = 0;
  const std::string rest = page.substr(at + key.size(), page.find('\n', at) - at - key.size());
  return absl::SimpleAtod(rest, &v) ? static_cast<int64_t>(v) : -1;
}

// Successful Extract calls a server answered.
int64_t ExtractsServed(const ServerProcess& s) {
  return Counter(s, "neurofeat_requests_total{code=\"OK\",rpc=\"Extract\"}");
}
int64_t FeatureLookups(const ServerProcess& s, const std::string& result) {
  return Counter(s, "neurofeat_cache_lookups_total{level=\"features\",result=\"" + result + "\"}");
}

// Three servers; with `cache`, each with a result cache of its own.
std::vector<std::unique_ptr<ServerProcess>> StartReplicas(const TempDir& dir, bool cache = false) {
  std::vector<std::unique_ptr<ServerProcess>> servers;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> flags = {"--data-root", dir.File("data"), "--metrics-listen",
                                      "127.0.0.1:0", "--drain-notice", "0s"};
    if (cache) {
      flags.insert(flags.end(), {"--cache-dir", dir.File(absl::StrCat("cache", i))});
    } else {
      flags.push_back("--no-cache");
    }
    servers.push_back(std::make_unique<ServerProcess>(flags));
  }
  return servers;
}

std::string Targets(const std::vector<std::unique_ptr<ServerProcess>>& servers) {
  std::vector<std::string> t;
  for (const auto& s : servers) t.push_back(s->target());
  return absl::StrJoin(t, ",");
}

TEST(ReplicasCliTest, ARerunFindsEveryRecordingInTheCacheOfItsReplica) {
  TempDir dir;
  WriteDataset(dir, 1);
  const auto embedded = testing::RunCli(
      NF_BINARY_DIR, Extract(dir.File("local.csv"), dir.File("e.csv")) + " --no-cache", dir);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  auto servers = StartReplicas(dir, /*cache=*/true);
  for (const auto& s : servers) ASSERT_TRUE(s->started()) << s->Log();
  std::vector<int64_t> served, computed;
  for (int run = 0; run < 2; ++run) {
    std::vector<int64_t> served_before, hits_before, misses_before;
    for (const auto& s : servers) {
      served_before.push_back(ExtractsServed(*s));
      hits_before.push_back(FeatureLookups(*s, "hit"));
      misses_before.push_back(FeatureLookups(*s, "miss"));
    }
    const std::string out = dir.File(absl::StrCat("r", run, ".csv"));
    const auto remote = testing::RunCli(
        NF_BINARY_DIR, Extract(dir.File("remote.csv"), out) + " --server " + Targets(servers), dir);
    ASSERT_EQ(remote.exit_code, 0) << remote.output;
    EXPECT_EQ(Rows(ReadFile(out)), Rows(ReadFile(dir.File("e.csv"))));
    for (size_t i = 0; i < servers.size(); ++i) {
      const int64_t n = ExtractsServed(*servers[i]) - served_before[i];
      const int64_t hits = FeatureLookups(*servers[i], "hit") - hits_before[i];
      const int64_t misses = FeatureLookups(*servers[i], "miss") - misses_before[i];
      if (run == 0) {
        served.push_back(n);
        computed.push_back(misses);
        EXPECT_GE(n, 1) << "replica " << i << " got no recording";
      } else {
        // The same recordings on the same replica, every result cached there.
        EXPECT_EQ(n, served[i]) << "replica " << i;
        EXPECT_EQ(misses, 0) << "replica " << i;
        EXPECT_EQ(hits, computed[i]) << "replica " << i;
      }
    }
  }
  EXPECT_EQ(served[0] + served[1] + served[2], kRecordings);
  std::printf("recordings per replica: %s\n", absl::StrJoin(served, ", ").c_str());
}

TEST(ReplicasCliTest, RoundRobinPlacementSpreadsRecordingsInTurn) {
  TempDir dir;
  WriteDataset(dir, 1);
  const auto embedded = testing::RunCli(
      NF_BINARY_DIR, Extract(dir.File("local.csv"), dir.File("e.csv")) + " --no-cache", dir);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  auto servers = StartReplicas(dir);
  for (const auto& s : servers) ASSERT_TRUE(s->started()) << s->Log();
  const auto remote = testing::RunCli(NF_BINARY_DIR,
                                      Extract(dir.File("remote.csv"), dir.File("r.csv")) +
                                          " --placement round-robin --server " + Targets(servers),
                                      dir);
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  EXPECT_EQ(Rows(ReadFile(dir.File("r.csv"))), Rows(ReadFile(dir.File("e.csv"))));
  int64_t total = 0;
  std::vector<int64_t> served;
  for (const auto& s : servers) total += served.emplace_back(ExtractsServed(*s));
  EXPECT_EQ(total, kRecordings);
  for (size_t i = 0; i < servers.size(); ++i) {
    const double share = static_cast<double>(served[i]) / kRecordings;
    EXPECT_GE(share, 0.20) << "replica " << i << " served " << served[i];
    EXPECT_LE(share, 0.47) << "replica " << i << " served " << served[i];
  }
  std::printf("requests per replica: %s\n", absl::StrJoin(served, ", ").c_str());
}

TEST(ReplicasCliTest, PlacementIsRendezvousOrRoundRobin) {
  TempDir dir;
  WriteDataset(dir, 1);
  auto bad = testing::RunCli(NF_BINARY_DIR,
                             Extract(dir.File("remote.csv"), dir.File("r.csv")) +
                                 " --placement nearest --server 127.0.0.1:1",
                             dir);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output,
              ::testing::HasSubstr("--placement=nearest is not rendezvous or round-robin"));
  bad = testing::RunCli(
      NF_BINARY_DIR, Extract(dir.File("local.csv"), dir.File("r.csv")) + " --placement round-robin",
      dir);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, ::testing::HasSubstr("need --server"));
}

TEST(ReplicasCliTest, OneReplicaKilledMidRunTheDatasetStillCompletesUnchanged) {
  TempDir dir;
  WriteDataset(dir, 6);  // 768 windows per recording: the run lasts seconds
  const auto embedded = testing::RunCli(
      NF_BINARY_DIR, Extract(dir.File("local.csv"), dir.File("e.csv")) + " --no-cache", dir);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  auto servers = StartReplicas(dir);
  for (const auto& s : servers) ASSERT_TRUE(s->started()) << s->Log();
  testing::CliResult remote;
  std::thread run([&] {
    remote = testing::RunCli(
        NF_BINARY_DIR,
        Extract(dir.File("remote.csv"), dir.File("r.csv")) + " --server " + Targets(servers), dir);
  });
  // Kill the second replica once it has answered a few recordings.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int64_t before_kill = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    before_kill = ExtractsServed(*servers[1]);
    if (before_kill >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(kill(servers[1]->pid(), SIGKILL), 0);
  run.join();
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  EXPECT_EQ(Rows(ReadFile(dir.File("r.csv"))), Rows(ReadFile(dir.File("e.csv"))));
  const int64_t rest = ExtractsServed(*servers[0]) + ExtractsServed(*servers[2]);
  // The killed replica's share (at least what it had not finished) went to
  // the other two.
  EXPECT_GE(rest + before_kill, kRecordings);
  EXPECT_LT(before_kill, kRecordings / 2) << "the kill came too late to test anything";
  std::printf("killed replica had served %lld; the others %lld\n",
              static_cast<long long>(before_kill), static_cast<long long>(rest));
}

}  // namespace
}  // namespace neurofeat
