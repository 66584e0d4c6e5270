#include "core/dsp/fir.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace neurofeat {
namespace {

double Sinc(double x) {
  if (x == 0.0) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

// lfilter(b, 1, x, zi=lfilter_zi(b, 1) * x[0]) is a convolution of x extended
// to the left with copies of x[0]; that is what this computes.
void FirForward(const std::vector<double>& b, const std::vector<double>& x,
                std::vector<double>& y) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t taps = static_cast<int64_t>(b.size());
  y.assign(n, 0.0);
  const double x0 = x[0];
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0.0;
    const int64_t kmax = std::min(taps - 1, i);
    for (int64_t k = 0; k <= kmax; ++k) acc += b[k] * x[i - k];
    for (int64_t k = kmax + 1; k < taps; ++k) acc += b[k] * x0;
    y[i] = acc;
  }
}

}  // namespace

std::vector<double> FirwinBandpass(int64_t numtaps, double f_lo, double f_hi, double fs) {
  const double nyq = 0.5 * fs;
  const double left = f_lo / nyq;
  const double right = f_hi / nyq;
  const double alpha = 0.5 * static_cast<double>(numtaps - 1);
  std::vector<double> h(numtaps);
  for (int64_t i = 0; i < numtaps; ++i) {
    const double m = static_cast<double>(i) - alpha;
    h[i] = right * Sinc(right * m) - left * Sinc(left * m);
  }
  // Symmetric Hamming window (scipy's get_window("hamming", n, fftbins=False)).
  for (int64_t i = 0; i < numtaps; ++i) {
    const double w = numtaps == 1 ? 1.0
                                  : 0.54 - 0.46 * std::cos(2.0 * std::numbers::pi *
                                                           static_cast<double>(i) / (numtaps - 1));
    h[i] *= w;
  }
  // Unit gain at the centre frequency of the (only) pass band.
  const double scale_frequency = right == 1.0 ? 1.0 : 0.5 * (left + right);
  double s = 0.0;
  for (int64_t i = 0; i < numtaps; ++i) {
    const double m = static_cast<double>(i) - alpha;
    s += h[i] * std::cos(std::numbers::pi * m * scale_frequency);
  }
  for (double& v : h) v /= s;
  return h;
}

void FirFiltfilt(const std::vector<double>& b, const double* x, int64_t n, int64_t padlen,
                 double* y) {
  std::vector<double> ext(n + 2 * padlen);
  for (int64_t i = 0; i < padlen; ++i) ext[i] = 2.0 * x[0] - x[padlen - i];
  for (int64_t i = 0; i < n; ++i) ext[padlen + i] = x[i];
  for (int64_t i = 0; i < padlen; ++i) ext[padlen + n + i] = 2.0 * x[n - 1] - x[n - 2 - i];
  std::vector<double> fwd, bwd;
  FirForward(b, ext, fwd);
  std::reverse(fwd.begin(), fwd.end());
  FirForward(b, fwd, bwd);
  std::reverse(bwd.begin(), bwd.end());
  for (int64_t i = 0; i < n; ++i) y[i] = bwd[padlen + i];
}

}  // namespace neurofeat
