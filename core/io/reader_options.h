// File: reader_options.h
//
// What every recording reader takes and gives: the format names
// (RecordingFormat), per-format options with the path resolver that keeps
// companion files (.vmrk, .fdt, -1.fif parts, .meta) inside the caller's
// data roots (ReaderOptions), and an opened recording with its events and
// the files that hold its samples (OpenedRecording).
//
// Example:
//   ReaderOptions options;
//   options.resolve = [&](const std::string& p) { return policy.Resolve(p); };
//   NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenBrainVision(path, options));
#ifndef NEUROFEAT_CORE_IO_READER_OPTIONS_H_
#define NEUROFEAT_CORE_IO_READER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/source/trace_source.h"

namespace neurofeat {

enum class RecordingFormat {
  kAuto,
  kNpy,
  kRaw,
  kSpikeGlx,
  kOpenEphys,
  kEdf,
  kBrainVision,
  kEeglab,
  kFif,
  kNwb,
};

struct ReaderOptions {
  // raw: sample type, channel count, sampling rate (all required), header.
  std::optional<SampleType> raw_type;
  int64_t raw_channels = 0;
  double raw_sampling_rate_hz = 0;
  int64_t raw_header_bytes = 0;
  // How errors name the raw fields (a request's field path); default: the
  // file and what the number is.
  std::string raw_channels_field;
  std::string raw_header_bytes_field;
  // npy: the sampling rate (the file does not hold one).
  double npy_sampling_rate_hz = 0;
  // openephys: which continuous stream (index into "continuous").
  int stream_index = 0;
  // nwb: the ElectricalSeries in /acquisition to read, by name; empty: the
  // only one (an error listing them when there are several).
  std::string nwb_series;
  // Maps a path the reader wants to open to the path to open, or an error
  // (PERMISSION_DENIED outside the data roots). Default: identity.
  std::function<absl::StatusOr<std::string>(const std::string&)> resolve;
};

// RecordingEvent: an event or annotation stored with the recording (a
// BrainVision marker, an EEGLAB event, an EDF+ annotation).
struct RecordingEvent {
  // Onset in frames from the first sample of the recording (0-based).
  int64_t onset_frame = 0;
  // Duration in frames; 0 for an instantaneous marker.
  int64_t duration_frames = 0;
  // What the event is (EEGLAB "type", BrainVision "Stimulus/S  1", an
  // annotation's text), as MNE's annotation description.
  std::string description;
};

struct OpenedRecording {
  std::shared_ptr<const TraceSource> source;
  RecordingFormat format = RecordingFormat::kNpy;
  // The file that holds the samples (continuous.dat for Open Ephys, the
  // .eeg of a BrainVision set, the .fdt of an EEGLAB set, the first part
  // of a split FIF); its content identifies the recording for caching.
  std::string data_path;
  // More files whose content is part of the recording's identity (the
  // further parts of a split FIF, a BrainVision header whose resolutions
  // scale the samples), in order; usually empty.
  std::vector<std::string> more_data_paths;
  // Events stored with the recording, in onset order.
  std::vector<RecordingEvent> events;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_READER_OPTIONS_H_
