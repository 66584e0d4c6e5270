// File: synthetic_recording.h
//
// SyntheticRecording: a deterministic extracellular-like recording made on
// the fly (no file): white noise, a slow field potential, a 50 Hz mains
// component common to all channels, and biphasic spikes spread over
// neighbouring channels. Every sample is a pure function of (seed, frame,
// channel), so any range can be produced in any order or chunking, in
// parallel, with identical results. Used by the demo job, tests and
// benchmarks so they need no data files.
//
// Example:
//   SyntheticOptions opt{.channels = 384, .frames = 300000};
//   SyntheticRecording rec(opt);
//   NF_ASSIGN_OR_RETURN(Traces t, rec.GetTraces(0, 30000));
#ifndef NEUROFEAT_CORE_IO_SYNTHETIC_RECORDING_H_
#define NEUROFEAT_CORE_IO_SYNTHETIC_RECORDING_H_

#include <cstdint>
#include <vector>

#include "core/source/trace_source.h"

namespace neurofeat {

struct SyntheticOptions {
  // Number of channels, >= 1. Default: 384 (a Neuropixels 1.0 probe).
  int64_t channels = 384;
  // Length in frames, >= 1. Default: 300000 (10 s at 30 kHz).
  int64_t frames = 300000;
  // Sampling rate in Hz. Default: 30000.
  double sampling_rate_hz = 30000.0;
  // int16 (counts) or float32 (uV). Default: int16, as probes record.
  SampleType type = SampleType::kInt16;
  // Seed of every random component. Default: 1.
  uint64_t seed = 1;
  // Mean spike rate over the whole probe, in Hz. Default: 200.
  double spike_rate_hz = 200.0;
};

class SyntheticRecording final : public TraceSource {
 public:
  explicit SyntheticRecording(const SyntheticOptions& options);
  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return options_.frames; }
  SampleType sample_type() const override { return options_.type; }
  // GetTraces() fills rows in parallel in the current arena.
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  struct Spike {
    int64_t frame;
    int64_t channel;
    double amplitude;
  };
  SyntheticOptions options_;
  RecordingInfo info_;
  std::vector<Spike> spikes_;  // sorted by frame
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_SYNTHETIC_RECORDING_H_
