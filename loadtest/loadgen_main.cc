// neurofeat-load: drives a neurofeatd with a scenario and prints throughput,
// latency percentiles and counts by status code (see README.md).
//
//   neurofeat-load --server 127.0.0.1:50051 --scenario scenarios/mixed.json
//                  [--data-root DIR] [--rate R] [--concurrency N] [--duration 60s]
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cmdline/args.h"
#include "core/exec/compute_arena.h"
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
       {"help", false, "show this help"}});
  return parser;
}

absl::Status Main(const ParsedArgs& args) {
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
    if (!args.ok()) std::fprintf(stderr, "neurofeat-load: error: %s\n", args.status().ToString().c_str());
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
