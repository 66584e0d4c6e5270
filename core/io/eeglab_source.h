// File: eeglab_source.h
//
// OpenEeglab(): an EEGLAB .set (MAT v5 or v7.3), data inside it or in a .fdt, as a TraceSource with random access by frame range.
// (Being written.)
#ifndef NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_
#define NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenEeglab(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_EEGLAB_SOURCE_H_
