#include "server/job_calls.h"

#include <filesystem>
#include <memory>

#include "absl/strings/str_replace.h"
#include "api/bids_convert.h"
#include "api/pipeline_convert.h"
#include "api/request_convert.h"
#include "api/response_convert.h"
#include "core/checked_math.h"
#include "core/features/fit_pipeline.h"
#include "core/status_macros.h"
#include "core/util/json.h"
#include "server/status_mapping.h"

namespace neurofeat::server {
namespace {

api::FileAccess FilesOf(const ServiceDeps& deps) {
  api::FileAccess files;
  files.resolve = [paths = deps.paths](const std::string& p) { return paths->Resolve(p); };
  if (deps.uploads != nullptr) {
    files.upload = [uploads = deps.uploads](const std::string& id) { return uploads->Path(id); };
  }
  return files;
}

}  // namespace

absl::StatusOr<ExtractCall::Plan> PlanExtract(const v1::ExtractRequest& request,
                                              std::function<bool()> cancelled,
                                              const ServiceDeps& deps) {
  NF_ASSIGN_OR_RETURN(ExtractionSpec spec, api::ToExtractionSpec(request, FilesOf(deps)));
  ExtractionOptions options;
  options.parallel_windows = deps.cpu.threads;
  options.store = deps.cache;
  options.keys = deps.keys;
  NF_ASSIGN_OR_RETURN(std::shared_ptr<ExtractionJob> job,
                      ExtractionJob::Create(std::move(spec), options));
  NF_ASSIGN_OR_RETURN(
      const int64_t rows,
      api::RowsPerMessage(request.rows_per_message(), static_cast<int64_t>(job->columns().size()),
                          deps.max_message_bytes));
  job->set_cancelled(std::move(cancelled));
  ExtractCall::Plan plan;
  plan.working_set_bytes = CallWorkingSet(job->working_set_bytes());
  if (deps.metrics != nullptr) deps.metrics->WorkingSet("Extract", plan.working_set_bytes);
  plan.batches_ahead = 1;
  plan.producer =
      [job, rows, meta = api::MakeResponseMeta(request.pipeline()), metrics = deps.metrics,
       first =
           true](std::vector<v1::ExtractResponse>&) mutable -> absl::StatusOr<ExtractCall::Batch> {
    NF_ASSIGN_OR_RETURN(std::optional<FeatureTable> block, job->NextBlock());
    ExtractCall::Batch batch;
    if (!block.has_value()) {
      batch.last = true;
      return batch;
    }
    if (metrics != nullptr) {
      metrics->Kernels(block->stats);
      const RecordingInput& in = job->input();
      metrics->Processed(block->stats.windows_computed * in.channels() * job->window_samples(),
                         block->stats.chunks_read * job->chunk_frames() * in.frame_bytes,
                         block->rows);
    }
    batch.messages = api::ExtractResponses(*block, *job, rows, first, meta);
    first = false;
    batch.last = block->window_index.back() + 1 >= job->total_windows();
    return batch;
  };
  return plan;
}

absl::StatusOr<PreprocessCall::Plan> PlanPreprocess(const v1::PreprocessRequest& request,
                                                    std::function<bool()> cancelled,
                                                    const ServiceDeps& deps) {
  NF_ASSIGN_OR_RETURN(PreprocessSpec spec, api::ToPreprocessSpec(request, FilesOf(deps)));
  NF_ASSIGN_OR_RETURN(std::shared_ptr<PreprocessJob> job, PreprocessJob::Create(std::move(spec)));
  NF_RETURN_IF_ERROR(api::CheckChunkFitsMessage(*job, deps.max_message_bytes));
  job->set_cancelled(std::move(cancelled));
  PreprocessCall::Plan plan;
  plan.batches_ahead = std::max(1, deps.preprocess_chunks_ahead);
  // The chunks waiting to be written, the one being computed, and its
  // message copy while it is converted.
  plan.working_set_bytes = CallWorkingSet(job->WorkingSetBytes(plan.batches_ahead + 2));
  if (deps.metrics != nullptr) deps.metrics->WorkingSet("Preprocess", plan.working_set_bytes);
  plan.producer = [job, meta = api::MakeResponseMeta(request.pipeline()), metrics = deps.metrics,
                   first = true](std::vector<v1::PreprocessResponse>& spares) mutable
      -> absl::StatusOr<PreprocessCall::Batch> {
    NF_ASSIGN_OR_RETURN(std::optional<TraceChunk> chunk, job->NextChunk());
    PreprocessCall::Batch batch;
    if (!chunk.has_value()) {
      batch.last = true;
      return batch;
    }
    if (metrics != nullptr) {
      const int64_t frames = chunk->traces.frames();
      metrics->FilterChunks(1);
      metrics->Processed(frames * job->channels(), frames * job->input().frame_bytes, 0);
    }
    v1::PreprocessResponse& message = batch.messages.emplace_back();
    if (!spares.empty()) {
      message = std::move(spares.back());
      spares.pop_back();
    }
    api::FillPreprocessResponse(*chunk, *job, first, meta, &message);
    first = false;
    batch.last = chunk->first_frame + chunk->traces.frames() >= job->end_frame();
    return batch;
  };
  return plan;
}

absl::StatusOr<FitCall::Plan> PlanFit(const v1::FitRequest& request,
                                      std::function<bool()> cancelled, const ServiceDeps& deps) {
  NF_ASSIGN_OR_RETURN(FitSpec spec, api::ToFitSpec(request, FilesOf(deps)));
  NF_ASSIGN_OR_RETURN(std::shared_ptr<FitJob> job, FitJob::Create(std::move(spec)));
  job->set_cancelled(std::move(cancelled));
  FitCall::Plan plan;
  plan.working_set_bytes = CallWorkingSet(job->working_set_bytes());
  if (deps.metrics != nullptr) deps.metrics->WorkingSet("Fit", plan.working_set_bytes);
  plan.run = [job]() -> absl::StatusOr<v1::FitResponse> {
    NF_ASSIGN_OR_RETURN(FitResult fitted, job->Run());
    v1::FitResponse response;
    NF_ASSIGN_OR_RETURN(*response.mutable_pipeline(),
                        api::ParsePipelineJson(ToCanonicalJson(fitted.pipeline)));
    for (const std::string& line : fitted.report) response.add_report(line);
    *response.mutable_meta() = api::MakeResponseMeta(response.pipeline());
    return response;
  };
  return plan;
}

namespace {

// Plans a BIDS dataset under the data roots (every file read through the
// path policy); each recording's error message is made public by `errors`.
absl::StatusOr<v1::PlanBidsResponse> RunPlanBids(const v1::PlanBidsRequest& request,
                                                 const BidsPlanOptions& options,
                                                 const ServiceDeps& deps,
                                                 const StatusMapper& errors) {
  api::FileAccess files = FilesOf(deps);
  files.upload = nullptr;
  // The root's own errors name the request's field, not a recording's.
  files.resolve = [paths = deps.paths,
                   root = request.root()](const std::string& p) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> resolved = paths->Resolve(p);
    if (resolved.ok() || p != root) return resolved;
    return absl::Status(
        resolved.status().code(),
        absl::StrReplaceAll(resolved.status().message(), {{"recording.path.path", "bids root"}}));
  };
  NF_ASSIGN_OR_RETURN(std::vector<PlannedRecording> plan,
                      PlanBidsDataset(request.root(), options, files));
  v1::PlanBidsResponse response = api::ToPlanBidsResponse(plan);
  for (v1::PlannedRecording& r : *response.mutable_recordings()) {
    if (r.error_code() != 0) r.set_error_message(errors.PublicMessage(r.error_message()));
  }
  *response.mutable_meta() = api::MakeResponseMeta(v1::Pipeline());
  return response;
}

}  // namespace

