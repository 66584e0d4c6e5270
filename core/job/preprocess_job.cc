#include "core/job/preprocess_job.h"

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/job/extraction_job.h"
#include "core/job/pipeline_spec.h"
#include "core/status_macros.h"

namespace neurofeat {

absl::StatusOr<std::unique_ptr<PreprocessJob>> PreprocessJob::Create(PreprocessSpec spec) {
  RecordingInput& input = spec.input;
  if (input.source == nullptr) {
    return absl::InvalidArgumentError(
        "recording: Preprocess needs continuous (frames, channels) data, not epochs");
  }
  if (static_cast<int64_t>(spec.chain.steps.size()) > kMaxPreprocessSteps) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess: ", spec.chain.steps.size(),
                                                   " steps, more than ", kMaxPreprocessSteps));
  }
  SampleType out_type = input.source->sample_type() == SampleType::kInt16 && !input.scale
                            ? SampleType::kInt16
                            : SampleType::kFloat32;
  if (spec.output_type.has_value()) {
    if (*spec.output_type == SampleType::kFloat64) {
      return absl::InvalidArgumentError(
          "output_dtype: FLOAT64 is not an output type (INT16, FLOAT32)");
    }
    out_type = *spec.output_type;
  }
  NF_ASSIGN_OR_RETURN(
      std::unique_ptr<PreprocessChain> chain,
      PreprocessChain::Build(ChainWithScale(spec.chain, input), input.source, out_type));
  const int64_t n = chain->output().num_frames();
  const int64_t start = spec.start_frame;
  const int64_t end = spec.end_frame.value_or(n);
  if (start < 0 || start >= end || end > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("start_frame/end_frame: [", start, ", ", end,
                     ") is not a non-empty part of the recording's [0, ", n, ")"));
  }
  NF_ASSIGN_OR_RETURN(const int64_t chunk,
                      ChunkFramesFor(spec.chunk_frames, input.signal.fs, end - start));
  auto job = std::unique_ptr<PreprocessJob>(new PreprocessJob(std::move(input), start, end, chunk));
  job->chain_ = std::move(chain);
  job->output_type_ = out_type;
  return job;
}

int64_t PreprocessJob::chunk_bytes() const {
  return SaturatingMul(SaturatingMul(chunk_frames_, channels()),
                       static_cast<int64_t>(SampleTypeSize(output_type_)));
}

int64_t PreprocessJob::WorkingSetBytes(int chunks_in_flight) const {
  constexpr int64_t kOverheadBytes = int64_t{4} << 20;
  return SaturatingAdd(SaturatingAdd(input_.held_bytes, kOverheadBytes),
                       SaturatingAdd(chain_->PeakBytes(chunk_frames_),
                                     SaturatingMul(std::max(1, chunks_in_flight), chunk_bytes())));
}

absl::StatusOr<TraceChunk> PreprocessJob::Chunk(int64_t i) const {
  const auto [s, e] = grid_[i];
  NF_ASSIGN_OR_RETURN(Traces traces, chain_->output().GetTraces(s, e));
  return TraceChunk{s, std::move(traces)};
}

absl::StatusOr<std::optional<TraceChunk>> PreprocessJob::NextChunk() {
  if (next_ >= grid_.size()) return std::optional<TraceChunk>();
  if (cancelled_ && cancelled_()) {
    return absl::CancelledError(absl::StrCat("cancelled at frame ", grid_[next_].first));
  }
  NF_ASSIGN_OR_RETURN(TraceChunk chunk, Chunk(next_));
  ++next_;
  return std::optional<TraceChunk>(std::move(chunk));
}

}  // namespace neurofeat
