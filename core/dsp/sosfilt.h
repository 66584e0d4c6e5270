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
// A stripe is kSosStripeLanes (8) channels. The kernel reads its input from, and
// writes its output to, either a float64 stripe buffer (frames x 4 doubles)
// or the time-major traces themselves (any row stride, int16/float32/float64,
// converted on the fly), so applying a filter needs no separate copy in or
// out.
//
// Example:
//   std::vector<double> state(n_sections * 2 * kSosStripeLanes, 0.0);
//   SosfiltSegment(sos.data(), n_sections, state.data(),
//                  StripeIo::Of(input_row0 + c0, channels),
//                  StripeIo::Of(stripe.data(), kSosStripeLanes), frames);
#ifndef NEUROFEAT_CORE_DSP_SOSFILT_H_
#define NEUROFEAT_CORE_DSP_SOSFILT_H_

#include <cstdint>

namespace neurofeat {

// kSosStripeLanes: channels per stripe.
inline constexpr int kSosStripeLanes = 8;
// kMaxSosSections: an order-10 band-pass has 10 sections.
inline constexpr int kMaxSosSections = 10;

enum class StripeIoType { kNone, kFloat64, kFloat32, kInt16 };

// StripeIo: where the kernel reads or writes the 8 lanes of each frame:
// `ptr` points at frame 0's first lane; frame t is at ptr + t * stride
// elements (stride may be negative to walk backwards). int16 output is
// rounded half to even and saturated; float32 output rounded to nearest.
struct StripeIo {
  StripeIoType type = StripeIoType::kNone;
  void* ptr = nullptr;
  int64_t stride = 0;

  static StripeIo Of(const double* p, int64_t stride) {
    return {StripeIoType::kFloat64, const_cast<double*>(p), stride};
  }
  static StripeIo Of(const float* p, int64_t stride) {
    return {StripeIoType::kFloat32, const_cast<float*>(p), stride};
  }
  static StripeIo Of(const int16_t* p, int64_t stride) {
    return {StripeIoType::kInt16, const_cast<int16_t*>(p), stride};
  }
  static StripeIo None() { return {}; }
};

// SosfiltSegment() runs `frames` frames of 8 channels through `n_sections`
// sections (`sos` is n_sections x 6, rows b0 b1 b2 a0 a1 a2, a0 == 1),
// reading `src` (which must not be kNone) and writing `dst` (kNone: only
// the state advances). `state` (n_sections x 2 x 8, section major) holds the
// initial conditions and receives the final ones. src and dst may be the
// same stripe (in place).
// REQUIRES: 1 <= n_sections <= kMaxSosSections. Thread-compatible.
void SosfiltSegment(const double* sos, int n_sections, double* state, StripeIo src, StripeIo dst,
                    int64_t frames);

// SosfiltStripe() filters a float64 stripe (frames x 8) in place, rows in
// order, or last row first when `reverse`.
void SosfiltStripe(const double* sos, int n_sections, double* state, double* stripe, int64_t frames,
                   bool reverse);

// SosfiltStripeScalar() is the plain reference of SosfiltStripe(), for tests.
void SosfiltStripeScalar(const double* sos, int n_sections, double* state, double* stripe,
                         int64_t frames, bool reverse);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_SOSFILT_H_
