// neurofeat features | info | health: the feature bank and a server's state.
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/remote.h"
#include "core/features/feature_bank.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

ArgParser MakeParser(const std::string& command, bool server_required) {
  std::vector<FlagSpec> flags = {{"help", false, "show this help"}};
  for (FlagSpec& f : RemoteFlags()) {
    if (f.name == "remote-path" || f.name == "format") continue;
    if (f.name == "server" && server_required) f.help = "HOST:PORT of the neurofeatd (required)";
    flags.push_back(std::move(f));
  }
  return ArgParser(command, flags);
}

void PrintFeature(const std::string& fn, const std::string& kind, const std::string& summary,
                  const std::vector<std::string>& parents, const std::vector<std::string>& params) {
  std::vector<std::string> shown;
  for (const auto& p : parents) shown.push_back(p.empty() ? "windows" : p);
  std::printf("%-55s %-12s %s\n    parents: %s\n", fn.c_str(), kind.c_str(), summary.c_str(),
              shown.empty() ? "any" : absl::StrJoin(shown, ", ").c_str());
  if (!params.empty()) std::printf("    params: %s\n", absl::StrJoin(params, ", ").c_str());
}

template <typename Fn>
int RunWith(const std::string& command, bool server_required, int argc, char** argv, Fn fn) {
  const ArgParser parser = MakeParser(command, server_required);
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(parser, command, argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::Status s = fn(*args);
  return s.ok() ? 0 : ReportCommandError(command, s);
}

}  // namespace

int RunFeaturesCommand(int argc, char** argv) {
  return RunWith("features", false, argc, argv, [](const ParsedArgs& args) -> absl::Status {
    if (!args.Has("server")) {
      for (const auto& [name, def] : FeatureBank::Default().defs()) {
        std::vector<std::string> params;
        for (const ParamDoc& p : DescribeParams(def))
          params.push_back(absl::StrCat(p.name, "=", p.default_json));
        PrintFeature(name, def.leaf ? "feature" : "preprocessor", def.summary, def.parents, params);
      }
      return absl::OkStatus();
    }
    NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
    NF_ASSIGN_OR_RETURN(v1::FeatureCatalogue catalogue, replicas->client(0).Features());
    for (const v1::FeatureInfo& f : catalogue.features()) {
      std::vector<std::string> params;
      for (const auto& p : f.params())
        params.push_back(absl::StrCat(p.name(), "=", p.default_json()));
      PrintFeature(f.fn(), f.kind(), f.summary(), {f.parents().begin(), f.parents().end()}, params);
    }
    return absl::OkStatus();
  });
}

int RunInfoCommand(int argc, char** argv) {
  return RunWith("info", true, argc, argv, [](const ParsedArgs& args) -> absl::Status {
    NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
    for (size_t i = 0; i < replicas->size(); ++i) {
      NF_ASSIGN_OR_RETURN(v1::ServerInfo info, replicas->client(i).Info());
      std::printf(
          "server: %s\nengine: %s\nthreads: %d (%s)\nmemory budget: %lld bytes (%s)\n"
          "data roots: %s\nmax message: %lld bytes\nqueue: %d (in flight now: %d)\n",
          replicas->address(i).c_str(), info.engine_version().c_str(), info.threads(),
          info.cpu_limits().c_str(), static_cast<long long>(info.memory_budget_bytes()),
          info.memory_limits().c_str(),
          info.data_roots().empty() ? "(none)" : absl::StrJoin(info.data_roots(), ", ").c_str(),
          static_cast<long long>(info.max_message_bytes()), info.max_queue(), info.in_flight());
    }
    return absl::OkStatus();
  });
}

int RunHealthCommand(int argc, char** argv) {
  return RunWith("health", true, argc, argv, [](const ParsedArgs& args) -> absl::Status {
    NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
    // One replica: its status alone (scripts compare it); several: one line
    // each, and an error if any is not serving.
    absl::Status worst;
    for (size_t i = 0; i < replicas->size(); ++i) {
      absl::StatusOr<std::string> status = replicas->client(i).Health();
      const std::string shown = status.ok() ? *status : std::string(status.status().message());
      if (replicas->size() == 1) {
        NF_RETURN_IF_ERROR(status.status());
        std::printf("%s\n", shown.c_str());
      } else {
        std::printf("%s %s\n", replicas->address(i).c_str(), shown.c_str());
      }
      if (!status.ok() || *status != "SERVING") {
        worst = absl::UnavailableError(absl::StrCat(replicas->address(i), " is ", shown));
      }
    }
    return worst;
  });
}

}  // namespace neurofeat::client
