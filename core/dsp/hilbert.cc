#include "core/dsp/hilbert.h"

namespace neurofeat {

void AnalyticSignal(const double* x, int64_t n, FftPlans& plans, std::complex<double>* out) {
  FftBuffer<std::complex<double>> in(n), spec(n), back(n);
  for (int64_t i = 0; i < n; ++i) in[i] = x[i];
  plans.ForwardComplex(in.data(), spec.data(), n);
  // h = 1 at DC (and Nyquist for even n), 2 for positive, 0 for negative bins.
  const int64_t half = n / 2;
  for (int64_t k = 1; k < n; ++k) {
    double h = 0.0;
    if (n % 2 == 0) {
      h = k < half ? 2.0 : (k == half ? 1.0 : 0.0);
    } else {
      h = k <= half ? 2.0 : 0.0;
    }
    spec[k] *= h;
  }
  plans.BackwardComplex(spec.data(), back.data(), n);
  const double inv = 1.0 / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) out[i] = back[i] * inv;
}

}  // namespace neurofeat
