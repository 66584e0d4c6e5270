// File: phase_shift_kernels.h
//
// PhaseShiftKernels: the per-shift spectra SpikeInterface's phase shift
// multiplies by, made once per chunk size and reused by every call of that
// size.
//
// Two kinds, the same sums (tests check both against SpikeInterface):
//   kRotation      SpikeInterface's own: the length-L rotation
//                  exp(-2 pi i k s / L), L = frames + 2 * margin; outputs
//                  scaled by 1 / L after the inverse FFT, as numpy's irfft.
//   kSmoothLength  L is rarely FFT-friendly (one second of the phase shift
//                  -> highpass -> median chain at 30 kHz asks for 33400 =
//                  2^3 5^2 167; FFTW's transforms at a length with a large
//                  prime factor cost four times those at a 5-smooth one).
//                  The phase shift is a circular convolution of length L
//                  with h_s = irfft(rotation, L), and only the `frames`
//                  outputs after the margin are kept; they use the kernel
//                  offsets [margin - L + 1, margin + frames - 1] only, so a
//                  circular convolution at a 5-smooth N >= frames + L - 1
//                  with h_s laid out periodically over exactly those offsets
//                  gives the same sums, up to rounding (1e-16 relative).
//
// Example:
//   auto k = PhaseShiftKernels::Build(PhaseShiftKernels::Kind::kSmoothLength,
//                                     frames, margin, {0.0, 1.0 / 13}, &plans);
//   // A buffer of k->fft_length() doubles: the tapered L samples, zeros
//   // after them; r2c, times k->spectrum(i), c2r, times k->output_scale(),
//   // read [margin, margin + frames).
#ifndef NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_KERNELS_H_
#define NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_KERNELS_H_

#include <complex>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/dsp/fft.h"

namespace neurofeat {

// The smallest n >= `at_least` whose prime factors are all 2, 3 or 5.
int64_t NextFiveSmooth(int64_t at_least);

// True when every prime factor of n is at most 13 (FFTW has straight-line
// codelets for those; a larger prime factor means slow generic transforms).
bool HasOnlySmallPrimeFactors(int64_t n);

// out[0, length / 2] = exp(-2 pi i k s / length), k / length as numpy's
// rfftfreq computes it.
void PhaseShiftRotation(double shift, int64_t length, std::complex<double>* out);

class PhaseShiftKernels {
 public:
  enum class Kind { kRotation, kSmoothLength };

  // Bytes Build() would hold for `distinct_shifts` shifts.
  static int64_t BytesFor(Kind kind, int64_t frames, int64_t margin, int64_t distinct_shifts);

  static std::shared_ptr<const PhaseShiftKernels> Build(Kind kind, int64_t frames, int64_t margin,
                                                        const std::vector<double>& distinct_shifts,
                                                        FftPlans* plans);

  Kind kind() const { return kind_; }
  int64_t frames() const { return frames_; }
  // The transform length: L for kRotation, N for kSmoothLength.
  int64_t fft_length() const { return fft_length_; }
  // What the inverse transform's output is multiplied by.
  double output_scale() const { return output_scale_; }
  // fft_length() / 2 + 1 bins of shift i's spectrum.
  const std::complex<double>* spectrum(size_t i) const { return spectra_[i].data(); }

 private:
  PhaseShiftKernels() = default;
  Kind kind_ = Kind::kRotation;
  int64_t frames_ = 0;
  int64_t fft_length_ = 0;
  double output_scale_ = 1.0;
  std::vector<FftBuffer<std::complex<double>>> spectra_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_KERNELS_H_
