// neurofeat preprocess: a pipeline's preprocess chain over a frame range of
// a recording, chunk by chunk, in-process or on a server (--server), into
// an .npy. One request is built from the flags and run either way.
#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/embedded.h"
#include "client/cli/outputs.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

std::vector<FlagSpec> Flags() {
  std::vector<FlagSpec> flags = {
      {"input", true,
       "IN: a recording in any format read (npy, SpikeGLX .bin, Open Ephys .oebin, EDF/BDF, "
       "BrainVision .vhdr, EEGLAB .set, FIF, NWB; detected from the name and content)"},
      {"format", true,
       "the input's format, if not detected: npy, raw, spikeglx, openephys, "
       "edf, brainvision, eeglab, fif, nwb"},
      {"fs", true, "sampling rate in Hz (default: the file's; must agree with it)"},
      {"pipeline", true, "P.json: the pipeline (its preprocess list is applied)"},
      {"output", true, "OUT.npy: written as (frames, channels)"},
      {"start", true, "first frame (a frame number, or a time such as 60s). Default 0"},
      {"end", true, "end frame, exclusive (frame number or time). Default: the end"},
      {"threads", true,
       "cap on compute threads (the smallest of this, the cgroup quota, "
       "SLURM_CPUS_PER_TASK and the affinity mask is used)"},
      {"chunk-duration", true, "chunk length, e.g. 1s or 500ms. Default 1s (SpikeInterface)"},
      {"dtype", true, "output dtype float32|int16. Default: int16 for int16 input, else float32"},
      {"channels", true, "comma-separated channel ids (default 0..C-1)"},
      {"channel-locations", true,
       "LOC.npy: (channels, 2) float64 positions in um (for local "
       "common reference)"},
      {"quiet", false, "print no summary"},
      {"help", false, "show this help"}};
  for (FlagSpec& f : RemoteFlags()) flags.push_back(std::move(f));
  return flags;
}

const ArgParser& Parser() {
  static const ArgParser parser("preprocess", Flags());
  return parser;
}

struct Summary {
  double seconds = 0;
  double fs = 0;  // the recording's rate (0: unknown)
  int threads = 0;
  std::string digest;                   // remote runs
  std::optional<EmbeddedRun> embedded;  // embedded runs
};

absl::StatusOr<Summary> Run(const ParsedArgs& args, TraceFile& out) {
  Summary s;
  NF_RETURN_IF_ERROR(CheckRemoteFlags(args));
  const bool remote = args.Has("server");
  if (!remote || !args.Has("remote-path")) NF_RETURN_IF_ERROR(args.Required("input").status());
  NF_RETURN_IF_ERROR(CheckRateGiven(args));
  NF_RETURN_IF_ERROR(args.Required("output").status());
  NF_ASSIGN_OR_RETURN(v1::PreprocessRequest request, PreprocessRequestFromFlags(args));
  s.fs = request.recording().sampling_rate_hz();
  if (request.pipeline().features_size() > 0 || request.pipeline().has_window()) {
    std::fprintf(stderr,
                 "neurofeat preprocess: note: the pipeline's window and features are not used by "
                 "'preprocess' (use 'extract')\n");
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (remote) {
    NF_ASSIGN_OR_RETURN(s.digest, RunRemotePreprocess(std::move(request), args, out));
  } else {
    ProgressBar bar("preprocess", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
    NF_ASSIGN_OR_RETURN(auto engine, EmbeddedEngine::Create(args, /*use_cache=*/false));
    s.threads = engine->threads();
    NF_ASSIGN_OR_RETURN(s.embedded,
                        engine->Preprocess(request, out, [&](int64_t done, int64_t total) {
                          bar.Update(done, total);
                        }));
    s.fs = s.embedded->fs;
    bar.Finish();
    NF_RETURN_IF_ERROR(out.Finish());
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void PrintSummary(const ParsedArgs& args, const Summary& s, const TraceFile& out) {
  const double rec_s = s.fs > 0 ? static_cast<double>(out.frames()) / s.fs : 0.0;
  if (!s.embedded.has_value()) {
    std::printf(
        "preprocessed %lld frames x %lld channels in %.3f s on %s, pipeline digest %s\n"
        "  output: %s\n",
        static_cast<long long>(out.frames()), static_cast<long long>(out.channels()), s.seconds,
        args.Get("server").c_str(), s.digest.c_str(), args.Get("output").c_str());
    return;
  }
  const double mb = static_cast<double>(out.frames() * out.row_bytes()) / 1e6;
  std::printf(
      "preprocessed %lld frames x %lld channels (%.3f s of recording at %g Hz) in %.3f s on %d "
      "threads (%.1fx real time, %.0f MB/s out)\n  chain: %s\n  output: %s (%s)\n",
      static_cast<long long>(out.frames()), static_cast<long long>(out.channels()), rec_s, s.fs,
      s.seconds, s.threads, rec_s / s.seconds, mb / s.seconds, s.embedded->chain.c_str(),
      args.Get("output").c_str(),
      absl::StrCat(SampleTypeName(out.type()),
                   s.embedded->unit == "V" ? ", volts as MNE reads the file" : "")
          .c_str());
}

}  // namespace

int RunPreprocessCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "preprocess", argc, argv, &exit_code);
  if (!args) return exit_code;
  TraceFile out(args->Get("output"));
  absl::StatusOr<Summary> s = Run(*args, out);
  if (!s.ok()) return ReportCommandError("preprocess", ForFlags(s.status()));
  if (!args->Has("quiet")) PrintSummary(*args, *s, out);
  return 0;
}

}  // namespace neurofeat::client
