#include "core/features/streaming_extractor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/preprocess/chunked_runner.h"
#include "core/status_macros.h"

namespace neurofeat {

StreamingExtractor::StreamingExtractor(const FeatureTree& tree, const TraceSource& source,
                                       const WindowSpec& window, int64_t chunk_frames,
                                       int64_t windows_per_block)
    : tree_(tree),
      source_(&source),
      window_(window),
      windows_per_block_(std::max<int64_t>(1, windows_per_block)) {
  if (window_.stride == 0) window_.stride = window_.size;
  const int64_t n = source.num_frames();
  if (window_.size >= 1 && window_.stride >= 1) {
    for (int64_t s = 0; s + window_.size <= n; s += window_.stride) starts_.push_back(s);
    if (!window_.drop_last && !starts_.empty() && starts_.back() + window_.size < n) {
      starts_.push_back(n - window_.size);
    }
  }
  grid_ = ChunkGrid(0, n, std::max<int64_t>(1, chunk_frames));
}

StreamingExtractor::StreamingExtractor(const FeatureTree& tree, const Windows& epochs,
                                       int64_t windows_per_block)
    : tree_(tree), epochs_(&epochs), windows_per_block_(std::max<int64_t>(1, windows_per_block)) {
  starts_ = epochs.start_sample;
}

absl::Status StreamingExtractor::Validate() const {
  if (epochs_ != nullptr) return absl::OkStatus();
  if (window_.size < 1 || window_.stride < 1) {
    return absl::InvalidArgumentError(absl::StrCat("window: size_samples ", window_.size,
                                                   " and stride_samples ", window_.stride,
                                                   " must be >= 1"));
  }
  if (starts_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("window.size_samples: ", window_.size,
                                                   " samples is longer than the recording (",
                                                   source_->num_frames(), " samples)"));
  }
  return absl::OkStatus();
}

absl::Status StreamingExtractor::FillBuffer(int64_t until_frame) {
  while (buffer_start_ + buffer_frames_ < until_frame && next_chunk_ < grid_.size()) {
    const auto [s, e] = grid_[next_chunk_++];
    NF_ASSIGN_OR_RETURN(Traces t, source_->GetTraces(s, e));
    if (t.type() == SampleType::kFloat32) {
      buffer_.insert(buffer_.end(), t.data<float>(), t.data<float>() + t.size());
    } else {
      const Traces f = ConvertTraces(t, SampleType::kFloat32);
      buffer_.insert(buffer_.end(), f.data<float>(), f.data<float>() + f.size());
    }
    buffer_frames_ += e - s;
  }
  if (buffer_start_ + buffer_frames_ < until_frame) {
    return absl::InternalError("the recording ended before its last window");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<FeatureTable>> StreamingExtractor::NextBlock() {
  const int64_t total = total_windows();
  if (next_window_ >= total) return std::optional<FeatureTable>();
  const int64_t first = next_window_;
  const int64_t last = std::min(total, first + windows_per_block_);
  Windows block;
  if (epochs_ != nullptr) {
    const int64_t per = epochs_->channels * epochs_->n_times;
    block.n_windows = last - first;
    block.channels = epochs_->channels;
    block.n_times = epochs_->n_times;
    block.data.assign(epochs_->data.begin() + first * per, epochs_->data.begin() + last * per);
    block.start_sample.assign(starts_.begin() + first, starts_.begin() + last);
  } else {
    NF_RETURN_IF_ERROR(FillBuffer(starts_[last - 1] + window_.size));
    const int64_t channels = source_->num_channels();
    block.n_windows = last - first;
    block.channels = channels;
    block.n_times = window_.size;
    block.start_sample.assign(starts_.begin() + first, starts_.begin() + last);
    block.data.resize(block.n_windows * channels * window_.size);
    for (int64_t w = 0; w < block.n_windows; ++w) {
      const float* src = buffer_.data() + (starts_[first + w] - buffer_start_) * channels;
      float* dst = block.data.data() + w * channels * window_.size;
      for (int64_t t = 0; t < window_.size; ++t) {
        for (int64_t c = 0; c < channels; ++c) dst[c * window_.size + t] = src[t * channels + c];
      }
    }
    // Frames before the next window are no longer needed.
    const int64_t keep_from = last < total ? starts_[last] : buffer_start_ + buffer_frames_;
    const int64_t drop = std::min(keep_from - buffer_start_, buffer_frames_);
    buffer_.erase(buffer_.begin(), buffer_.begin() + drop * channels);
    buffer_start_ += drop;
    buffer_frames_ -= drop;
  }
  NF_ASSIGN_OR_RETURN(FeatureTable table, ExtractFeatures(tree_, block));
  for (int64_t i = 0; i < table.rows; ++i) table.window_index[i] = first + i;
  stats_.preprocessor_runs += table.stats.preprocessor_runs;
  stats_.leaf_runs += table.stats.leaf_runs;
  next_window_ = last;
  return std::optional<FeatureTable>(std::move(table));
}

}  // namespace neurofeat
