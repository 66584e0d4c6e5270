// File: cache_key.h
//
// The keys every cached value is stored under, built here and only here
// (the result cache compares the whole key on a hit, so a key is its own
// descriptor): a block of windows is keyed by the engine's numeric version,
// what the feature tree sees of the recording (rate, channel names, the
// band already applied, the window length), the recording descriptor
// (recording_descriptor.h: content digest, how it was read, chain, chunks,
// windows) and the block's windows; a value in it by the node's canonical
// descriptor (its function, its canonical parameters with defaults filled
// in, and its ancestors').
//
// Example:
//   const std::string block = BlockKey(signal, recording_descriptor, 256, 128);
//   store.Get(CacheLevel::kFeatures, FeatureKey(block, leaf.descriptor));
#ifndef NEUROFEAT_CORE_CACHE_CACHE_KEY_H_
#define NEUROFEAT_CORE_CACHE_CACHE_KEY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace neurofeat {

// What the tree sees of a recording: the part of a key that is not the
// recording's content or the node.
struct KeySignal {
  double fs = 0;
  const std::vector<std::string>* channels = nullptr;
  std::optional<double> highpass;
  std::optional<double> lowpass;
  int64_t n_times = 0;
};

// BlockKey(): the windows [first_window, first_window + windows) of a
// recording.
std::string BlockKey(const KeySignal& signal, const std::string& recording_descriptor,
                     int64_t first_window, int64_t windows);

// FeatureKey(): one feature node's values over a block; SpectraKey(): one
// preprocessor node's values (Welch and cross spectra) over a block.
std::string FeatureKey(const std::string& block_key, const std::string& node_descriptor);
std::string SpectraKey(const std::string& block_key, const std::string& node_descriptor);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_CACHE_KEY_H_
