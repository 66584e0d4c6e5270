// File: recording_readers.h
//
// OpenRecordingFile(): a TraceSource over a recording file in one of the
// formats the service reads, with random access by frame range (no format
// is ever loaded whole):
//   npy        (frames, channels) int16/float32/float64
//   raw        headerless interleaved samples; dtype, channels and rate given
//   spikeglx   x.ap.bin / x.lf.bin / x.nidq.bin with its .meta (nSavedChans,
//              imSampRate / niSampRate, gains to µV from imAiRangeMax,
//              imMaxInt and the imro table)
//   openephys  structure.oebin (binary format) + continuous/<stream>/continuous.dat
//   edf        EDF, EDF+, BDF, BDF+ through EDFlib (physical values)
// Every file a format opens besides the given one (.meta, continuous.dat) is
// passed through `resolve` first, so callers can confine all reads to their
// data roots.
#ifndef NEUROFEAT_CORE_IO_RECORDING_READERS_H_
#define NEUROFEAT_CORE_IO_RECORDING_READERS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/source/trace_source.h"

namespace neurofeat {

enum class RecordingFormat { kAuto, kNpy, kRaw, kSpikeGlx, kOpenEphys, kEdf };

// ParseRecordingFormat() accepts "auto", "npy", "raw", "spikeglx",
// "openephys", "edf" (also for BDF).
absl::StatusOr<RecordingFormat> ParseRecordingFormat(const std::string& name);
const char* RecordingFormatName(RecordingFormat format);

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
  // Maps a path the reader wants to open to the path to open, or an error
  // (PERMISSION_DENIED outside the data roots). Default: identity.
  std::function<absl::StatusOr<std::string>(const std::string&)> resolve;
};

struct OpenedRecording {
  std::shared_ptr<const TraceSource> source;
  RecordingFormat format = RecordingFormat::kNpy;
  // The file that holds the samples (continuous.dat for Open Ephys); its
  // content identifies the recording for caching.
  std::string data_path;
};

absl::StatusOr<OpenedRecording> OpenRecordingFile(const std::string& path, RecordingFormat format,
                                                  const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_RECORDING_READERS_H_
