#include "core/dsp/welch.h"

#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::Status ValidateWelch(const WelchSettings& s, int64_t n_times, const std::string& field) {
  if (!(s.fs > 0) || !std::isfinite(s.fs)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": fs must be > 0, got ", s.fs));
  }
  if (s.nperseg < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": nperseg must be >= 1, got ", s.nperseg));
  }
  if (s.nperseg > n_times) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": the Welch segment (nperseg ", s.nperseg, " samples) is longer than the window (",
        n_times, " samples); shorten window_size_in_sec or use longer windows"));
  }
  if (s.noverlap < 0 || s.noverlap >= s.nperseg) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": noverlap must be in [0, nperseg ",
                                                   s.nperseg, "), got ", s.noverlap));
  }
  return absl::OkStatus();
}

std::vector<double> WelchFrequencies(const WelchSettings& s) {
  const int64_t bins = s.nperseg / 2 + 1;
  std::vector<double> f(bins);
  // numpy.fft.rfftfreq: k / (n * d) with d = 1 / fs.
  const double d = 1.0 / s.fs;
  for (int64_t k = 0; k < bins; ++k) f[k] = static_cast<double>(k) / (s.nperseg * d);
  return f;
}

WelchSettings WithHannWindow(WelchSettings s) {
  auto win = std::make_shared<std::vector<double>>(static_cast<size_t>(s.nperseg));
  for (int64_t i = 0; i < s.nperseg; ++i) {
    (*win)[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / s.nperseg);
  }
  s.window = std::move(win);
  return s;
}

WelchSpectra::WelchSpectra(const WelchSettings& s, const double* x, int64_t rows, int64_t n,
                           FftPlans& plans)
    : nperseg_(s.nperseg) {
  const int64_t step = s.nperseg - s.noverlap;
  segments_ = (n - s.nperseg) / step + 1;
  bins_ = s.nperseg / 2 + 1;
  const WelchSettings own = s.window != nullptr ? WelchSettings{} : WithHannWindow(s);
  const std::vector<double>& win = s.window != nullptr ? *s.window : *own.window;
  double win_sq = 0.0;
  for (int64_t i = 0; i < s.nperseg; ++i) win_sq += win[i] * win[i];
  scale_ = 1.0 / (s.fs * win_sq);
  spectra_.resize(rows * segments_ * bins_);
  FftBuffer<double> seg(s.nperseg);
  FftBuffer<std::complex<double>> out(bins_);
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = x + r * n;
    for (int64_t k = 0; k < segments_; ++k) {
      const double* src = row + k * step;
      double mean = 0.0;
      for (int64_t i = 0; i < s.nperseg; ++i) mean += src[i];
      mean /= static_cast<double>(s.nperseg);
      for (int64_t i = 0; i < s.nperseg; ++i) seg[i] = (src[i] - mean) * win[i];
      plans.ForwardReal(seg.data(), out.data(), s.nperseg);
      std::complex<double>* dst = spectra_.data() + (r * segments_ + k) * bins_;
      for (int64_t b = 0; b < bins_; ++b) dst[b] = out[b];
    }
  }
}

namespace {
// scipy doubles every one-sided bin but DC and (for even nperseg) Nyquist.
double OneSidedFactor(int64_t bin, int64_t bins, int64_t nperseg) {
  if (bin == 0) return 1.0;
  if (nperseg % 2 == 0 && bin == bins - 1) return 1.0;
  return 2.0;
}
}  // namespace

void WelchSpectra::Psd(int64_t row, double* out) const {
  for (int64_t b = 0; b < bins_; ++b) out[b] = 0.0;
  for (int64_t k = 0; k < segments_; ++k) {
    const std::complex<double>* z = Segment(row, k);
    for (int64_t b = 0; b < bins_; ++b) out[b] += std::norm(z[b]);
  }
  for (int64_t b = 0; b < bins_; ++b) {
    out[b] = out[b] * scale_ * OneSidedFactor(b, bins_, nperseg_) / static_cast<double>(segments_);
  }
}

void WelchSpectra::Csd(int64_t a, int64_t b, std::complex<double>* out) const {
  for (int64_t k = 0; k < bins_; ++k) out[k] = 0.0;
  for (int64_t seg = 0; seg < segments_; ++seg) {
    const std::complex<double>* za = Segment(a, seg);
    const std::complex<double>* zb = Segment(b, seg);
    for (int64_t k = 0; k < bins_; ++k) out[k] += std::conj(za[k]) * zb[k];
  }
  for (int64_t k = 0; k < bins_; ++k) {
    out[k] =
        out[k] * (scale_ * OneSidedFactor(k, bins_, nperseg_) / static_cast<double>(segments_));
  }
}

}  // namespace neurofeat
