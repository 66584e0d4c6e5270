// neurofeat preprocess: runs a pipeline's preprocess chain over an .npy
// recording with the embedded engine, chunk by chunk, into an .npy file.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/text_file.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/io/npy.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/status_macros.h"
#include "cmdline/args.h"
#include "proto/convert/pipeline_convert.h"

namespace neurofeat::client {
namespace {

std::vector<FlagSpec> Flags() {
  std::vector<FlagSpec> flags = {
      {"input", true, "IN.npy: (frames, channels) int16/float32/float64, C order"},
      {"fs", true, "sampling rate in Hz"},
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

absl::StatusOr<std::vector<std::array<double, 2>>> ReadLocations(const std::string& path) {
  NF_ASSIGN_OR_RETURN(NpyArray a, ReadNpy(path));
  if (a.header.shape.size() != 2 || a.header.shape[1] != 2 ||
      a.header.dtype != NpyDtype::kFloat64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel-locations=", path, " must be a (channels, 2) float64 array"));
  }
  std::vector<std::array<double, 2>> out(static_cast<size_t>(a.header.shape[0]));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = {a.as<double>()[2 * i], a.as<double>()[2 * i + 1]};
  return out;
}

struct Summary {
  int64_t frames = 0;
  int64_t channels = 0;
  double fs = 0;
  double seconds = 0;
  int threads = 0;
  std::string canonical;
  std::string output;
  SampleType type = SampleType::kFloat32;
};

absl::StatusOr<Summary> Run(const ParsedArgs& args) {
  const bool remote = args.Has("server");
  if (!remote && (args.Has("remote-path") || args.Has("tls-ca") || args.Has("timeout"))) {
    return absl::InvalidArgumentError("--remote-path, --tls-* and --timeout need --server");
  }
  std::string input;
  if (!remote || !args.Has("remote-path")) {
    NF_ASSIGN_OR_RETURN(input, args.Required("input"));
  }
  NF_ASSIGN_OR_RETURN(std::string pipeline_path, args.Required("pipeline"));
  NF_ASSIGN_OR_RETURN(std::string output, args.Required("output"));
  NF_ASSIGN_OR_RETURN(std::string fs_text, args.Required("fs"));
  NF_ASSIGN_OR_RETURN(std::optional<double> fs, args.GetDouble("fs"));
  if (!(*fs > 0))
    return absl::InvalidArgumentError(absl::StrCat("--fs=", fs_text, " must be positive"));
  if (remote) {
    if (args.Has("threads") || args.Has("channel-locations")) {
      return absl::InvalidArgumentError(
          "--threads and --channel-locations are not available with --server");
    }
    NF_ASSIGN_OR_RETURN(std::string json, ReadTextFile(pipeline_path, "--pipeline"));
    absl::StatusOr<v1::Pipeline> pipeline = ParsePipelineJson(json);
    if (!pipeline.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(pipeline_path, ": ", pipeline.status().message()));
    }
    double chunk_s = 1.0;
    if (auto c = args.GetOptional("chunk-duration")) {
      NF_ASSIGN_OR_RETURN(chunk_s, ParseDurationSeconds(*c, "chunk-duration"));
    }
    const auto t0 = std::chrono::steady_clock::now();
    NF_ASSIGN_OR_RETURN(
        RemoteResult r,
        RunRemotePreprocess(args, *pipeline, *fs,
                            std::max<int64_t>(1, static_cast<int64_t>(chunk_s * *fs))));
    Summary summary;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    summary.frames = r.rows_or_frames;
    summary.channels = r.columns_or_channels;
    summary.fs = *fs;
    summary.canonical = absl::StrCat("on ", args.Get("server"), ", pipeline digest ", r.digest);
    summary.output = output;
    return summary;
  }
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> threads, args.GetInt("threads"));
  if (threads.has_value() && *threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--threads=", *threads, " must be at least 1"));
  }
  CpuLimits limits = DetectCpuLimits(CpuLimitInputs::FromSystem(
      threads.has_value() ? std::optional<int>(static_cast<int>(*threads)) : std::nullopt));
  InitComputeArena(limits.threads);

  NF_ASSIGN_OR_RETURN(std::string json, ReadTextFile(pipeline_path, "--pipeline"));
  absl::StatusOr<v1::Pipeline> pipeline = ParsePipelineJson(json);
  if (!pipeline.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(pipeline_path, ": ", pipeline.status().message()));
  }
  NF_ASSIGN_OR_RETURN(ChainSpec spec, ToChainSpec(*pipeline));
  if (pipeline->features_size() > 0 || pipeline->has_window()) {
    std::fprintf(stderr,
                 "neurofeat preprocess: note: the pipeline's window and features are not used by "
                 "'preprocess' (use 'extract')\n");
  }

