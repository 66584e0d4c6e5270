// File: fif_source.h
//
// OpenFif(): a FIF raw file as mne.io.Raw.save writes it, with its -1.fif, -2.fif ... parts, as a TraceSource with random access by frame range.
// (Being written.)
#ifndef NEUROFEAT_CORE_IO_FIF_SOURCE_H_
#define NEUROFEAT_CORE_IO_FIF_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenFif(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_FIF_SOURCE_H_
