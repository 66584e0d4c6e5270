// File: extraction_job.h
//
// ExtractionJob: one feature-extraction request, validated once and run
// block by block. The server's Extract RPC and the CLI's `extract` (embedded
// or remote) all come here, so what a request computes, how its memory is
// estimated and how its results are cached cannot differ between them.
//
// Create() checks everything that can be checked before a sample is read
// (every error names its field): the pipeline against the input (epochs
// take no chain or window; continuous traces need a window), the chain, the
// feature tree, the window against the recording; it computes the output
// schema, the number of windows, the working set, and (with a result
// store) the cache descriptor, which hashes the recording's content: call
// it on the compute arena. NextBlock() then yields blocks of rows in order.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto job, ExtractionJob::Create(std::move(spec), options));
//   NF_ASSIGN_OR_RETURN(Admission::Ticket t, admission.Admit(job->working_set_bytes(), ...));
//   while (true) {
//     NF_ASSIGN_OR_RETURN(std::optional<FeatureTable> block, job->NextBlock());
//     if (!block) break;
//     ...
//   }
#ifndef NEUROFEAT_CORE_JOB_EXTRACTION_JOB_H_
#define NEUROFEAT_CORE_JOB_EXTRACTION_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cache/content_keys.h"
#include "core/features/extract.h"
#include "core/features/feature_tree.h"
#include "core/features/streaming_extractor.h"
#include "core/job/pipeline_spec.h"
#include "core/job/recording_input.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/result_store.h"

namespace neurofeat {

// CachePolicy: what a request does with the result cache.
enum class CachePolicy {
  kUse,      // read what is there, store what is computed
  kBypass,   // neither read nor write
  kRefresh,  // recompute and overwrite
};

struct ExtractionSpec {
  RecordingInput input;
  PipelineSpec pipeline;
  // Continuous input: the chain runs on chunks of this many frames
  // (SpikeInterface's grid), as `preprocess` does; a chunk longer than the
  // recording is the recording. 0: one second of frames. Default: 0.
  int64_t chunk_frames = 0;
  // Windows at these first frames (ascending) instead of the pipeline's
  // fixed-length grid: windows cut around events. Each is `window_frames`
  // long, or the pipeline window's size_samples when 0. Default: none.
  std::vector<int64_t> window_starts;
  int64_t window_frames = 0;
  // The request's use of the result cache (when the engine has one).
  // Default: kUse.
  CachePolicy cache_policy = CachePolicy::kUse;
};

struct ExtractionOptions {
  // Windows evaluated at once (the arena's threads), for the estimate.
  // Default: 1.
  int parallel_windows = 1;
  // The engine's result store and digests of content; null: the engine
  // has no cache. The request's CachePolicy decides how they are used.
  ResultStore* store = nullptr;
  ContentKeys* keys = nullptr;
};

class ExtractionJob {
 public:
  // Errors: InvalidArgument naming the field and value; NotFound /
  // DataLoss from reading a file to hash it.
  static absl::StatusOr<std::unique_ptr<ExtractionJob>> Create(ExtractionSpec spec,
                                                               const ExtractionOptions& options);

  // Output schema: EEGDash's column names in tree order, and which columns
  // hold counts.
  const std::vector<std::string>& columns() const { return tree_.columns(); }
  const std::vector<bool>& integer_columns() const { return tree_.integer_columns(); }
  int64_t total_windows() const { return extractor_->total_windows(); }
  int64_t channels() const { return input_.channels(); }
  int64_t window_samples() const { return tree_.n_times(); }
  int64_t chunk_frames() const { return chunk_frames_; }
  const RecordingInput& input() const { return input_; }
  // The chain with defaults filled in ("identity" for none; "epochs" for
  // pre-cut input).
  const std::string& chain_canonical() const { return chain_canonical_; }
  // What the job holds at most while it runs: the input in memory, the
  // chain's blocks on one chunk (PreprocessChain::PeakBytes), the rolling
  // buffer of filtered frames, one block of windows (and, from an epochs
  // file, its bytes as read), the tree's values for the windows evaluated
  // at once, and a block's rows eight times (this block's and the next's
  // as a table and as messages, two serialized, two kept for reuse).
  int64_t working_set_bytes() const { return working_set_bytes_; }
  // The descriptor its cache entries are keyed by ("" when uncached).
  const std::string& cache_descriptor() const { return cache_descriptor_; }

  // set_cancelled(): polled between windows; a block stops with Cancelled.
  void set_cancelled(std::function<bool()> cancelled);
  // NextBlock() runs parallel loops: call it on the compute arena. nullopt
  // once every window is done.
  absl::StatusOr<std::optional<FeatureTable>> NextBlock();
  // Work done so far over all blocks.
  const EvalStats& stats() const { return extractor_->stats(); }

 private:
  ExtractionJob(RecordingInput input, FeatureTree tree)
      : input_(std::move(input)), tree_(std::move(tree)) {}

  RecordingInput input_;
  FeatureTree tree_;
  std::unique_ptr<PreprocessChain> chain_;
  std::unique_ptr<StreamingExtractor> extractor_;
  int64_t chunk_frames_ = 0;
  int64_t working_set_bytes_ = 0;
  std::string chain_canonical_;
  std::string cache_descriptor_;
};

// ChunkFramesFor() is a request's chunk length: `requested` (>= 0; 0 means
// one second at `fs`), at least 1 and at most the recording.
// Errors: InvalidArgument naming chunk_frames.
absl::StatusOr<int64_t> ChunkFramesFor(int64_t requested, double fs, int64_t frames);

// ChainWithScale() is the pipeline's chain with the input's scale-to-µV
// step first, when it has one.
ChainSpec ChainWithScale(const ChainSpec& chain, const RecordingInput& input);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_EXTRACTION_JOB_H_
