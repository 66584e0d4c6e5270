// neurofeat extract: a pipeline's feature tree over the windows of a
// recording, in-process or on a server (--server), written as EEGDash's
// feature table. One request is built from the flags and run either way.
#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "api/response_convert.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/dataset_extract.h"
#include "client/cli/dataset_plan.h"
#include "client/cli/embedded.h"
#include "client/cli/outputs.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "core/exec/compute_arena.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

std::vector<FlagSpec> Flags() {
  std::vector<FlagSpec> flags = {
      {"input", true,
       "X.npy: (n_windows, channels, n_times) epochs, or (frames, channels) continuous "
       "traces with a `window` in the pipeline"},
      {"fs", true, "sampling rate in Hz"},
      {"channels", true, "comma-separated channel names, one per channel (e.g. O1,Oz,O2)"},
      {"highpass", true, "high-pass already applied, Hz (spectra are cut to it by default)"},
      {"lowpass", true, "low-pass already applied, Hz (spectra are cut to it by default)"},
      {"pipeline", true, "P.json: the pipeline (preprocess, window, features)"},
      {"output", true, "OUT.csv or OUT.npy (+ OUT.npy.columns.txt)"},
      {"threads", true, "cap on compute threads (min with cgroup quota, Slurm, affinity)"},
      {"chunk-duration", true,
       "continuous input: the chain runs on chunks of this length, as `preprocess` does. "
       "Default 1s"},
      {"include-metadata", false, "CSV: prepend recording, window and start_sample columns"},
      {"cache-dir", true, "result cache. Default $XDG_CACHE_HOME/neurofeat (~/.cache/neurofeat)"},
      {"no-cache", false, "neither read nor write the result cache"},
      {"refresh-cache", false, "recompute everything and overwrite the cache"},
      {"recording", true, "recording name for --include-metadata. Default: the input file name"},
      {"quiet", false, "print no summary"},
      {"help", false, "show this help"}};
  for (FlagSpec& f : RemoteFlags()) flags.push_back(std::move(f));
  for (FlagSpec& f : DatasetFlags()) flags.push_back(std::move(f));
  return flags;
}

const ArgParser& Parser() {
  static const ArgParser parser("extract", Flags());
  return parser;
}

struct Summary {
  int64_t windows = 0;
  int64_t columns = 0;
  double seconds = 0;
  int threads = 0;
  bool cached = false;
  std::optional<EmbeddedRun> embedded;  // unset for remote runs
};

absl::StatusOr<Summary> Run(const ParsedArgs& args) {
  NF_RETURN_IF_ERROR(CheckRemoteFlags(args));
  const bool remote = args.Has("server");
  if (!remote || !args.Has("remote-path")) NF_RETURN_IF_ERROR(args.Required("input").status());
  NF_RETURN_IF_ERROR(CheckRateGiven(args));
  NF_ASSIGN_OR_RETURN(const std::string output, args.Required("output"));
  NF_RETURN_IF_ERROR(CheckTableOutput(output));
  NF_ASSIGN_OR_RETURN(v1::ExtractRequest request, ExtractRequestFromFlags(args));
  const auto t0 = std::chrono::steady_clock::now();
  api::ExtractTableReader reader;
  Summary s;
  if (remote) {
    NF_RETURN_IF_ERROR(RunRemoteExtract(std::move(request), args, &reader).status());
  } else {
    ProgressBar bar("extract", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
    FeatureTable& table = reader.mutable_table();
    NF_ASSIGN_OR_RETURN(auto engine, EmbeddedEngine::Create(args, !args.Has("no-cache")));
    s.threads = engine->threads();
    s.cached = engine->cached();
    NF_ASSIGN_OR_RETURN(s.embedded,
                        engine->Extract(request, [&](const FeatureTable& block, int64_t total) {
                          AppendRows(block, &table);
                          bar.Update(table.rows, total);
                          return absl::OkStatus();
                        }));
    bar.Finish();
  }
  const FeatureTable& table = reader.table();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // In the arena: the CSV writer formats pieces of rows on its threads.
  absl::Status written;
  RunInArena([&] {
    written = WriteTable(output, table, args.Has("include-metadata"), RecordingName(args));
  });
  NF_RETURN_IF_ERROR(written);
  s.windows = table.rows;
  s.columns = static_cast<int64_t>(table.columns.size());
  return s;
}

void PrintSummary(const ParsedArgs& args, const Summary& s) {
  const std::string where = !s.embedded.has_value() ? absl::StrCat("on ", args.Get("server"))
                                                    : absl::StrCat("on ", s.threads, " threads");
  std::printf(
      "extracted %lld windows x %lld features in %.3f s %s (%.0f windows/s)\n"
      "  output: %s\n",
      static_cast<long long>(s.windows), static_cast<long long>(s.columns), s.seconds,
      where.c_str(), static_cast<double>(s.windows) / s.seconds, args.Get("output").c_str());
  if (s.embedded.has_value() && s.cached) {
    const EvalStats& st = s.embedded->stats;
    std::printf(
        "  cache: %lld leaf results and %lld spectra reused; computed %lld windows "
        "(%lld filter chunks, %lld spectra, %lld feature runs)\n",
        static_cast<long long>(st.leaves_from_cache), static_cast<long long>(st.spectra_from_cache),
        static_cast<long long>(st.windows_computed), static_cast<long long>(st.chunks_read),
        static_cast<long long>(st.spectra_computed), static_cast<long long>(st.leaf_runs));
  }
}

int RunDataset(const ParsedArgs& args) {
  absl::StatusOr<DatasetSummary> s = RunDatasetExtract(args);
  if (!s.ok()) return ReportCommandError("extract", ForFlags(s.status()));
  if (!args.Has("quiet")) {
    std::printf(
        "extracted %lld recordings, %lld windows x %lld features in %.3f s, %d recordings at a "
        "time\n  output: %s\n",
        static_cast<long long>(s->recordings), static_cast<long long>(s->windows),
        static_cast<long long>(s->columns), s->seconds, s->workers, args.Get("output").c_str());
    if (s->skipped > 0) {
      std::printf("  skipped %lld recordings (--on-error skip): listed in %s\n",
                  static_cast<long long>(s->skipped), s->skipped_file.c_str());
    }
  }
  return 0;
}

}  // namespace

int RunExtractCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "extract", argc, argv, &exit_code);
  if (!args) return exit_code;
  if (args->Has("manifest") || args->Has("bids")) return RunDataset(*args);
  absl::StatusOr<Summary> s = Run(*args);
  if (!s.ok()) return ReportCommandError("extract", ForFlags(s.status()));
  if (!args->Has("quiet")) PrintSummary(*args, *s);
  return 0;
}

}  // namespace neurofeat::client
