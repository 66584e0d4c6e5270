#include "api/request_convert.h"

#include "absl/strings/str_cat.h"
#include "api/dtype_convert.h"
#include "api/pipeline_convert.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat::api {

absl::StatusOr<CachePolicy> ToCachePolicy(v1::CachePolicy policy) {
  switch (policy) {
    case v1::CACHE_DEFAULT:
      return CachePolicy::kUse;
    case v1::CACHE_BYPASS:
      return CachePolicy::kBypass;
    case v1::CACHE_REFRESH:
      return CachePolicy::kRefresh;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("cache_policy: ", static_cast<int>(policy),
                       " is not a policy (CACHE_DEFAULT, CACHE_BYPASS, CACHE_REFRESH)"));
  }
}

absl::StatusOr<ExtractionSpec> ToExtractionSpec(const v1::ExtractRequest& request,
                                                const FileAccess& files) {
  NF_ASSIGN_OR_RETURN(const CachePolicy cache_policy, ToCachePolicy(request.cache_policy()));
  if (request.rows_per_message() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rows_per_message: must be >= 0, got ", request.rows_per_message()));
  }
  ExtractionSpec spec;
  NF_ASSIGN_OR_RETURN(spec.pipeline, ToPipelineSpec(request.pipeline()));
  NF_ASSIGN_OR_RETURN(spec.input, ToRecordingInput(request.recording(), files));
  spec.chunk_frames = request.chunk_frames();
  if (spec.chunk_frames < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_frames: must be >= 0, got ", spec.chunk_frames));
  }
  spec.window_starts.assign(request.window_starts().begin(), request.window_starts().end());
  spec.window_frames = request.window_frames();
  spec.cache_policy = cache_policy;
  return spec;
}

absl::StatusOr<PreprocessSpec> ToPreprocessSpec(const v1::PreprocessRequest& request,
                                                const FileAccess& files) {
  PreprocessSpec spec;
  switch (request.output_dtype()) {
    case v1::SAMPLE_DTYPE_UNSPECIFIED:
      break;
    case v1::INT16:
      spec.output_type = SampleType::kInt16;
      break;
    case v1::FLOAT32:
      spec.output_type = SampleType::kFloat32;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("output_dtype: ", static_cast<int>(request.output_dtype()),
                       " is not an output type (SAMPLE_DTYPE_UNSPECIFIED, INT16, FLOAT32)"));
  }
  NF_ASSIGN_OR_RETURN(spec.chain, ToChainSpec(request.pipeline()));
  NF_ASSIGN_OR_RETURN(spec.input, ToRecordingInput(request.recording(), files));
  spec.start_frame = request.start_frame();
  if (request.has_end_frame()) spec.end_frame = request.end_frame();
  spec.chunk_frames = request.chunk_frames();
  if (spec.chunk_frames < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_frames: must be >= 0, got ", spec.chunk_frames));
  }
  return spec;
}

absl::StatusOr<FitSpec> ToFitSpec(const v1::FitRequest& request, const FileAccess& files) {
  FitSpec spec;
  NF_ASSIGN_OR_RETURN(RecordingRequest recording, ToRecordingRequest(request.recording()));
  recording.rate_optional = true;  // the fit uses no rate
  NF_ASSIGN_OR_RETURN(spec.input, OpenRecording(recording, files));
  spec.labels.assign(request.labels().begin(), request.labels().end());
  NF_ASSIGN_OR_RETURN(spec.pipeline, ParseJson(PipelineToJson(request.pipeline())));
  return spec;
}

}  // namespace neurofeat::api
