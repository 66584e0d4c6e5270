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
  absl::StatusOr<WindowGrid> starts = WindowStarts(source.num_frames(), window_);
  if (starts.ok()) {
    starts_ = *starts;
  } else {
    starts_status_ = starts.status();
  }
  grid_.emplace(0, source.num_frames(), std::max<int64_t>(1, chunk_frames));
}

StreamingExtractor::StreamingExtractor(const FeatureTree& tree, const TraceSource& source,
                                       const WindowSpec& window, WindowGrid starts,
                                       int64_t chunk_frames, int64_t windows_per_block)
    : tree_(tree),
      source_(&source),
      window_(window),
      windows_per_block_(std::max<int64_t>(1, windows_per_block)),
      starts_(std::move(starts)) {
  grid_.emplace(0, source.num_frames(), std::max<int64_t>(1, chunk_frames));
}

StreamingExtractor::StreamingExtractor(const FeatureTree& tree, const Windows& epochs,
                                       int64_t windows_per_block)
    : tree_(tree), epochs_(&epochs), windows_per_block_(std::max<int64_t>(1, windows_per_block)) {
  starts_ = WindowGrid::Epochs(epochs.n_windows, epochs.n_times);
}

StreamingExtractor::StreamingExtractor(const FeatureTree& tree, EpochsFile epochs,
                                       int64_t windows_per_block)
    : tree_(tree), windows_per_block_(std::max<int64_t>(1, windows_per_block)) {
  starts_ = WindowGrid::Epochs(epochs.n_windows, epochs.n_times);
  epochs_file_ = std::move(epochs);
}

absl::Status StreamingExtractor::Validate() const { return starts_status_; }

absl::Status StreamingExtractor::FillRange(int64_t from, int64_t until) {
  const int64_t channels = source_->num_channels();
  if (buffer_frames_ > 0 && buffer_start_ + buffer_frames_ <= from) {
    buffer_.clear();
    buffer_frames_ = 0;
  }
  if (buffer_frames_ == 0) {
    // Nothing useful held: start at the grid chunk holding `from` (blocks
    // served by the cache were never read).
    const ChunkGrid& grid = *grid_;
    while (next_chunk_ < grid.size() && grid[next_chunk_].second <= from) ++next_chunk_;
    buffer_start_ = next_chunk_ < grid.size() ? grid[next_chunk_].first : from;
  } else if (buffer_start_ < from) {
    const int64_t drop = from - buffer_start_;
    buffer_.erase(buffer_.begin(), buffer_.begin() + drop * channels);
    buffer_start_ = from;
    buffer_frames_ -= drop;
  }
  while (buffer_start_ + buffer_frames_ < until && next_chunk_ < grid_->size()) {
    const auto [s, e] = (*grid_)[next_chunk_++];
    NF_ASSIGN_OR_RETURN(Traces t, source_->GetTraces(s, e));
    ++stats_.chunks_read;
    // The chunk may start before `from` when it was entered mid-way.
    const int64_t skip = std::max<int64_t>(0, buffer_start_ + buffer_frames_ - s);
    const Traces f =
        t.type() == SampleType::kFloat32 ? std::move(t) : ConvertTraces(t, SampleType::kFloat32);
    buffer_.insert(buffer_.end(), f.data<float>() + skip * channels, f.data<float>() + f.size());
    buffer_frames_ += (e - s) - skip;
  }
  if (buffer_start_ + buffer_frames_ < until) {
    return absl::InternalError("the recording ended before its last window");
  }
  return absl::OkStatus();
}

absl::StatusOr<Windows> StreamingExtractor::LoadBlock(int64_t first, int64_t last) {
  Windows block;
  block.n_windows = last - first;
  for (int64_t k = first; k < last; ++k) block.start_sample.push_back(starts_[k]);
  if (epochs_file_.has_value()) return ReadEpochs(*epochs_file_, first, last - first);
  if (epochs_ != nullptr) {
    const int64_t per = epochs_->channels * epochs_->n_times;
    block.channels = epochs_->channels;
    block.n_times = epochs_->n_times;
    block.data.assign(epochs_->data.begin() + first * per, epochs_->data.begin() + last * per);
    return block;
  }
  const int64_t channels = source_->num_channels();
  block.channels = channels;
  block.n_times = window_.size;
  block.data.resize(block.n_windows * channels * window_.size);
  if (starts_.explicit_starts() == nullptr) {
    NF_RETURN_IF_ERROR(FillRange(starts_[first], starts_[last - 1] + window_.size));
    for (int64_t w = 0; w < block.n_windows; ++w) {
      CopyWindow(first + w, block.data.data() + w * channels * window_.size);
    }
    return block;
  }
  // Event windows may lie far apart: the buffer never spans a gap.
  for (int64_t w = 0; w < block.n_windows; ++w) {
    NF_RETURN_IF_ERROR(FillRange(starts_[first + w], starts_[first + w] + window_.size));
    CopyWindow(first + w, block.data.data() + w * channels * window_.size);
  }
  return block;
}

void StreamingExtractor::CopyWindow(int64_t k, float* dst) const {
  const int64_t channels = source_->num_channels();
  const float* src = buffer_.data() + (starts_[k] - buffer_start_) * channels;
  for (int64_t t = 0; t < window_.size; ++t) {
    for (int64_t c = 0; c < channels; ++c) dst[c * window_.size + t] = src[t * channels + c];
  }
}

absl::StatusOr<std::optional<FeatureTable>> StreamingExtractor::NextBlock() {
  const int64_t total = total_windows();
  if (next_window_ >= total) return std::optional<FeatureTable>();
  const int64_t first = next_window_;
  const int64_t last = std::min(total, first + windows_per_block_);
  std::vector<int64_t> starts;
  for (int64_t k = first; k < last; ++k) starts.push_back(starts_[k]);
  const int64_t chunks_before = stats_.chunks_read;
  NF_ASSIGN_OR_RETURN(FeatureTable table,
                      ExtractBlockCached(
                          tree_, first, starts, [&] { return LoadBlock(first, last); }, cache_));
  stats_.Add(table.stats);
  table.stats.chunks_read = stats_.chunks_read - chunks_before;
  next_window_ = last;
  return std::optional<FeatureTable>(std::move(table));
}

}  // namespace neurofeat
