#include "core/source/in_memory_source.h"

#include <string>

namespace neurofeat {

absl::StatusOr<Traces> InMemorySource::GetTraces(int64_t start, int64_t end) const {
  absl::Status range = CheckFrameRange(start, end, num_frames());
  if (!range.ok()) return range;
  // Steps only read their input, so a view of the rows is enough.
  const size_t row_bytes = static_cast<size_t>(traces_.channels()) * SampleTypeSize(traces_.type());
  return Traces::View(traces_.type(), end - start, traces_.channels(),
                      traces_.bytes() + start * row_bytes);
}

std::vector<std::string> DefaultChannelIds(int64_t channels) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) ids.push_back(std::to_string(i));
  return ids;
}

}  // namespace neurofeat
