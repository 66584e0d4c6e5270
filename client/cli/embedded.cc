#include "client/cli/embedded.h"

#include <cstdio>

#include "api/request_convert.h"
#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/job/extraction_job.h"
#include "core/job/preprocess_job.h"
#include "core/status_macros.h"

namespace neurofeat::client {

absl::StatusOr<int> InitEmbeddedArena(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> threads, args.GetInt("threads"));
  if (threads.has_value() && (*threads < 1 || *threads > 4096)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", *threads, " must be in [1, 4096]"));
  }
  const CpuLimits limits = DetectCpuLimits(CpuLimitInputs::FromSystem(
      threads.has_value() ? std::optional<int>(static_cast<int>(*threads)) : std::nullopt));
  InitComputeArena(limits.threads);
  return limits.threads;
}

absl::StatusOr<EmbeddedRun> RunEmbeddedExtract(
    const v1::ExtractRequest& request, const ParsedArgs& args,
    const std::function<absl::Status(const FeatureTable&, int64_t)>& on_block) {
  EmbeddedRun run;
  NF_ASSIGN_OR_RETURN(run.threads, InitEmbeddedArena(args));
  NF_ASSIGN_OR_RETURN(const api::CacheUse cache_use, api::ToCacheUse(request.cache_policy()));
  // The local result cache: re-runs (new bands, one more feature) reuse it.
  std::unique_ptr<ResultCache> cache;
  if (cache_use != api::CacheUse::kBypass) {
    ResultCacheOptions cache_options;
    cache_options.dir = args.GetOptional("cache-dir").value_or(DefaultCacheDir());
    std::string warning;
    cache = ResultCache::OpenOrWarn(cache_options, &warning);
    if (!warning.empty()) std::fprintf(stderr, "neurofeat extract: warning: %s\n", warning.c_str());
  }
  ContentKeys keys(cache.get());
  ExtractionOptions options;
  options.parallel_windows = run.threads;
  if (cache != nullptr) {
    options.store = cache.get();
    options.keys = &keys;
    options.refresh = cache_use == api::CacheUse::kRefresh;
    run.cached = true;
  }
  absl::Status status;
  RunInArena([&] {
    status = [&]() -> absl::Status {
      NF_ASSIGN_OR_RETURN(ExtractionSpec spec, api::ToExtractionSpec(request, api::FileAccess{}));
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
    }();
  });
  NF_RETURN_IF_ERROR(status);
  return run;
}

absl::StatusOr<EmbeddedRun> RunEmbeddedPreprocess(
    const v1::PreprocessRequest& request, const ParsedArgs& args, TraceFile& out,
    const std::function<void(int64_t, int64_t)>& progress) {
  EmbeddedRun run;
  NF_ASSIGN_OR_RETURN(run.threads, InitEmbeddedArena(args));
  absl::Status status;
  RunInArena([&] {
    status = [&]() -> absl::Status {
      NF_ASSIGN_OR_RETURN(PreprocessSpec spec, api::ToPreprocessSpec(request, api::FileAccess{}));
      NF_ASSIGN_OR_RETURN(std::unique_ptr<PreprocessJob> job,
                          PreprocessJob::Create(std::move(spec)));
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
    }();
  });
  NF_RETURN_IF_ERROR(status);
  return run;
}

}  // namespace neurofeat::client
