// neurofeat-load: drives a neurofeatd with a scenario and prints throughput,
// latency percentiles and counts by status code (see README.md).
//
//   neurofeat-load --server 127.0.0.1:50051 --scenario scenarios/mixed.json
//                  [--data-root DIR] [--rate R] [--concurrency N] [--duration 60s]
#include <cstdio>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cmdline/args.h"
#include "core/exec/compute_arena.h"
#include "core/io/npy.h"
#include "core/status_macros.h"
#include "loadtest/load_generator.h"

namespace neurofeat::loadtest {
namespace {

const ArgParser& Parser() {
  static const ArgParser parser(
      "neurofeat-load",
      {{"server", true, "HOST:PORT of the neurofeatd to load"},
       {"scenario", true, "scenario JSON (loadtest/scenarios/)"},
       {"data-root", true, "the server's data root, to verify answers with the embedded engine"},
       {"rate", true, "open loop: arrivals per second (overrides the scenario)"},
       {"concurrency", true, "closed loop: clients (overrides the scenario; sets closed loop)"},
       {"duration", true, "measured period, e.g. 60s (overrides the scenario)"},
       {"server-pid", true,
        "the server's process id (same machine): report its peak RSS over the start against "
        "its budget, and its RSS 5 s after the last answer"},
       {"make-memory-data", true,
        "write the files of scenarios/memory.json into this directory and exit: np384.npy "
        "(10 s x 384 channels int16), ext_epochs.npy (1500 x 64 x 512 float32), "
        "fit_epochs.npy (2500 x 32 x 512 float32)"},
       {"help", false, "show this help"}});
  return parser;
}

// Seeded noise, so every run loads the server with the same samples.
absl::Status WriteNoise(const std::string& path, NpyDtype dtype, std::vector<int64_t> shape,
                        uint32_t seed) {
  NF_ASSIGN_OR_RETURN(std::unique_ptr<NpyWriter> writer, NpyWriter::Create(path, dtype, shape));
  int64_t samples = 1;
  for (int64_t d : shape) samples *= d;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  constexpr int64_t kBlock = int64_t{1} << 20;
  std::vector<float> f(kBlock);
  std::vector<int16_t> i16(kBlock);
  for (int64_t done = 0; done < samples; done += kBlock) {
    const int64_t n = std::min(kBlock, samples - done);
    for (int64_t k = 0; k < n; ++k) f[k] = normal(rng);
    if (dtype == NpyDtype::kInt16) {
      for (int64_t k = 0; k < n; ++k) i16[k] = static_cast<int16_t>(f[k] * 100.0f);
      NF_RETURN_IF_ERROR(writer->AppendBytes(i16.data(), n * sizeof(int16_t)));
    } else {
      NF_RETURN_IF_ERROR(writer->AppendBytes(f.data(), n * sizeof(float)));
    }
  }
  return writer->Finish();
}

absl::Status MakeMemoryData(const std::string& dir) {
  NF_RETURN_IF_ERROR(WriteNoise(dir + "/np384.npy", NpyDtype::kInt16, {300000, 384}, 1));
  NF_RETURN_IF_ERROR(WriteNoise(dir + "/ext_epochs.npy", NpyDtype::kFloat32, {1500, 64, 512}, 2));
  NF_RETURN_IF_ERROR(WriteNoise(dir + "/fit_epochs.npy", NpyDtype::kFloat32, {2500, 32, 512}, 3));
  std::printf("wrote np384.npy, ext_epochs.npy, fit_epochs.npy in %s\n", dir.c_str());
  return absl::OkStatus();
}

absl::Status Main(const ParsedArgs& args) {
  if (auto dir = args.GetOptional("make-memory-data")) return MakeMemoryData(*dir);
  NF_ASSIGN_OR_RETURN(std::string path, args.Required("scenario"));
  NF_ASSIGN_OR_RETURN(Scenario scenario, LoadScenario(path));
  NF_ASSIGN_OR_RETURN(std::optional<double> rate, args.GetDouble("rate"));
  if (rate.has_value()) {
    scenario.rate = *rate;
    scenario.open_loop = true;
  }
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> concurrency, args.GetInt("concurrency"));
  if (concurrency.has_value()) {
    scenario.concurrency = static_cast<int>(*concurrency);
    scenario.open_loop = false;
  }
  if (auto d = args.GetOptional("duration")) {
    NF_ASSIGN_OR_RETURN(scenario.duration_s, ParseDurationSeconds(*d, "duration"));
  }
  LoadOptions options;
  NF_ASSIGN_OR_RETURN(options.target, args.Required("server"));
  options.data_root = args.GetOptional("data-root").value_or("");
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> pid, args.GetInt("server-pid"));
  if (pid.has_value()) options.server_pid = static_cast<int>(*pid);
  NF_ASSIGN_OR_RETURN(LoadReport report, RunLoad(scenario, options));
  std::printf("%s", report.Format().c_str());
  if (report.wrong > 0) return absl::DataLossError(absl::StrCat(report.wrong, " wrong answers"));
  return absl::OkStatus();
}

}  // namespace
}  // namespace neurofeat::loadtest

int main(int argc, char** argv) {
  using neurofeat::loadtest::Parser;
  absl::StatusOr<neurofeat::ParsedArgs> args = Parser().Parse(argc, argv, 1);
  if (!args.ok() || args->Has("help")) {
    if (!args.ok())
      std::fprintf(stderr, "neurofeat-load: error: %s\n", args.status().ToString().c_str());
    std::fprintf(stderr, "%s", Parser().Usage().c_str());
    return args.ok() ? 0 : 2;
  }
  const absl::Status s = neurofeat::loadtest::Main(*args);
  if (!s.ok()) {
    std::fprintf(stderr, "neurofeat-load: error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
