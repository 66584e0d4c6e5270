#include "core/job/extraction_job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/cache/content_hash.h"
#include "core/cache/recording_descriptor.h"
#include "core/checked_math.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// Fixed overhead of a running job besides its buffers (FFT plans, tree
// kernels, bookkeeping).
constexpr int64_t kJobOverheadBytes = int64_t{4} << 20;

absl::Status CheckPipelineSize(const PipelineSpec& pipeline) {
  if (static_cast<int64_t>(pipeline.chain.steps.size()) > kMaxPreprocessSteps) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess: ", pipeline.chain.steps.size(),
                                                   " steps, more than ", kMaxPreprocessSteps));
  }
  return absl::OkStatus();
}

int64_t EstimateBytes(const RecordingInput& input, const FeatureTree& tree,
                      const PreprocessChain* chain, const WindowSpec* window, int64_t chunk_frames,
                      int64_t block, int parallel_windows) {
  const int64_t channels = input.channels();
  const int64_t n_times = tree.n_times();
  const int64_t window_bytes =
      SaturatingMul(SaturatingMul(channels, n_times), static_cast<int64_t>(sizeof(float)));
  // A block of windows; from an epochs file, also the file's bytes of the
  // block, held while they are decoded.
  int64_t bytes = SaturatingAdd(input.held_bytes, kJobOverheadBytes);
  bytes = SaturatingAdd(bytes, SaturatingMul(block, window_bytes));
  if (input.epochs_file.has_value()) {
    bytes = SaturatingAdd(
        bytes, SaturatingMul(SaturatingMul(block, SaturatingMul(channels, n_times)),
                             static_cast<int64_t>(SampleTypeSize(input.epochs_file->type))));
  }
  // A block's rows (float64 values) eight times: the table computed and the
  // next block's, the messages of each, gRPC's serialized copies of the
  // message being written and of the one before it (the transport may
  // hold it until the client's flow-control window takes it), and the two
  // written messages the stream keeps for reuse. The tree's values for the
  // windows evaluated at once.
  bytes = SaturatingAdd(
      bytes, SaturatingMul(SaturatingMul(block, static_cast<int64_t>(tree.columns().size())),
                           8 * static_cast<int64_t>(sizeof(double))));
  bytes =
      SaturatingAdd(bytes, SaturatingMul(std::max(1, parallel_windows), tree.bytes_per_window()));
  if (chain != nullptr && window != nullptr) {
    // The chain's blocks on one chunk (PeakBytes), and the rolling buffer
    // of filtered frames: a chunk, plus the span of one block of windows.
    bytes = SaturatingAdd(bytes, chain->PeakBytes(chunk_frames));
    const int64_t span =
        SaturatingAdd(SaturatingMul(block - 1, window->stride == 0 ? window->size : window->stride),
                      window->size);
    bytes = SaturatingAdd(
        bytes, SaturatingMul(SaturatingAdd(chunk_frames, span), SaturatingMul(channels, 4)));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<int64_t> ChunkFramesFor(int64_t requested, double fs, int64_t frames) {
  if (requested < 0) {
    return absl::InvalidArgumentError(absl::StrCat("chunk_frames: must be >= 0, got ", requested));
  }
  if (requested == 0) {
    NF_ASSIGN_OR_RETURN(requested, DoubleToCount(fs, "chunk_frames (default: 1 s of frames)"));
  }
  return std::clamp<int64_t>(requested, 1, std::max<int64_t>(1, frames));
}

namespace {

// The window of a continuous request: the pipeline's, or, with explicit
// starts, one of spec.window_frames (else the pipeline's size).
absl::StatusOr<WindowSpec> WindowOf(const ExtractionSpec& spec) {
  std::optional<WindowSpec> window = spec.pipeline.window;
  if (!spec.window_starts.empty()) {
    if (spec.window_frames < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("window_frames: must be >= 0, got ", spec.window_frames));
    }
    if (spec.window_frames > 0) window = WindowSpec{spec.window_frames, spec.window_frames, true};
    if (!window.has_value()) {
      return absl::InvalidArgumentError(
          "window_frames: windows at window_starts need a length (window_frames, or the "
          "pipeline's window.size_samples)");
    }
    window->stride = window->size;
    return *window;
  }
  if (!window.has_value()) {
    return absl::InvalidArgumentError(
        "window: continuous (frames, channels) data need a window (size_samples); or send "
        "(windows, channels, times) epochs");
  }
  if (window->stride == 0) window->stride = window->size;
  return *window;
}

}  // namespace

ChainSpec ChainWithScale(const ChainSpec& chain, const RecordingInput& input) {
  ChainSpec out = chain;
  if (input.scale.has_value()) {
    out.steps.insert(out.steps.begin(), PreprocessStepSpec{"recording.scale_to_uv", *input.scale});
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ExtractionJob>> ExtractionJob::Create(
    ExtractionSpec spec, const ExtractionOptions& options) {
  NF_RETURN_IF_ERROR(CheckPipelineSize(spec.pipeline));
  const CachePolicy spec_cache_policy = spec.cache_policy;
  RecordingInput& input = spec.input;
  std::unique_ptr<PreprocessChain> chain;
  std::optional<WindowSpec> window;
  int64_t n_times = 0, chunk = 0;
  std::optional<WindowGrid> explicit_starts;
  if (input.has_epochs()) {
    if (!spec.pipeline.chain.steps.empty() || spec.pipeline.window.has_value() ||
        input.scale.has_value() || !spec.window_starts.empty()) {
      return absl::InvalidArgumentError(
          "recording: holds pre-cut epochs; preprocess, window, window_starts and scale_to_uv "
          "apply to "
          "continuous (frames, channels) data only");
    }
    n_times = input.epoch_times();
  } else {
    if (input.source == nullptr) return absl::InvalidArgumentError("recording: no samples");
    NF_ASSIGN_OR_RETURN(window, WindowOf(spec));
    NF_ASSIGN_OR_RETURN(chain, PreprocessChain::Build(ChainWithScale(spec.pipeline.chain, input),
                                                      input.source, SampleType::kFloat32));
    n_times = window->size;
    const int64_t frames = input.source->num_frames();
    if (!spec.window_starts.empty()) {
      NF_ASSIGN_OR_RETURN(WindowGrid grid, ExplicitWindowStarts(spec.window_starts, n_times, frames,
                                                                "window_starts"));
      explicit_starts = std::move(grid);
    } else if (n_times > frames) {
      return absl::InvalidArgumentError(absl::StrCat("window.size_samples: ", n_times,
                                                     " samples is longer than the recording (",
                                                     frames, " samples)"));
    }
    NF_ASSIGN_OR_RETURN(chunk, ChunkFramesFor(spec.chunk_frames, input.signal.fs, frames));
  }
  NF_ASSIGN_OR_RETURN(FeatureTree tree,
                      FeatureTree::Build(spec.pipeline.features, input.signal, n_times));
  auto job = std::unique_ptr<ExtractionJob>(new ExtractionJob(std::move(input), std::move(tree)));
  job->chain_ = std::move(chain);
  job->chunk_frames_ = chunk;
  job->chain_canonical_ = job->chain_ != nullptr ? job->chain_->canonical() : "epochs";
  const RecordingInput& in = job->input_;
  // Blocks (the unit of caching): their size depends only on the window.
  const int64_t block = BlockWindows(in.channels(), n_times);
  if (in.epochs != nullptr) {
    job->extractor_ = std::make_unique<StreamingExtractor>(job->tree_, *in.epochs, block);
  } else if (in.epochs_file.has_value()) {
    job->extractor_ = std::make_unique<StreamingExtractor>(job->tree_, *in.epochs_file, block);
  } else if (explicit_starts.has_value()) {
    job->extractor_ = std::make_unique<StreamingExtractor>(job->tree_, job->chain_->output(),
                                                           *window, *explicit_starts, chunk, block);
  } else {
    job->extractor_ = std::make_unique<StreamingExtractor>(job->tree_, job->chain_->output(),
                                                           *window, chunk, block);
  }
  NF_RETURN_IF_ERROR(job->extractor_->Validate());
  job->working_set_bytes_ =
      EstimateBytes(in, job->tree_, job->chain_.get(), window.has_value() ? &*window : nullptr,
                    chunk, block, options.parallel_windows);
  if (options.store != nullptr && options.keys != nullptr &&
      spec_cache_policy != CachePolicy::kBypass) {
    std::string content;
    if (in.content_bytes != nullptr) {
      content = options.keys->ForBytes(*in.content_bytes);
    } else {
      NF_ASSIGN_OR_RETURN(content, options.keys->ForFile(in.content_file));
      for (const std::string& more : in.more_content_files) {
        NF_ASSIGN_OR_RETURN(const std::string digest, options.keys->ForFile(more));
        absl::StrAppend(&content, "+", digest);
      }
    }
    std::string starts_digest;
    if (explicit_starts.has_value()) {
      const std::vector<int64_t>& starts = *explicit_starts->explicit_starts();
      starts_digest = Sha256Hex(starts.data(), starts.size() * sizeof(int64_t));
    }
    job->cache_descriptor_ =
        window.has_value()
            ? ContinuousRecordingDescriptor(
                  content, in.source_descriptor, job->chain_canonical_, chunk,
                  {window->size, window->stride, window->drop_last, std::move(starts_digest)})
            : EpochsRecordingDescriptor(content, in.source_descriptor);
    CacheContext cache;
    cache.cache = options.store;
    cache.refresh = spec_cache_policy == CachePolicy::kRefresh;
    cache.recording_descriptor = job->cache_descriptor_;
    job->extractor_->set_cache(std::move(cache));
  }
  return job;
}

void ExtractionJob::set_cancelled(std::function<bool()> cancelled) {
  extractor_->set_cancelled(std::move(cancelled));
}

absl::StatusOr<std::optional<FeatureTable>> ExtractionJob::NextBlock() {
  return extractor_->NextBlock();
}

}  // namespace neurofeat
