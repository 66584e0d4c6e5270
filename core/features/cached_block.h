// File: cached_block.h
//
// ExtractBlockCached(): one block of windows through a feature tree with the
// result cache. Every leaf's values for the block are looked up first; if
// all are there, nothing is read or computed (no filter, no FFT, no
// feature). Otherwise the windows are loaded, only the missing leaves and
// the preprocessors above them run, and spectra found in the cache replace
// their Welch / cross-spectrum preprocessors (changing a band reuses the
// spectra). What was computed is stored.
//
// Descriptors: the engine's numeric version, the tree's recording info
// (rate, channels, applied band, window length), the caller's recording
// descriptor (content digest, chain, chunking, windowing), the block, and
// the node's functions and canonical parameters from the root.
#ifndef NEUROFEAT_CORE_FEATURES_CACHED_BLOCK_H_
#define NEUROFEAT_CORE_FEATURES_CACHED_BLOCK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/extract.h"
#include "core/result_store.h"

namespace neurofeat {

struct CacheContext {
  ResultStore* cache = nullptr;  // null: no caching
  // What the windows depend on besides the tree: recording content and
  // how the windows were made.
  std::string recording_descriptor;
  // Recompute and overwrite instead of reading.
  bool refresh = false;
  // Polled between windows (see ExtractOptions::cancelled).
  std::function<bool()> cancelled;
};

absl::StatusOr<FeatureTable> ExtractBlockCached(
    const FeatureTree& tree, int64_t first_window, const std::vector<int64_t>& start_samples,
    const std::function<absl::StatusOr<Windows>()>& load, const CacheContext& cache);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_CACHED_BLOCK_H_
