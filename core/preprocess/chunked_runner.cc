#include "core/preprocess/chunked_runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat {

std::vector<std::pair<int64_t, int64_t>> ChunkGrid(int64_t start, int64_t end, int64_t chunk) {
  std::vector<std::pair<int64_t, int64_t>> grid;
  for (int64_t s = start; s < end; s += chunk) grid.emplace_back(s, std::min(end, s + chunk));
  return grid;
}

absl::Status RunChunked(const TraceSource& source, const ChunkOptions& options, int64_t start,
                        int64_t end,
                        const std::function<absl::Status(int64_t, const Traces&)>& sink) {
  if (options.chunk_frames < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk size of ", options.chunk_frames, " frames must be at least 1"));
  }
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, source.num_frames()));
  for (const auto& [s, e] : ChunkGrid(start, end, options.chunk_frames)) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(absl::StrCat("cancelled at frame ", s));
    }
    NF_ASSIGN_OR_RETURN(Traces chunk, source.GetTraces(s, e));
    NF_RETURN_IF_ERROR(sink(s, chunk));
    if (options.progress) options.progress(e - start, end - start);
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
