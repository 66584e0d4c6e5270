#include "core/preprocess/in_memory_source.h"

#include <string>

namespace neurofeat {

absl::StatusOr<Traces> InMemorySource::GetTraces(int64_t start, int64_t end) const {
  absl::Status range = CheckFrameRange(start, end, num_frames());
  if (!range.ok()) return range;
  return CopyFrames(traces_, start, end);
}

std::vector<std::string> DefaultChannelIds(int64_t channels) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) ids.push_back(std::to_string(i));
  return ids;
}

}  // namespace neurofeat
