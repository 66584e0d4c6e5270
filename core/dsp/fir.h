// File: fir.h
//
// Linear-phase FIR band-pass as EEGDash's band-pass preprocessor builds it:
// scipy.signal.firwin(numtaps, [f_lo, f_hi], fs=fs, pass_zero=False,
// window="hamming"), applied with scipy.signal.filtfilt(b, [1.0], x, padlen).
#ifndef NEUROFEAT_CORE_DSP_FIR_H_
#define NEUROFEAT_CORE_DSP_FIR_H_

#include <cstdint>
#include <vector>

namespace neurofeat {

// FirwinBandpass() returns scipy's firwin taps (Hamming window, scaled to
// unit gain at the centre of the pass band). REQUIRES 0 < f_lo < f_hi < fs/2.
std::vector<double> FirwinBandpass(int64_t numtaps, double f_lo, double f_hi, double fs);

// FirFiltfilt() is filtfilt(b, [1.0], x, padlen=padlen) with odd padding and
// lfilter_zi initial conditions, on n samples. REQUIRES padlen < n.
void FirFiltfilt(const std::vector<double>& b, const double* x, int64_t n, int64_t padlen,
                 double* y);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_FIR_H_
