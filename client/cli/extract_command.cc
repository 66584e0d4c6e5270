// neurofeat extract: runs a pipeline's feature tree over windows of an .npy
// recording with the embedded engine and writes EEGDash's feature table.
#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/text_file.h"
#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/features/extract.h"
#include "core/features/streaming_extractor.h"
#include "core/io/npy.h"
#include "core/source/in_memory_source.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/status_macros.h"
#include "cmdline/args.h"
#include "proto/convert/pipeline_convert.h"

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
  return flags;
}

const ArgParser& Parser() {
  static const ArgParser parser("extract", Flags());
  return parser;
}

struct Summary {
  int64_t windows = 0;
  int64_t columns = 0;
  int threads = 0;
  double seconds = 0;
  std::string output;
  bool cached = false;
  EvalStats stats;
};

absl::StatusOr<std::optional<double>> PositiveFlag(const ParsedArgs& args,
                                                   const std::string& name) {
  NF_ASSIGN_OR_RETURN(std::optional<double> v, args.GetDouble(name));
  if (v.has_value() && !(*v > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", args.Get(name), " must be positive"));
  }
  return v;
}

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
  std::string channels_text;
  if (!remote) {
    NF_ASSIGN_OR_RETURN(channels_text, args.Required("channels"));
    NF_RETURN_IF_ERROR(args.Required("fs").status());
  }
  NF_ASSIGN_OR_RETURN(std::optional<double> fs, PositiveFlag(args, "fs"));
  NF_ASSIGN_OR_RETURN(std::optional<double> highpass, PositiveFlag(args, "highpass"));
  NF_ASSIGN_OR_RETURN(std::optional<double> lowpass, PositiveFlag(args, "lowpass"));
  const bool csv = output.size() > 4 && output.substr(output.size() - 4) == ".csv";
  const bool npy = output.size() > 4 && output.substr(output.size() - 4) == ".npy";
  if (!csv && !npy) {
    return absl::InvalidArgumentError(
        absl::StrCat("--output=", output, " must end in .csv or .npy"));
  }
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> threads, args.GetInt("threads"));
  if (threads.has_value() && *threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--threads=", *threads, " must be at least 1"));
  }
  double chunk_s = 1.0;
  if (auto c = args.GetOptional("chunk-duration")) {
    NF_ASSIGN_OR_RETURN(chunk_s, ParseDurationSeconds(*c, "chunk-duration"));
  }
  if (remote) {
    if (threads.has_value()) {
      return absl::InvalidArgumentError("--threads: the server decides its threads; drop the flag");
    }
    NF_ASSIGN_OR_RETURN(std::string json, ReadTextFile(pipeline_path, "--pipeline"));
    absl::StatusOr<v1::Pipeline> pipeline = ParsePipelineJson(json);
    if (!pipeline.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(pipeline_path, ": ", pipeline.status().message()));
    }
    const auto t0 = std::chrono::steady_clock::now();
    NF_ASSIGN_OR_RETURN(
        RemoteResult r,
        RunRemoteExtract(
            args, *pipeline, fs,
            fs.has_value() ? std::max<int64_t>(1, static_cast<int64_t>(chunk_s * *fs)) : 0));
    Summary s;
    s.windows = r.rows_or_frames;
    s.columns = r.columns_or_channels;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.output = output;
    return s;
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
  std::vector<std::string> names = absl::StrSplit(channels_text, ',');
  NF_ASSIGN_OR_RETURN(NpyHeader header, ReadNpyHeader(input));
  const auto& shape = header.shape;
  const int64_t channels = shape.size() == 3 || shape.size() == 2 ? shape[1] : -1;
  if (channels < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--input=", input,
                     ": expected 3-D epochs (n_windows, channels, n_times) or 2-D "
                     "(frames, channels), got ",
                     shape.size(), " dimensions"));
  }
  if (static_cast<int64_t>(names.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--channels names ", names.size(), " channels but --input=", input, " has ", channels));
  }
  SignalInfo info;
  info.fs = *fs;
  info.channels = names;
  info.highpass = highpass;
  info.lowpass = lowpass;
  // Epochs are read whole; continuous traces go through the chain chunk by
  // chunk on SpikeInterface's grid and are cut into windows as they come.
  std::optional<EpochsFile> epochs;
  std::shared_ptr<NpyTraceSource> source;
  std::unique_ptr<PreprocessChain> chain;
  std::optional<WindowSpec> window;
  int64_t n_times = 0;
  if (shape.size() == 3) {
    if (!ToChainSpec(*pipeline).value_or(ChainSpec{}).steps.empty() || pipeline->has_window()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--input=", input,
                       " holds pre-cut epochs; the pipeline's preprocess and window apply "
                       "to continuous (frames, channels) input only, so remove them"));
    }
    NF_ASSIGN_OR_RETURN(EpochsFile f, OpenEpochsFile(input));
    epochs = std::move(f);
    n_times = shape[2];
  } else {
    NF_ASSIGN_OR_RETURN(window, ToWindowSpec(*pipeline));
    if (!window.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--input=", input,
          " is (frames, channels) continuous data, so the pipeline needs a "
          "\"window\": {\"size_samples\": N}; or pass (n_windows, channels, n_times) epochs"));
    }
    NF_ASSIGN_OR_RETURN(ChainSpec spec, ToChainSpec(*pipeline));
    RecordingInfo rec;
    rec.sampling_rate_hz = *fs;
    rec.channel_ids = names;
    NF_ASSIGN_OR_RETURN(source, NpyTraceSource::Open(input, rec));
    NF_ASSIGN_OR_RETURN(chain, PreprocessChain::Build(spec, source, SampleType::kFloat32));
    n_times = window->size;
  }
  NF_ASSIGN_OR_RETURN(FeatureTree tree,
                      FeatureTree::Build(ToFeatureSpecs(*pipeline), info, n_times));
  const int64_t block = BlockWindows(channels, n_times);
  const int64_t chunk_frames = std::max<int64_t>(1, static_cast<int64_t>(chunk_s * *fs));
  std::unique_ptr<StreamingExtractor> extractor =
      epochs.has_value() ? std::make_unique<StreamingExtractor>(tree, *epochs, block)
                         : std::make_unique<StreamingExtractor>(tree, chain->output(), *window,
                                                                chunk_frames, block);
  NF_RETURN_IF_ERROR(extractor->Validate());
  // The result cache: re-runs (new bands, one more feature) reuse what is there.
  std::unique_ptr<ResultCache> cache;
  if (!args.Has("no-cache")) {
    ResultCacheOptions cache_options;
    cache_options.dir = args.GetOptional("cache-dir").value_or(DefaultCacheDir());
    std::string warning;
    cache = ResultCache::OpenOrWarn(cache_options, &warning);
    if (!warning.empty()) std::fprintf(stderr, "neurofeat extract: warning: %s\n", warning.c_str());
  }
  if (cache != nullptr) {
    ContentKeys keys(cache.get());
    NF_ASSIGN_OR_RETURN(std::string content, keys.ForFile(input));
    CacheContext context;
    context.cache = cache.get();
    context.refresh = args.Has("refresh-cache");
    context.recording_descriptor = absl::StrCat(
        "content=", content, "|npy dtype=", NpyDtypeDescr(header.dtype),
        " shape=", absl::StrJoin(shape, "x"),
        epochs.has_value()
            ? std::string("|epochs")
            : absl::StrCat("|chain=", chain->canonical(), "|chunk=", chunk_frames,
                           "|window=", window->size, "/", window->stride, "/", window->drop_last));
    extractor->set_cache(std::move(context));
  }

  ProgressBar bar("extract", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
  const auto t0 = std::chrono::steady_clock::now();
  FeatureTable table;
  absl::Status status;
  RunInArena([&] {
    while (status.ok()) {
      absl::StatusOr<std::optional<FeatureTable>> block = extractor->NextBlock();
      if (!block.ok()) {
        status = block.status();
      } else if (!block->has_value()) {
        break;
      } else {
        AppendRows(**block, &table);
        bar.Update(table.rows, extractor->total_windows());
      }
    }
  });
  bar.Finish();
  NF_RETURN_IF_ERROR(status);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string recording = args.GetOptional("recording").value_or(input);
  if (!args.Has("recording")) {
    const size_t slash = recording.find_last_of('/');
    if (slash != std::string::npos) recording = recording.substr(slash + 1);
  }
  if (csv) {
    NF_RETURN_IF_ERROR(WriteFeatureCsv(output, table, args.Has("include-metadata"), recording));
  } else {
    NF_RETURN_IF_ERROR(WriteFeatureNpy(output, table));
  }
  Summary s;
  s.windows = table.rows;
  s.columns = static_cast<int64_t>(table.columns.size());
  s.threads = limits.threads;
  s.seconds = seconds;
  s.output = output;
  s.cached = cache != nullptr;
  s.stats = extractor->stats();
  return s;
}

}  // namespace

int RunExtractCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "extract", argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::StatusOr<Summary> s = Run(*args);
  if (!s.ok()) return ReportCommandError("extract", s.status());
  if (!args->Has("quiet")) {
    const std::string where = args->Has("server") ? absl::StrCat("on ", args->Get("server"))
                                                  : absl::StrCat("on ", s->threads, " threads");
    std::printf(
        "extracted %lld windows x %lld features in %.3f s %s (%.0f windows/s)\n"
        "  output: %s\n",
        static_cast<long long>(s->windows), static_cast<long long>(s->columns), s->seconds,
        where.c_str(), static_cast<double>(s->windows) / s->seconds, s->output.c_str());
    if (s->cached) {
      std::printf(
          "  cache: %lld leaf results and %lld spectra reused; computed %lld windows "
          "(%lld filter chunks, %lld spectra, %lld feature runs)\n",
          static_cast<long long>(s->stats.leaves_from_cache),
          static_cast<long long>(s->stats.spectra_from_cache),
          static_cast<long long>(s->stats.windows_computed),
          static_cast<long long>(s->stats.chunks_read),
          static_cast<long long>(s->stats.spectra_computed),
          static_cast<long long>(s->stats.leaf_runs));
    }
  }
  return 0;
}

}  // namespace neurofeat::client