int64_t PlanBidsWorkingSetBytes(const std::string& root) {
  namespace fs = std::filesystem;
  int64_t sidecar_bytes = 0, files = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    ++files;
    const std::string ext = it->path().extension().string();
    if (ext == ".tsv" || ext == ".json") {
      const auto size = it->file_size(ec);
      if (!ec) sidecar_bytes = SaturatingAdd(sidecar_bytes, static_cast<int64_t>(size));
    }
  }
  return SaturatingAdd(SaturatingMul(sidecar_bytes, 3),
                       SaturatingMul(files, 2 * static_cast<int64_t>(sizeof(PlannedRecording))));
}

absl::StatusOr<PlanBidsCall::Plan> PlanPlanBids(const v1::PlanBidsRequest& request,
                                                const ServiceDeps& deps,
                                                const StatusMapper& errors) {
  NF_ASSIGN_OR_RETURN(BidsPlanOptions options, api::ToBidsPlanOptions(request));
  PlanBidsCall::Plan plan;
  absl::StatusOr<std::string> root = deps.paths->Resolve(request.root());
  // A root the policy refuses fails in RunPlanBids with its own message.
  plan.working_set_bytes = CallWorkingSet(root.ok() ? PlanBidsWorkingSetBytes(*root) : 0);
  if (deps.metrics != nullptr) deps.metrics->WorkingSet("PlanBids", plan.working_set_bytes);
  plan.run = [&request, options = std::move(options), &deps, &errors] {
    return RunPlanBids(request, options, deps, errors);
  };
  return plan;
}

}  // namespace neurofeat::server
