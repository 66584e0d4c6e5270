// File: fif_source.h
//
// OpenFif(): a raw FIF file as mne.io.Raw.save (or a Neuromag/MEGIN
// acquisition) writes it, with its split parts (name-1.fif, name-2.fif ...),
// read as mne.io.read_raw_fif(path, preload=False) reads it (MNE 1.3), as a
// TraceSource with random access by frame range.
//
// FIF is a big-endian tagged format: 16-byte tag headers (kind, type, size,
// next) each followed by its data, nested in blocks (FIFF_BLOCK_START /
// FIFF_BLOCK_END). The reader walks the tags of each part once at Open (the
// optional tag directory is not needed: MNE writes none, and a walk sees
// every tag a directory would list), every size checked against the file,
// and keeps:
//  - the measurement info: FIFF_NCHAN, FIFF_SFREQ, FIFF_HIGHPASS /
//    FIFF_LOWPASS, one FIFF_CH_INFO per channel (kind -> MNE channel type,
//    range x cal), overridden by the FIFFB_CH_INFO blocks MNE writes for
//    channel names longer than 15 characters;
//  - an index of the FIFF_DATA_BUFFER tags of the FIFFB_RAW_DATA (or
//    FIFFB_CONTINUOUS_DATA) block: frame -> file and byte offset and type
//    (DAU_PACK16/short, int, float, double; each buffer nsamp x nchan,
//    time-major). FIFF_FIRST_SAMPLE and a leading FIFF_DATA_SKIP shift MNE's
//    first sample; a later FIFF_DATA_SKIP is that many buffers of zeros, and
//    a BAD_ACQ_SKIP event, as MNE reads it (FIFF_DATA_SKIP_SAMP is ignored,
//    as MNE ignores it);
//  - the annotations (FIFFB_MNE_ANNOTATIONS) as events, cropped to the
//    recording and converted to frames exactly as MNE does (onsets relative
//    to meas_date or to the first sample, microsecond datetime arithmetic,
//    rounding half to even).
// GetTraces() preads only the buffers the range overlaps and returns
// float64 SI values (V, T, T/m ...): stored x range x cal per channel, the
// same arithmetic as MNE's get_data(), so values agree bit for bit.
//
// Split recordings: a FIFFB_REF block with FIFF_REF_ROLE = next file names
// the next part (FIFF_REF_FILE_NAME, or FIFF_REF_FILE_NUM as MNE derives the
// name); each goes through ReaderOptions::resolve and is indexed at Open.
// Where MNE warns about a missing part and returns a short recording, this
// reader returns NotFound naming the part.
//
// Differences from MNE, all refusals of files MNE would read: a next-part
// name with a '/' (MNE writes bare names); parts whose channel names or
// order differ (MNE compares sets); MaxShield (FIFFB_IAS_RAW_DATA) data,
// which MNE also refuses unless allow_maxshield; complex buffers; gzip
// (.fif.gz); a file that ends inside its raw data block (MNE reads what is
// there: a truncated recording would be silently short).
//
// Example:
//   NF_ASSIGN_OR_RETURN(OpenedRecording rec, OpenFif("/data/sub-01_raw.fif", options));
//   NF_ASSIGN_OR_RETURN(Traces t, rec.source->GetTraces(0, 1000));  // volts
#ifndef NEUROFEAT_CORE_IO_FIF_SOURCE_H_
#define NEUROFEAT_CORE_IO_FIF_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

// OpenFif() opens the raw FIF recording whose first part is `path`.
// The source is immutable and safe to read from several threads at once
// (pread only). `data_path` is `path`; `more_data_paths` the further parts
// (resolved), in order; `events` the annotations and acquisition skips.
// Errors: NotFound (the file or a split part is missing, naming it);
// PermissionDenied and others from options.resolve; InvalidArgument for a
// malformed or unsupported file, naming the file, the tag or field and the
// value; DataLoss when a part is truncated, naming the first missing frame.
absl::StatusOr<OpenedRecording> OpenFif(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_FIF_SOURCE_H_
