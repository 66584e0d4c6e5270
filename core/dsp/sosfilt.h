// File: sosfilt.h
//
// The second-order-section kernel behind sosfilt/sosfiltfilt: transposed
// direct form II with float64 state, vectorised across channels (the lanes),
// dispatched at run time to the best SIMD target (Highway). Per channel the
// arithmetic is scipy's _sosfilt, operation for operation:
//   y  = b0*x + z0
//   z0 = (b1*x - a1*y) + z1
//   z1 = b2*x - a2*y
// so results are bit-identical to scipy when built without FMA contraction.
//
// Example:
//   std::vector<double> stripe(frames * kSosStripeLanes);  // 4 channels
//   std::vector<double> state(n_sections * 2 * kSosStripeLanes, 0.0);
//   SosfiltStripe(sos_flat.data(), n_sections, state.data(), stripe.data(),
//                 frames, /*reverse=*/false);
#ifndef NEUROFEAT_CORE_DSP_SOSFILT_H_
#define NEUROFEAT_CORE_DSP_SOSFILT_H_

#include <cstdint>

namespace neurofeat {

// kSosStripeLanes: channels per stripe. A stripe is frames x 4 doubles, row
// after row.
inline constexpr int kSosStripeLanes = 4;
// kMaxSosSections: an order-10 band-pass has 10 sections.
inline constexpr int kMaxSosSections = 10;

// SosfiltStripe() filters a stripe in place through `n_sections` sections
// (`sos` is n_sections x 6, rows b0 b1 b2 a0 a1 a2, a0 == 1), rows in order,
// or last row first when `reverse`. `state` (n_sections x 2 x lanes, section
// major) holds the initial conditions and receives the final ones.
// REQUIRES: 1 <= n_sections <= kMaxSosSections. Thread-compatible.
void SosfiltStripe(const double* sos, int n_sections, double* state, double* stripe,
                   int64_t frames, bool reverse);

// SosfiltStripeScalar() is the plain reference of SosfiltStripe(), for tests.
void SosfiltStripeScalar(const double* sos, int n_sections, double* state, double* stripe,
                         int64_t frames, bool reverse);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_SOSFILT_H_
