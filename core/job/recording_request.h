// File: recording_request.h
//
// RecordingRequest: what a request says about its recording, in core's
// terms: where the samples are (inline bytes, a finished upload, or a
// file), and the metadata the caller states (rate, channel names, gains,
// locations, the band already applied, channels to drop). The API edge
// fills one field for field from a neurofeat.v1.Recording; OpenRecording()
// (open_recording.h) decides everything else.
//
// Example:
//   RecordingRequest r;
//   r.file = RecordingRequest::File{"sub-01/eeg/sub-01_task-rest_eeg.vhdr"};
//   NF_ASSIGN_OR_RETURN(RecordingInput in, OpenRecording(r, files));
#ifndef NEUROFEAT_CORE_JOB_RECORDING_REQUEST_H_
#define NEUROFEAT_CORE_JOB_RECORDING_REQUEST_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/io/reader_options.h"
#include "core/traces.h"

namespace neurofeat {

struct RecordingRequest {
  // Samples held by the request: (frames, channels) traces or (windows,
  // channels, times) epochs, little-endian, C order.
  struct Inline {
    SampleType type = SampleType::kFloat32;
    std::vector<int64_t> shape;
    // REQUIRES: outlives every input and job made from this request (the
    // cache digests these bytes in place).
    const std::string* data = nullptr;
  };
  // A file the caller may read (the server: under a data root).
  struct File {
    std::string path;
    RecordingFormat format = RecordingFormat::kAuto;
    // raw only: sample type, channel count, bytes before the samples.
    std::optional<SampleType> raw_type;
    int64_t raw_channels = 0;
    int64_t raw_header_bytes = 0;
    // openephys only: which continuous stream.
    int stream_index = 0;
    // nwb only: which ElectricalSeries; empty: the only one.
    std::string nwb_series;
  };

  // Exactly one of the three.
  std::optional<Inline> samples;
  std::optional<File> file;
  std::optional<std::string> upload_id;

  // Hz; 0: the file's own (required for inline samples, uploads, .npy and
  // raw files). A file's rate must agree with it.
  double sampling_rate_hz = 0;
  // One per channel; empty: the file's names, or "0".."C-1". Where the file
  // names its channels they must agree.
  std::vector<std::string> channel_names;
  // Stored value -> µV, one for all or one per channel; empty: the file's.
  std::vector<double> gains_to_uv;
  std::vector<double> offsets_to_uv;
  // (x, y) in µm, one per channel; empty: the file's.
  std::vector<std::array<double, 2>> channel_locations;
  // The band already applied; unset: the file's header says (or nothing).
  std::optional<double> highpass_hz;
  std::optional<double> lowpass_hz;
  // Convert to µV (gains and offsets) before the pipeline runs.
  bool scale_to_uv = false;
  // Channels to leave out, by name (BIDS channels marked "bad").
  std::vector<std::string> exclude_channels;
  // Epochs for Fit: a rate is not needed (the CSP fit uses none). Default:
  // a rate is required.
  bool rate_optional = false;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_RECORDING_REQUEST_H_
