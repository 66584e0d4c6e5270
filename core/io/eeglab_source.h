// File: eeglab_source.h
//
// OpenEeglab(): an EEGLAB dataset as a TraceSource of float64 volts, read
// the way mne.io.read_raw_eeglab(path, preload=False) (MNE 1.3) reads it.
//
// The .set is a MAT file, v5 (plain or with compressed variables; read
// with matio) or v7.3 (HDF5; read with HDF5 directly, see below). Its
// fields sit either in a struct variable EEG (or EEG.EEG) or are top-level
// variables. The samples (EEG.data, µV, nbchan x pnts column-major: one
// frame's channels contiguous) are either inside the .set or in the .fdt
// that EEG.data names (float32 little-endian, frames interleaved), found by
// MNE's rules: <set dir>/<name>, else <set path minus .set>.fdt. Values are
// float64(sample) * 1e-6, MNE's CAL and order of operations, so they equal
// get_data() exactly.
//
// How samples are read, by where they are:
//   .fdt, or MAT v5 uncompressed: the byte offset of the samples is found
//     once (walking the MAT elements; matio does not expose it) and frame
//     ranges are pread straight into the result: no library call per read,
//     no lock.
//   MAT v7.3: H5Dread of a hyperslab (frames [a, b), all channels) in the
//     stored class, converted here, under a mutex. Only the HDF5 chunks the
//     range touches are read. (matio is not used for v7.3: it reads a
//     struct array by asking HDF5 for the name of every referenced value,
//     a search of the file each time, so a set with 1000 events took 55 s
//     to open; here references are followed without names: 3000 events in
//     0.3 s.)
//   MAT v5 compressed (miCOMPRESSED): a zlib stream cannot be entered in
//     the middle, and matio's hyperslab read inflates from the start of the
//     variable at every call (a 10 s read at the end of a 10 min recording
//     costs 0.6 s; reading all of it in such pieces, minutes; and for a
//     field of a nested struct it writes the whole variable into a buffer
//     meant for the range). So the samples are inflated once at Open and
//     kept in memory, in their class, up to kMaxEeglabDecodedBytes (2 GiB:
//     MATLAB's -v7 format holds no variable larger, so every compressed set
//     MATLAB writes fits); larger ones are refused.
//
// Damaged and hostile files: matio allocates what MAT v5 element headers
// say (a 2 GB name, a struct array of 2^30 elements) before reading, so a
// v5 file is walked first (compressed variables inflated in pieces) and
// refused unless every element fits in its parent, names and dims are
// small and it holds at most 4M values. For v7.3, datasets whose element
// type exceeds 64 bytes or whose chunks exceed 64 MiB are refused before
// HDF5 allocates them. HDF5 1.10.8 itself (Debian 12) is not safe on
// damaged files: fuzzing finds heap overflows and a use-after-free inside
// H5Aexists() (attribute message decoding; one input crashes a release
// build with SIGSEGV), and leaks on some of them. Only trusted v7.3 files
// should be read in a process that must not crash.
//
// What MNE does, and so this reader:
//   - trials != 1 is an epoched set: refused (InvalidArgument, the count).
//   - Channel names: chanlocs(i).labels, duplicates renamed as MNE renames
//     them ("A-0", "A-1"; channel_ids_from_file); no chanlocs: MNE's
//     "EEG 000", "EEG 001", ... (channel_ids_from_file false). Types:
//     chanlocs(i).type stripped and lower-cased if it is one of MNE's
//     channel types, else "eeg".
//   - Events: EEG.event type/latency/duration become annotations: onset
//     (latency - 1) / srate, duration / srate (empty: 0), description
//     str(type) as Python prints scipy's value of it ("boundary", "3.0",
//     "7", "1e-05"; a single 0.1 widened: "0.10000000149011612"; "[]" for
//     an empty type). They are sorted by onset then duration, then
//     cropped to the recording through Python timedeltas (onsets on a
//     microsecond grid; events outside dropped, overlapping ones clipped).
//     Frames are numpy's round(seconds * srate). "boundary" events stay
//     events named "boundary" (MNE only warns about them).
//   - highpass/lowpass: EEGLAB has none; left unset.
// Stricter than MNE (MNE reads these, or fails later): fractional
// nbchan/pnts/trials, a chanlocs count other than nbchan, and data whose
// size is not nbchan x pnts are InvalidArgument. Laxer: a set without
// chanlocs (MNE needs the field) gets the default names.
//
// Example:
//   ReaderOptions options;
//   options.resolve = [&](const std::string& p) { return policy.Resolve(p); };
//   NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenEeglab("sub-01.set", options));
//   NF_ASSIGN_OR_RETURN(Traces volts, rec.source->GetTraces(0, 1000));
#ifndef NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_
#define NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

// kMaxEeglabDecodedBytes bounds the samples of a compressed MAT v5 set that
// OpenEeglab() inflates into memory (see the file comment).
inline constexpr int64_t kMaxEeglabDecodedBytes = int64_t{2} << 30;

// OpenEeglab() opens an EEGLAB .set (and its .fdt, through
// options.resolve when set). The source returns float64 volts; it is
// immutable and safe to call from several threads at once.
// OpenedRecording: data_path is the .fdt when the samples are there (and
// more_data_paths holds the .set, whose fields shape them), else the .set.
// Errors:
//   NotFound: the .set, or the .fdt (naming both names MNE tries).
//   PermissionDenied: from options.resolve.
//   InvalidArgument: not a MAT v5/v7.3 file, not a regular file (a FIFO),
//     a field missing or malformed (naming the field and its value), an
//     epoched set, an unsupported variant (MAT v4, complex or non-numeric
//     samples, an old .dat data file, an event type MNE would print as an
//     array, compressed samples over kMaxEeglabDecodedBytes).
//   DataLoss: the .set or .fdt is shorter than its fields say (naming the
//     first missing frame when the samples are cut).
absl::StatusOr<OpenedRecording> OpenEeglab(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_
