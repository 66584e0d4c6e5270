// File: trace_source.h
//
// TraceSource: anything that yields traces of a recording for a frame range:
// a file reader, or a preprocessing step wrapping its parent (the
// SpikeInterface pattern: a step pulls [start - margin, end + margin) from its
// parent, transforms, crops). Sources are immutable after construction and
// safe to call from several threads at once.
//
// Example:
//   NF_ASSIGN_OR_RETURN(Traces t, source.GetTraces(30000, 60000));
#ifndef NEUROFEAT_CORE_SOURCE_TRACE_SOURCE_H_
#define NEUROFEAT_CORE_SOURCE_TRACE_SOURCE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/traces.h"

namespace neurofeat {

// RecordingInfo: what a step may need to know about the recording besides
// the samples.
struct RecordingInfo {
  // Sampling rate in Hz, in (0, kMaxSamplingRateHz] (core/checked_math.h).
  double sampling_rate_hz = 0;
  // One id per channel, in column order.
  std::vector<std::string> channel_ids;
  // Channel positions (x, y), in µm, one per channel; empty when unknown.
  std::vector<std::array<double, 2>> channel_locations;
  // Stored value -> µV: uv = value * gain + offset, one per channel; empty
  // when the format does not say.
  std::vector<double> gain_to_uv;
  std::vector<double> offset_to_uv;
  // Per-channel sampling delay in samples (multiplexed ADCs: Neuropixels),
  // for phase_shift; empty when the format does not say.
  std::vector<double> inter_sample_shift;
  // Where the shifts came from, or why a recording that might have them
  // has none (e.g. "settings.xml: probe PRB2_4_2_0640_0 is not a
  // Neuropixels 1.0"); for messages.
  std::string inter_sample_shift_note;
  // The physical unit of the values GetTraces() returns: "V" for the EEG
  // formats (EDF, BrainVision, EEGLAB, FIF, NWB: what MNE's get_data()
  // returns); "" for stored integer samples, which gain_to_uv scales.
  std::string unit;
  // Each channel's kind as MNE names it ("eeg", "eog", "ecg", "emg",
  // "misc", "stim", "mag", "grad", ...), one per channel; empty when the
  // format does not say.
  std::vector<std::string> channel_types;
  // True when channel_ids are the file's own names (EDF labels, a .vhdr's
  // channel table...), false when they were made up ("AP0", "0", ...):
  // names a request gives must then equal them.
  bool channel_ids_from_file = false;
  // The band the acquisition already applied (the header's high-pass and
  // low-pass corners, Hz), as MNE's info["highpass"] / info["lowpass"];
  // unset when the format does not say. A job takes 0 Hz and Nyquist (MNE's
  // defaults) as "nothing applied".
  std::optional<double> highpass_hz;
  std::optional<double> lowpass_hz;
};

class TraceSource {
 public:
  virtual ~TraceSource() = default;

  virtual const RecordingInfo& info() const = 0;
  // num_frames() is the recording length in frames.
  virtual int64_t num_frames() const = 0;
  int64_t num_channels() const { return static_cast<int64_t>(info().channel_ids.size()); }
  // sample_type() is the type GetTraces() returns.
  virtual SampleType sample_type() const = 0;

  // GetTraces() returns frames [start, end) x all channels.
  // Errors: OutOfRange if not 0 <= start <= end <= num_frames(); any error of
  // the underlying reader or step (each names what failed).
  virtual absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const = 0;
};

// CheckFrameRange() is the OutOfRange check every source applies.
absl::Status CheckFrameRange(int64_t start, int64_t end, int64_t num_frames);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_SOURCE_TRACE_SOURCE_H_
