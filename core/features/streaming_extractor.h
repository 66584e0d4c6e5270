// File: streaming_extractor.h
//
// StreamingExtractor: the feature table of a continuous recording, block by
// block, in bounded memory. The source (usually a preprocess chain) is read
// on SpikeInterface's chunk grid, so the windows see exactly the samples
// `neurofeat preprocess` with the same chunk length writes; windows are cut
// from a rolling buffer and extracted as soon as they are complete. The same
// class serves pre-cut epochs, block by block.
//
// NextBlock() runs parallel loops: call it inside the compute arena.
//
// Example:
//   StreamingExtractor ex(tree, chain->output(), window, 30000, 256);
//   while (true) {
//     NF_ASSIGN_OR_RETURN(std::optional<FeatureTable> block, ex.NextBlock());
//     if (!block) break;
//     ...
//   }
#ifndef NEUROFEAT_CORE_FEATURES_STREAMING_EXTRACTOR_H_
#define NEUROFEAT_CORE_FEATURES_STREAMING_EXTRACTOR_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/cached_block.h"
#include "core/features/extract.h"
#include "core/preprocess/chunked_runner.h"
#include "core/source/trace_source.h"

namespace neurofeat {

// Windows per block for a window geometry: about 4 MiB of samples, 1 to 256
// windows. Blocks are the unit of caching, so the size depends only on the
// windows (the same request always makes the same blocks).
inline int64_t BlockWindows(int64_t channels, int64_t n_times) {
  const int64_t per_window = std::max<int64_t>(1, channels * n_times * 4);
  return std::clamp<int64_t>((int64_t{4} << 20) / per_window, 1, 256);
}

class StreamingExtractor {
 public:
  // Continuous traces. REQUIRES: `tree`, `source` outlive this object.
  StreamingExtractor(const FeatureTree& tree, const TraceSource& source, const WindowSpec& window,
                     int64_t chunk_frames, int64_t windows_per_block);
  // Continuous traces, windows of window.size frames at explicit starts
  // (ascending; checked by ExplicitWindowStarts). Windows far apart are
  // read one at a time: the chunks between them are never read.
  StreamingExtractor(const FeatureTree& tree, const TraceSource& source, const WindowSpec& window,
                     WindowGrid starts, int64_t chunk_frames, int64_t windows_per_block);
  // Pre-cut epochs in memory.
  StreamingExtractor(const FeatureTree& tree, const Windows& epochs, int64_t windows_per_block);
  // Pre-cut epochs in a file, read a block at a time (and not at all for
  // blocks the cache answers).
  StreamingExtractor(const FeatureTree& tree, EpochsFile epochs, int64_t windows_per_block);

  // Blocks go through the result cache (see cached_block.h).
  void set_cache(CacheContext cache) {
    auto cancelled = std::move(cache_.cancelled);
    cache_ = std::move(cache);
    if (!cache_.cancelled) cache_.cancelled = std::move(cancelled);
  }
  // Stops a block between windows once `cancelled` returns true.
  void set_cancelled(std::function<bool()> cancelled) { cache_.cancelled = std::move(cancelled); }

  // Checks that the recording holds at least one window.
  absl::Status Validate() const;
  int64_t total_windows() const { return starts_.size(); }
  // The next block of rows (window_index continues across blocks), or
  // nullopt when every window is done.
  absl::StatusOr<std::optional<FeatureTable>> NextBlock();
  // Work done so far, over all blocks.
  const EvalStats& stats() const { return stats_; }

 private:
  // Makes the buffer hold frames [from, until) (and drops what is before).
  absl::Status FillRange(int64_t from, int64_t until);
  absl::StatusOr<Windows> LoadBlock(int64_t first, int64_t last);
  // Copies window `k` from the buffer into `dst` (channels x size).
  void CopyWindow(int64_t k, float* dst) const;

  const FeatureTree& tree_;
  const TraceSource* source_ = nullptr;
  const Windows* epochs_ = nullptr;
  std::optional<EpochsFile> epochs_file_;
  WindowSpec window_;
  int64_t windows_per_block_;
  WindowGrid starts_;
  absl::Status starts_status_;
  std::optional<ChunkGrid> grid_;
  int64_t next_chunk_ = 0;
  int64_t next_window_ = 0;
  // Filtered frames [buffer_start_, buffer_start_ + buffer_frames_), float32,
  // time-major.
  std::vector<float> buffer_;
  int64_t buffer_start_ = 0;
  int64_t buffer_frames_ = 0;
  EvalStats stats_;
  CacheContext cache_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_STREAMING_EXTRACTOR_H_
