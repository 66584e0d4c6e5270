#include "client/cli/embedded.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "api/request_convert.h"
#include "api/response_convert.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/job/extraction_job.h"
#include "core/job/fit_job.h"
#include "core/job/preprocess_job.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

// Runs `fn` on the arena and returns its status.
absl::Status StatusInArena(const std::function<absl::Status()>& fn) {
  absl::Status status;
  RunInArena([&] { status = fn(); });
  return status;
}

}  // namespace

void EmbeddedEngine::InArena(const std::function<void()>& fn) { RunInArena(fn); }

absl::StatusOr<std::unique_ptr<EmbeddedEngine>> EmbeddedEngine::Create(const ParsedArgs& args,
                                                                       bool use_cache) {
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> threads, args.GetInt("threads"));
  if (threads.has_value() && (*threads < 1 || *threads > 4096)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", *threads, " must be in [1, 4096]"));
  }
  auto engine = std::unique_ptr<EmbeddedEngine>(new EmbeddedEngine());
  const CpuLimits limits = DetectCpuLimits(CpuLimitInputs::FromSystem(
      threads.has_value() ? std::optional<int>(static_cast<int>(*threads)) : std::nullopt));
  InitComputeArena(limits.threads);
  engine->threads_ = limits.threads;
  if (use_cache) {
    ResultCacheOptions cache_options;
    cache_options.dir = args.GetOptional("cache-dir").value_or(DefaultCacheDir());
    std::string warning;
    engine->cache_ = ResultCache::OpenOrWarn(cache_options, &warning);
    if (!warning.empty()) std::fprintf(stderr, "neurofeat: warning: %s\n", warning.c_str());
  }
  engine->keys_ = std::make_unique<ContentKeys>(engine->cache_.get());
  return engine;
}

absl::StatusOr<EmbeddedRun> EmbeddedEngine::Extract(
    const v1::ExtractRequest& request,
    const std::function<absl::Status(const FeatureTable&, int64_t)>& on_block) {
  ExtractionOptions options;
  options.parallel_windows = threads_;
  options.store = cache_.get();
  options.keys = keys_.get();
  EmbeddedRun run;
  NF_RETURN_IF_ERROR(StatusInArena([&]() -> absl::Status {
    NF_ASSIGN_OR_RETURN(ExtractionSpec spec, api::ToExtractionSpec(request, api::FileAccess{}));
    run.fs = spec.input.signal.fs;
    NF_ASSIGN_OR_RETURN(std::unique_ptr<ExtractionJob> job,
                        ExtractionJob::Create(std::move(spec), options));
    run.chain = job->chain_canonical();
    while (true) {
      NF_ASSIGN_OR_RETURN(std::optional<FeatureTable> block, job->NextBlock());
      if (!block.has_value()) break;
      NF_RETURN_IF_ERROR(on_block(*block, job->total_windows()));
    }
    run.stats = job->stats();
    return absl::OkStatus();
  }));
  return run;
}

absl::StatusOr<v1::FitResponse> EmbeddedEngine::Fit(const v1::FitRequest& request) {
  v1::FitResponse response;
  NF_RETURN_IF_ERROR(StatusInArena([&]() -> absl::Status {
    NF_ASSIGN_OR_RETURN(FitSpec spec, api::ToFitSpec(request, api::FileAccess{}));
    NF_ASSIGN_OR_RETURN(std::unique_ptr<FitJob> job, FitJob::Create(std::move(spec)));
    NF_ASSIGN_OR_RETURN(FitResult fitted, job->Run());
    NF_ASSIGN_OR_RETURN(*response.mutable_pipeline(),
                        api::ParsePipelineJson(ToCanonicalJson(fitted.pipeline)));
    for (const std::string& line : fitted.report) response.add_report(line);
    *response.mutable_meta() = api::MakeResponseMeta(response.pipeline());
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<EmbeddedRun> EmbeddedEngine::Preprocess(
    const v1::PreprocessRequest& request, TraceFile& out,
    const std::function<void(int64_t, int64_t)>& progress) {
  EmbeddedRun run;
  NF_RETURN_IF_ERROR(StatusInArena([&]() -> absl::Status {
    NF_ASSIGN_OR_RETURN(PreprocessSpec spec, api::ToPreprocessSpec(request, api::FileAccess{}));
    run.fs = spec.input.signal.fs;
    run.unit = spec.input.unit;
    NF_ASSIGN_OR_RETURN(std::unique_ptr<PreprocessJob> job, PreprocessJob::Create(std::move(spec)));
    run.chain = job->chain_canonical();
    NF_RETURN_IF_ERROR(out.Begin(job->total_frames(), job->channels(), job->output_type()));
    int64_t done = 0;
    while (true) {
      NF_ASSIGN_OR_RETURN(std::optional<TraceChunk> chunk, job->NextChunk());
      if (!chunk.has_value()) break;
      NF_RETURN_IF_ERROR(
          out.Append(chunk->traces.bytes(), chunk->traces.size_bytes(), chunk->traces.frames()));
      done += chunk->traces.frames();
      if (progress) progress(done, job->total_frames());
    }
    return absl::OkStatus();
  }));
  return run;
}

}  // namespace neurofeat::client
