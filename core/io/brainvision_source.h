// File: brainvision_source.h
//
// OpenBrainVision(): a BrainVision header (.vhdr) with its .vmrk and binary .eeg, as a TraceSource with random access by frame range.
// (Being written.)
#ifndef NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_
#define NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenBrainVision(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_BRAINVISION_SOURCE_H_
