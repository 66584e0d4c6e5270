// File: nwb_source.h
//
// OpenNwb(): an NWB 2.x file: an ElectricalSeries in /acquisition, as a TraceSource with random access by frame range.
// (Being written.)
#ifndef NEUROFEAT_CORE_IO_NWB_SOURCE_H_
#define NEUROFEAT_CORE_IO_NWB_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenNwb(const std::string& path, const ReaderOptions& options);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_NWB_SOURCE_H_
