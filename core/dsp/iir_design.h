// File: iir_design.h
//
// IIR filter design that reproduces scipy.signal (1.10): Butterworth
// low/high/band-pass and band-stop as second-order sections
// (iirfilter(..., ftype="butter", output="sos", fs=fs)), the notch of
// iirnotch(), and the steady-state initial conditions sosfilt_zi() and
// lfilter_zi() that sosfiltfilt/filtfilt start from. The arithmetic follows
// scipy's order of operations (numpy's complex division, section pairing of
// zpk2sos with pairing="nearest"), so coefficients agree to ~1 ulp.
//
// Example:
//   NF_ASSIGN_OR_RETURN(SosFilter sos,
//       DesignButterworth(5, BandType::kBandpass, 300, 6000, 30000));
//   std::vector<std::array<double, 2>> zi = SosfiltZi(sos);
#ifndef NEUROFEAT_CORE_DSP_IIR_DESIGN_H_
#define NEUROFEAT_CORE_DSP_IIR_DESIGN_H_

#include <array>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat {

enum class BandType { kLowpass, kHighpass, kBandpass, kBandstop };

// SosFilter: cascaded second-order sections, each row b0 b1 b2 a0 a1 a2 with
// a0 == 1, as scipy's `sos` arrays.
struct SosFilter {
  std::vector<std::array<double, 6>> sections;
};

// BaFilter: transfer-function coefficients b (numerator) and a (denominator),
// a[0] != 0.
struct BaFilter {
  std::vector<double> b;
  std::vector<double> a;
};

// DesignButterworth() returns the digital Butterworth filter of `order`
// (1..10) with corner(s) in Hz; `freq2_hz` is used only for kBandpass and
// kBandstop. Equals scipy.signal.iirfilter(order, Wn, btype=..., ftype=
// "butter", output="sos", fs=fs_hz).
// Errors: InvalidArgument if order is outside 1..10, a corner is not in
// (0, fs/2), or freq1 >= freq2 for two-corner bands.
absl::StatusOr<SosFilter> DesignButterworth(int order, BandType band, double freq1_hz,
                                            double freq2_hz, double fs_hz);

// DesignNotch() returns scipy.signal.iirnotch(freq_hz / (fs_hz / 2), q), the
// form SpikeInterface's notch_filter uses.
// Errors: InvalidArgument if freq is not in (0, fs/2) or q <= 0.
absl::StatusOr<BaFilter> DesignNotch(double freq_hz, double q, double fs_hz);

// LfilterZi() equals scipy.signal.lfilter_zi(b, a): the state of a
// transposed direct form II filter at rest after a unit step. Size
// max(len(a), len(b)) - 1.
std::vector<double> LfilterZi(const BaFilter& filter);

// SosfiltZi() equals scipy.signal.sosfilt_zi(sos).
std::vector<std::array<double, 2>> SosfiltZi(const SosFilter& filter);

// SosfiltfiltPadlen() is scipy.signal.sosfiltfilt's default padlen:
// 3 * (2 * n_sections + 1 - min(#(b2 == 0), #(a2 == 0))).
int SosfiltfiltPadlen(const SosFilter& filter);

// FiltfiltPadlen() is scipy.signal.filtfilt's default padlen:
// 3 * max(len(a), len(b)).
int FiltfiltPadlen(const BaFilter& filter);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_IIR_DESIGN_H_