  RecordingInfo info;
  info.sampling_rate_hz = *fs;
  if (auto ids = args.GetOptional("channels")) {
    info.channel_ids = absl::StrSplit(*ids, ',');
  }
  if (auto loc = args.GetOptional("channel-locations")) {
    NF_ASSIGN_OR_RETURN(info.channel_locations, ReadLocations(*loc));
  }
  NF_ASSIGN_OR_RETURN(std::shared_ptr<NpyTraceSource> source, NpyTraceSource::Open(input, info));
  if (source->num_channels() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--input=", input, " has zero channels"));
  }
  if (!source->info().channel_locations.empty() &&
      static_cast<int64_t>(source->info().channel_locations.size()) != source->num_channels()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel-locations has ", source->info().channel_locations.size(),
                     " rows for ", source->num_channels(), " channels"));
  }
  SampleType out_type =
      source->sample_type() == SampleType::kInt16 ? SampleType::kInt16 : SampleType::kFloat32;
  if (auto d = args.GetOptional("dtype")) {
    if (*d != "float32" && *d != "int16") {
      return absl::InvalidArgumentError(absl::StrCat("--dtype=", *d, " is not float32 or int16"));
    }
    NF_ASSIGN_OR_RETURN(out_type, ParseSampleType(*d, "--dtype"));
  }
  NF_ASSIGN_OR_RETURN(auto chain, PreprocessChain::Build(spec, source, out_type));

  const int64_t n = source->num_frames();
  int64_t start = 0, end = n;
  if (auto s = args.GetOptional("start")) {
    NF_ASSIGN_OR_RETURN(start, ParseFramePosition(*s, *fs, "start"));
  }
  if (auto e = args.GetOptional("end")) {
    NF_ASSIGN_OR_RETURN(end, ParseFramePosition(*e, *fs, "end"));
  }
  if (start >= end || end > n) {
    return absl::InvalidArgumentError(absl::StrCat("--start/--end select frames [", start, ", ",
                                                   end,
                                                   "), which is not a non-empty part of the "
                                                   "recording's [0, ",
                                                   n, ")"));
  }
  double chunk_s = 1.0;
  if (auto c = args.GetOptional("chunk-duration")) {
    NF_ASSIGN_OR_RETURN(chunk_s, ParseDurationSeconds(*c, "chunk-duration"));
  }
  ChunkOptions chunks;
  chunks.chunk_frames = std::max<int64_t>(1, static_cast<int64_t>(chunk_s * *fs));

  const std::string partial = output + ".partial";
  NF_ASSIGN_OR_RETURN(
      auto writer,
      NpyWriter::Create(partial,
                        out_type == SampleType::kInt16 ? NpyDtype::kInt16 : NpyDtype::kFloat32,
                        {end - start, source->num_channels()}));
  ProgressBar bar("preprocess", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
  chunks.progress = [&](int64_t done, int64_t total) { bar.Update(done, total); };
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status status;
  RunInArena([&] {
    status = RunChunked(chain->output(), chunks, start, end,
                        [&](int64_t, const Traces& t) { return writer->Append(t); });
  });
  bar.Finish();
  if (status.ok()) status = writer->Finish();
  if (!status.ok()) {
    writer.reset();
    std::remove(partial.c_str());
    return status;
  }
  if (std::rename(partial.c_str(), output.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", output));
  }
  Summary summary;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.frames = end - start;
  summary.channels = source->num_channels();
  summary.fs = *fs;
  summary.threads = limits.threads;
  summary.canonical = chain->canonical();
  summary.output = output;
  summary.type = out_type;
  return summary;
}

}  // namespace

int RunPreprocessCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "preprocess", argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::StatusOr<Summary> s = Run(*args);
  if (!s.ok()) return ReportCommandError("preprocess", s.status());
  if (!args->Has("quiet")) {
    const double rec_s = static_cast<double>(s->frames) / s->fs;
    const double mb = static_cast<double>(s->frames * s->channels) * SampleTypeSize(s->type) / 1e6;
    if (args->Has("server")) {
      std::printf("preprocessed %lld frames x %lld channels in %.3f s %s\n  output: %s\n",
                  static_cast<long long>(s->frames), static_cast<long long>(s->channels),
                  s->seconds, s->canonical.c_str(), s->output.c_str());
      return 0;
    }
    std::printf(
        "preprocessed %lld frames x %lld channels (%.3f s of recording) in %.3f s on %d threads "
        "(%.1fx real time, %.0f MB/s out)\n  chain: %s\n  output: %s (%s)\n",
        static_cast<long long>(s->frames), static_cast<long long>(s->channels), rec_s, s->seconds,
        s->threads, rec_s / s->seconds, mb / s->seconds, s->canonical.c_str(), s->output.c_str(),
        SampleTypeName(s->type));
  }
  return 0;
}

}  // namespace neurofeat::client
