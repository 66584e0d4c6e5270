#include "core/preprocess/chunked_runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat {

ChunkGrid::ChunkGrid(int64_t start, int64_t end, int64_t chunk)
    : start_(start), end_(end), chunk_(std::max<int64_t>(1, chunk)) {
  const int64_t n = std::max<int64_t>(0, end - start);
  count_ = n / chunk_ + (n % chunk_ != 0 ? 1 : 0);
}

ChunkGrid::value_type ChunkGrid::operator[](int64_t i) const {
  const int64_t s = start_ + i * chunk_;  // i < count_: no overflow
  return {s, s + std::min(chunk_, end_ - s)};
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
