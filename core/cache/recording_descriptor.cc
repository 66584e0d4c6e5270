#include "core/cache/recording_descriptor.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

std::string ContinuousRecordingDescriptor(const std::string& content_digest,
                                          const std::string& source_descriptor,
                                          const std::string& chain_canonical, int64_t chunk_frames,
                                          const WindowGeometry& window) {
  return absl::StrCat("content=", content_digest, "|", source_descriptor,
                      "|chain=", chain_canonical, "|chunk=", chunk_frames, "|window=", window.size,
                      "/", window.stride, "/", window.drop_last,
                      window.starts_digest.empty() ? "" : "|starts=", window.starts_digest);
}

std::string EpochsRecordingDescriptor(const std::string& content_digest,
                                      const std::string& source_descriptor) {
  return absl::StrCat("content=", content_digest, "|", source_descriptor, "|epochs");
}

}  // namespace neurofeat
