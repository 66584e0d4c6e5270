// File: welch.h
//
// Welch power and cross spectral densities with scipy.signal.welch / csd
// defaults: periodic Hann window of nperseg samples, hop nperseg - noverlap,
// constant (mean) detrend per segment, one-sided density scaling, mean over
// segments. Computed in float64.
#ifndef NEUROFEAT_CORE_DSP_WELCH_H_
#define NEUROFEAT_CORE_DSP_WELCH_H_

#include <complex>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/dsp/fft.h"

namespace neurofeat {

struct WelchSettings {
  double fs = 1.0;
  int64_t nperseg = 256;
  int64_t noverlap = 128;
  // scipy's periodic Hann window of nperseg samples. Null: WelchSpectra
  // computes it; a kernel that makes spectra for every window keeps one
  // (WithHannWindow), since the cosines cost as much as the FFTs.
  std::shared_ptr<const std::vector<double>> window;
};

// WithHannWindow() is `s` holding its window.
WelchSettings WithHannWindow(WelchSettings s);

// ValidateWelch() checks the settings against a window of n_times samples;
// errors name `field` (the feature path) and the offending value.
absl::Status ValidateWelch(const WelchSettings& s, int64_t n_times, const std::string& field);

// WelchFrequencies() is scipy's frequency vector: k * fs / nperseg, k = 0..nperseg/2.
std::vector<double> WelchFrequencies(const WelchSettings& s);

// SegmentSpectra holds, for each row, the scaled one-sided DFT of every
// detrended, windowed segment: rows x segments x bins.
class WelchSpectra {
 public:
  // Transform() computes the segment spectra of `rows` rows of n samples.
  WelchSpectra(const WelchSettings& s, const double* x, int64_t rows, int64_t n, FftPlans& plans);

  int64_t bins() const { return bins_; }
  // Psd() writes the power spectral density of `row` (bins values).
  void Psd(int64_t row, double* out) const;
  // Csd() writes conj(X_a) * X_b averaged over segments (scipy's csd(a, b)).
  void Csd(int64_t a, int64_t b, std::complex<double>* out) const;

 private:
  const std::complex<double>* Segment(int64_t row, int64_t seg) const {
    return spectra_.data() + (row * segments_ + seg) * bins_;
  }
  int64_t segments_ = 0;
  int64_t bins_ = 0;
  double scale_ = 0.0;  // density scale, with the one-sided factor folded in per bin
  int64_t nperseg_ = 0;
  std::vector<std::complex<double>> spectra_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_WELCH_H_
