// File: hilbert.h
//
// The analytic signal, as scipy.signal.hilbert computes it: FFT, zero the
// negative frequencies and double the positive ones, inverse FFT.
#ifndef NEUROFEAT_CORE_DSP_HILBERT_H_
#define NEUROFEAT_CORE_DSP_HILBERT_H_

#include <complex>
#include <cstdint>

#include "core/dsp/fft.h"

namespace neurofeat {

// AnalyticSignal() writes n complex samples x + i * H[x] to `out`.
void AnalyticSignal(const double* x, int64_t n, FftPlans& plans, std::complex<double>* out);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_HILBERT_H_
