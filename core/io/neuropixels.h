// File: neuropixels.h
//
// What this project knows of Neuropixels probes' ADC multiplexing, shared
// by the SpikeGLX and Open Ephys readers.
//
// Neuropixels 1.0 probes multiplex 384 readout channels through 32 ADCs of
// 12 channels: readout channels 2k and 2k+1 go to two ADCs in the same cycle
// k mod 12, and an AP sampling period has 13 cycles (12 AP conversions + 1
// LF), an LF period 12. A channel's delay is its cycle / cycles of a sample,
// as probeinterface's mux table and SpikeInterface's
// get_neuropixels_sample_shifts_from_probe give. Other probe types are not
// known here (no shifts; phase_shift then asks for them).
#ifndef NEUROFEAT_CORE_IO_NEUROPIXELS_H_
#define NEUROFEAT_CORE_IO_NEUROPIXELS_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace neurofeat {

// True for the part numbers of Neuropixels 1.0 probes (PRB_1_4_0480_1,
// PRB_1_4_0480_1_C, PRB_1_2_0480_2, NP1000, NP1001, NP1010 .. NP1016).
bool IsNeuropixels1PartNumber(absl::string_view part_number);

// The sampling delay, in samples, of readout channel `readout` (0..383) of
// a Neuropixels 1.0 probe in its AP (`ap`) or LF stream.
double Neuropixels1Shift(int64_t readout, bool ap);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_NEUROPIXELS_H_
