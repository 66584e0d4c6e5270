// File: brainvision_source.h
//
// OpenBrainVision(): a BrainVision Core Data Format set (the .vhdr header,
// its .vmrk markers and its binary .eeg samples) as a TraceSource with
// random access by frame range, read as mne.io.read_raw_brainvision (mne
// 1.3) reads it: the same channel names, types, scaling to volts, filter
// band and annotations.
//
// What is read, and how MNE's rules map onto it:
// - The header's first line must name a BrainVision header ("Brain Vision
//   Data Exchange Header File Version 1.0", "BrainVision Data Exchange
//   Header File Version 2.0" and MNE's other spellings); MNE only warns
//   there, we refuse, so that any file is not taken for a header.
// - The text is decoded as its Codepage says (UTF-8 by default; Latin-1;
//   ANSI = cp1252) and falls back to Latin-1 when it is not valid in that
//   codepage, as MNE does; names and descriptions come out as UTF-8.
// - [Common Infos] DataFile and MarkerFile are relative to the header's
//   folder (or absolute) and go through ReaderOptions::resolve.
//   DataFormat=BINARY only (ASCII is refused); DataOrientation MULTIPLEXED
//   (frame-major) or VECTORIZED (channel-major); BinaryFormat INT_16,
//   INT_32 or IEEE_FLOAT_32; SamplingInterval in µs (rate = 1e6 / it).
// - Frames: the .eeg's size decides, as in MNE (whole frames; a trailing
//   partial frame is ignored). DataPoints, when given, must not exceed them
//   (DataLoss naming the first missing frame); when the file holds more,
//   the file size decides as in MNE, which ignores DataPoints for binary
//   data. For VECTORIZED data the file size also gives each channel's
//   stride, as in MNE.
// - [Channel Infos] ChN=<name>,<ref>,<resolution>,<unit>: "\1" in a name
//   is a comma; an empty resolution is 1; a missing or empty unit is µV.
//   value (V) = stored x resolution x unit factor (µV/uV 1e-6, mV 1e-3,
//   nV 1e-9, V 1, µS/uS 1e-6, others 1), the product MNE's cals hold.
//   Channel types as MNE 1.3 assigns them: "eog" for the names HEOGL,
//   HEOGR and VEOGb, "misc" for a unit that is not V/mV/µV/uV/nV (or for
//   a [Coordinates] radius of 0), "stim" for "STI 014", else "eeg" (MNE
//   does not type ECG/EMG by name). Duplicate names are refused (MNE
//   fails on them).
// - highpass_hz / lowpass_hz from the channel table in [Comment] (or its
//   software filter table), with MNE's rules for time constants, "DC",
//   "Off" and differing settings; unset when the header has none (MNE's
//   defaults 0 and sfreq / 2) or when MNE's rules give a value that is not
//   finite.
// - Events: the .vmrk's Mk<n>=<type>,<description>,<position>,<size>,...
//   as MNE's annotations: description "<type>/<description>", onset =
//   position - 1, duration = size (0 when not a plain number), sorted by
//   onset then duration, then cropped to the recording as MNE's
//   set_annotations() does (markers past the end dropped, those that
//   straddle an end clipped).
//
// Reads use pread on a descriptor held by the source: a MULTIPLEXED range
// is one contiguous read (in blocks of about 1 MiB), a VECTORIZED range one
// read per channel and block. The source is immutable and safe to read from
// several threads at once.
//
// Example:
//   NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenBrainVision("/data/s01.vhdr", {}));
//   NF_ASSIGN_OR_RETURN(Traces volts, rec.source->GetTraces(0, 1000));
#ifndef NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_
#define NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

// OpenBrainVision() opens the header at `path` (a .vhdr) with its marker
// and data files. The returned source yields float64 volts, exactly what
// MNE's raw.get_data() returns for the same frames; data_path is the .eeg
// (resolved), more_data_paths the header (its resolutions scale the
// samples); events are MNE's annotations in frames.
// Errors:
// - NotFound: the header, the .vmrk or the .eeg does not exist (naming it);
// - PermissionDenied: what options.resolve returns for a companion file;
// - InvalidArgument: a malformed or unsupported header or marker file,
//   naming the file, the section and field, and the value; a companion
//   that is not a regular file (a FIFO, a directory);
// - DataLoss: the .eeg holds fewer frames than DataPoints says (naming the
//   first missing frame). GetTraces() returns DataLoss naming the frame
//   when the file has shrunk since it was opened.
absl::StatusOr<OpenedRecording> OpenBrainVision(const std::string& path,
                                                const ReaderOptions& options);

namespace internal {

// OpenBrainVisionForTest() is OpenBrainVision() with reads cut into blocks
// of `block_frames` frames (> 0), so tests can make small ranges cross
// block boundaries.
absl::StatusOr<OpenedRecording> OpenBrainVisionForTest(const std::string& path,
                                                       const ReaderOptions& options,
                                                       int64_t block_frames);

}  // namespace internal
}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_
