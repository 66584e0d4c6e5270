// File: chunked_runner.h
//
// RunChunked(): processes frames [start, end) of a source in consecutive
// chunks on SpikeInterface's grid ([start + i*chunk, start + (i+1)*chunk) and
// a shorter tail), handing each chunk to a sink in order. Memory is bounded by
// the chunk size (plus margins), not by the recording length. Because each
// chunk is filtered with its own clipped margins, the concatenated output
// equals SpikeInterface's `recording.save(chunk_duration=...)`.
//
// Example:
//   NF_RETURN_IF_ERROR(RunChunked(chain->output(), {.chunk_frames = 30000},
//       0, n, [&](int64_t first, const Traces& t) { return writer.Append(t); }));
#ifndef NEUROFEAT_CORE_PREPROCESS_CHUNKED_RUNNER_H_
#define NEUROFEAT_CORE_PREPROCESS_CHUNKED_RUNNER_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "core/grid_iterator.h"
#include "core/source/trace_source.h"

namespace neurofeat {

struct ChunkOptions {
  // Frames per chunk, >= 1. Default: 30000 (1 s at 30 kHz); callers usually
  // derive it from a duration and the sampling rate.
  int64_t chunk_frames = 30000;
  // Called after each chunk with (frames done, frames total); may be empty.
  std::function<void(int64_t, int64_t)> progress;
  // Polled before each chunk; a true value stops the run with Cancelled.
  std::function<bool()> cancelled;
};

// ChunkGrid: the [begin, end) chunks of frames [start, end), computed on
// demand, so a one-frame chunk over a long recording costs no memory.
//
// Example:
//   for (const auto& [s, e] : ChunkGrid(0, n, 30000)) { ... }
class ChunkGrid {
 public:
  using value_type = std::pair<int64_t, int64_t>;
  using const_iterator = GridIterator<ChunkGrid>;
  using iterator = const_iterator;

  // REQUIRES: start <= end, chunk >= 1.
  ChunkGrid(int64_t start, int64_t end, int64_t chunk);
  int64_t size() const { return count_; }
  value_type operator[](int64_t i) const;
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  int64_t start_, end_, chunk_, count_;
};

// RunChunked() stops at the first error of the source or the sink and
// returns it. Errors: InvalidArgument if chunk_frames < 1; OutOfRange for a
// bad range; Cancelled when `cancelled` says so.
absl::Status RunChunked(
    const TraceSource& source, const ChunkOptions& options, int64_t start, int64_t end,
    const std::function<absl::Status(int64_t first_frame, const Traces&)>& sink);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_CHUNKED_RUNNER_H_
