// File: recording_descriptor.h
//
// What cached results of a recording depend on besides the feature tree:
// the samples' content digest, how the source was read, and how windows
// were made from it (the chain, its chunking and the window grid, or
// pre-cut epochs). The descriptor is part of every cache key (see
// result_cache.h); it is built here, in the cache layer, and only here, so
// every caller keys the same request the same way.
//
// Example:
//   std::string d = ContinuousRecordingDescriptor(digest, "npy ...", chain, 30000,
//                                                 {512, 256, true});
#ifndef NEUROFEAT_CORE_CACHE_RECORDING_DESCRIPTOR_H_
#define NEUROFEAT_CORE_CACHE_RECORDING_DESCRIPTOR_H_

#include <cstdint>
#include <string>

namespace neurofeat {

struct WindowGeometry {
  int64_t size = 0;
  int64_t stride = 0;
  bool drop_last = true;
  // Windows at explicit starts (cut around events): the SHA-256 of the
  // starts; "" for the regular grid.
  std::string starts_digest;
};

// Windows cut from continuous traces after a chain run on a chunk grid.
std::string ContinuousRecordingDescriptor(const std::string& content_digest,
                                          const std::string& source_descriptor,
                                          const std::string& chain_canonical, int64_t chunk_frames,
                                          const WindowGeometry& window);

// Pre-cut epochs, used as they are.
std::string EpochsRecordingDescriptor(const std::string& content_digest,
                                      const std::string& source_descriptor);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_RECORDING_DESCRIPTOR_H_
