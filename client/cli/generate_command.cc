// neurofeat generate: writes a deterministic synthetic recording to .npy,
// so the demo job and benchmarks need no data files.
#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/progress.h"
#include "cmdline/args.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/io/npy.h"
#include "core/io/synthetic_recording.h"
#include "core/preprocess/chunked_runner.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

const ArgParser& Parser() {
  static const ArgParser parser("generate", {{"output", true, "X.npy to write, (frames, channels)"},
                                             {"channels", true, "number of channels. Default 384"},
                                             {"duration", true, "length, e.g. 10s. Default 10s"},
                                             {"fs", true, "sampling rate in Hz. Default 30000"},
                                             {"dtype", true, "int16|float32. Default int16"},
                                             {"seed", true, "random seed. Default 1"},
                                             {"help", false, "show this help"}});
  return parser;
}

absl::Status Run(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(std::string output, args.Required("output"));
  SyntheticOptions opt;
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> channels, args.GetInt("channels"));
  if (channels.has_value()) {
    if (*channels < 1 || *channels > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("--channels=", *channels, " must be in 1..65536"));
    }
    opt.channels = *channels;
  }
  NF_ASSIGN_OR_RETURN(std::optional<double> fs, args.GetDouble("fs"));
  if (fs.has_value()) {
    if (!(*fs > 0))
      return absl::InvalidArgumentError(absl::StrCat("--fs=", *fs, " must be positive"));
    opt.sampling_rate_hz = *fs;
  }
  double duration = 10.0;
  if (auto d = args.GetOptional("duration")) {
    NF_ASSIGN_OR_RETURN(duration, ParseDurationSeconds(*d, "duration"));
  }
  opt.frames = std::max<int64_t>(1, static_cast<int64_t>(duration * opt.sampling_rate_hz));
  if (auto d = args.GetOptional("dtype")) {
    if (*d != "int16" && *d != "float32") {
      return absl::InvalidArgumentError(absl::StrCat("--dtype=", *d, " is not int16 or float32"));
    }
    NF_ASSIGN_OR_RETURN(opt.type, ParseSampleType(*d, "--dtype"));
  }
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> seed, args.GetInt("seed"));
  if (seed.has_value()) opt.seed = static_cast<uint64_t>(*seed);
  InitComputeArena(DetectCpuLimits(CpuLimitInputs::FromSystem(std::nullopt)).threads);
  SyntheticRecording rec(opt);
  NF_ASSIGN_OR_RETURN(
      auto writer,
      NpyWriter::Create(output,
                        opt.type == SampleType::kInt16 ? NpyDtype::kInt16 : NpyDtype::kFloat32,
                        {opt.frames, opt.channels}));
  ProgressBar bar("generate", ProgressBar::StderrIsTerminal());
  ChunkOptions chunks;
  chunks.chunk_frames = static_cast<int64_t>(opt.sampling_rate_hz);
  chunks.progress = [&](int64_t done, int64_t total) { bar.Update(done, total); };
  absl::Status status;
  RunInArena([&] {
    status = RunChunked(rec, chunks, 0, opt.frames,
                        [&](int64_t, const Traces& t) { return writer->Append(t); });
  });
  bar.Finish();
  NF_RETURN_IF_ERROR(status);
  NF_RETURN_IF_ERROR(writer->Finish());
  std::printf("generated %s: %lld frames x %lld channels (%s, %.0f Hz, %.3f s)\n", output.c_str(),
              static_cast<long long>(opt.frames), static_cast<long long>(opt.channels),
              SampleTypeName(opt.type), opt.sampling_rate_hz,
              static_cast<double>(opt.frames) / opt.sampling_rate_hz);
  return absl::OkStatus();
}

}  // namespace

int RunGenerateCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "generate", argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::Status s = Run(*args);
  if (!s.ok()) return ReportCommandError("generate", s);
  return 0;
}

}  // namespace neurofeat::client
