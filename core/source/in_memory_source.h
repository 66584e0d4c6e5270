// File: in_memory_source.h
//
// InMemorySource: a TraceSource over traces already in memory (tests, small
// uploads, the embedded engine on a loaded array).
//
// Example:
//   InMemorySource src(std::move(traces), info);
//   NF_ASSIGN_OR_RETURN(Traces t, src.GetTraces(0, 100));
#ifndef NEUROFEAT_CORE_SOURCE_IN_MEMORY_SOURCE_H_
#define NEUROFEAT_CORE_SOURCE_IN_MEMORY_SOURCE_H_

#include "core/source/trace_source.h"

namespace neurofeat {

class InMemorySource final : public TraceSource {
 public:
  // REQUIRES: info.channel_ids.size() == traces.channels().
  InMemorySource(Traces traces, RecordingInfo info)
      : traces_(std::move(traces)), info_(std::move(info)) {}

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return traces_.frames(); }
  SampleType sample_type() const override { return traces_.type(); }
  // GetTraces() returns a view of the held rows (no copy), valid while this
  // source lives; callers only read it.
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  Traces traces_;
  RecordingInfo info_;
};

// DefaultChannelIds() returns "0", "1", ..., as SpikeInterface numbers the
// channels of a NumpyRecording.
std::vector<std::string> DefaultChannelIds(int64_t channels);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_SOURCE_IN_MEMORY_SOURCE_H_
