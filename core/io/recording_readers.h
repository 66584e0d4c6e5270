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
#include "core/io/reader_options.h"
#include "core/source/trace_source.h"

namespace neurofeat {

// ParseRecordingFormat() accepts "auto", "npy", "raw", "spikeglx",
// "openephys", "edf" (also for BDF), "brainvision", "eeglab", "fif", "nwb".
absl::StatusOr<RecordingFormat> ParseRecordingFormat(const std::string& name);
const char* RecordingFormatName(RecordingFormat format);

// DetectRecordingFormat() is the format of a file, from its name
// (case-insensitive: .npy, .bin, .oebin, .edf, .bdf, .vhdr, .set, .fif,
// .nwb) and its first bytes (NPY, EDF/BDF, BrainVision, MAT, HDF5 and FIF
// magic). A name and a content that disagree are InvalidArgument naming
// both; neither saying anything is raw binary. A SpikeGLX .bin whose samples
// happen to start like another format is still SpikeGLX.
// Errors: those of OpenRegularFile (NotFound, not a regular file).
absl::StatusOr<RecordingFormat> DetectRecordingFormat(const std::string& path);

// OpenRecordingFile() opens `path` in `format` (kAuto: detected as above).
absl::StatusOr<OpenedRecording> OpenRecordingFile(const std::string& path, RecordingFormat format,
                                                  const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_RECORDING_READERS_H_
