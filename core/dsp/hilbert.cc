#include "core/dsp/hilbert.h"

#include <cmath>
#include <vector>

namespace neurofeat {
namespace {

// The inverse FFT of x's spectrum with bin k weighted by weight(k); writes
// n complex samples to `out`.
template <typename Weight>
void WeightedInverse(const double* x, int64_t n, FftPlans& plans, Weight weight,
                     std::complex<double>* out) {
  FftBuffer<std::complex<double>> in(n), spec(n), back(n);
  for (int64_t i = 0; i < n; ++i) in[i] = x[i];
  plans.ForwardComplex(in.data(), spec.data(), n);
  for (int64_t k = 0; k < n; ++k) spec[k] *= weight(k);
  plans.BackwardComplex(spec.data(), back.data(), n);
  const double inv = 1.0 / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) out[i] = back[i] * inv;
}

}  // namespace

void AnalyticSignal(const double* x, int64_t n, FftPlans& plans, std::complex<double>* out) {
  // h = 1 at DC (and Nyquist for even n), 2 for positive, 0 for negative bins.
  const int64_t half = n / 2;
  WeightedInverse(
      x, n, plans,
      [n, half](int64_t k) {
        if (k == 0) return 1.0;
        if (n % 2 == 0) return k < half ? 2.0 : (k == half ? 1.0 : 0.0);
        return k <= half ? 2.0 : 0.0;
      },
      out);
}

void Envelope(const double* x, int64_t n, FftPlans& plans, double* out) {
  // scipy's band bp_in = (1, None) is the slice [1, (n + 1) // 2) of the
  // doubled one-sided spectrum. scipy takes the inverse FFT of that slice
  // moved down to bin 0; here it stays in place. A shift by whole bins
  // multiplies the samples by a phase factor, so their magnitude is the same.
  const int64_t stop = (n + 1) / 2;
  std::vector<std::complex<double>> analytic(n);
  WeightedInverse(
      x, n, plans, [stop](int64_t k) { return k >= 1 && k < stop ? 2.0 : 0.0; }, analytic.data());
  for (int64_t i = 0; i < n; ++i) out[i] = std::abs(analytic[i]);
}

}  // namespace neurofeat
