// File: openephys_settings.h
//
// Neuropixels inter-sample shifts from an Open Ephys settings.xml, as
// probeinterface's read_openephys and SpikeInterface's Open Ephys reader
// derive them: the Neuropix-PXI (or OneBox) processor's enabled NP_PROBE
// entries; each probe named by custom_probe_name (unless it is only the
// serial number) or else by the processor's STREAM names ("ProbeA-AP" ->
// "ProbeA", sorted) or, for GUIs without STREAMs, "<nodeId>.<index>"; the
// probe whose name (or serial number) appears in the stream's name; its
// probe_part_number; the channels the Record Node saved (a STREAM
// recording_state of '0'/'1' per channel, when not ALL). Neuropixels 1.0
// only (core/io/neuropixels.h); AP streams (sampled above 10 kHz) have 13
// cycles per sample, LF streams 12.
//
// Example:
//   NF_ASSIGN_OR_RETURN(OpenEphysShifts s, NeuropixelsShiftsFromOpenEphysSettings(
//       text, "Record Node 101/settings.xml", "ProbeA-AP", 384, 30000));
//   info.inter_sample_shift = s.shifts;  // empty: s.note says why
#ifndef NEUROFEAT_CORE_IO_OPENEPHYS_SETTINGS_H_
#define NEUROFEAT_CORE_IO_OPENEPHYS_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace neurofeat {

struct OpenEphysShifts {
  std::vector<double> shifts;  // one per channel of the stream, or empty
  std::string note;            // where they came from, or why there are none
};

// Errors only for a settings file that is not XML; a file without a
// matching Neuropixels 1.0 probe gives no shifts and a note.
absl::StatusOr<OpenEphysShifts> NeuropixelsShiftsFromOpenEphysSettings(
    absl::string_view settings_text, const std::string& settings_path,
    const std::string& stream_name, int64_t channels, double sampling_rate_hz);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_OPENEPHYS_SETTINGS_H_
