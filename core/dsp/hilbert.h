// File: hilbert.h
//
// The analytic signal, as scipy.signal.hilbert computes it: FFT, zero the
// negative frequencies and double the positive ones, inverse FFT. And the
// envelope built from it, as scipy.signal.envelope (scipy >= 1.16) computes
// it with its default band.
//
// Example:
//   FftPlans plans;
//   std::vector<double> env(n);
//   Envelope(x.data(), n, plans, env.data());  // |analytic signal|, mean removed
#ifndef NEUROFEAT_CORE_DSP_HILBERT_H_
#define NEUROFEAT_CORE_DSP_HILBERT_H_

#include <complex>
#include <cstdint>

#include "core/dsp/fft.h"

namespace neurofeat {

// AnalyticSignal() writes n complex samples x + i * H[x] to `out`.
void AnalyticSignal(const double* x, int64_t n, FftPlans& plans, std::complex<double>* out);

// Envelope() writes the n-sample envelope of x, as
// scipy.signal.envelope(x, residual=None) computes it with its other
// defaults (bp_in=(1, None), n_out=None, squared=False): the magnitude of the
// analytic signal made of the bins 1 .. (n + 1) / 2 - 1 of the FFT only. Bin
// 0 (the mean) is left out and so, for even n, is the Nyquist bin, which
// scipy.signal.hilbert keeps; for odd n the result is |hilbert(x - mean(x))|.
// REQUIRES: n >= 3 (scipy raises for fewer: its band would be empty).
// Thread-safe as far as `plans` is (FftPlans is).
void Envelope(const double* x, int64_t n, FftPlans& plans, double* out);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_HILBERT_H_
