#include "core/dsp/sosfilt.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "sosfilt.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One stripe, S sections known at compile time so the state lives in
// registers. Coefficients are broadcast once.
template <int S>
void StripeImpl(const double* HWY_RESTRICT sos, double* HWY_RESTRICT state,
                double* HWY_RESTRICT stripe, int64_t frames, bool reverse) {
  const hn::CappedTag<double, kSosStripeLanes> d;
  const size_t n = hn::Lanes(d);
  const int64_t step = reverse ? -kSosStripeLanes : kSosStripeLanes;
  double* const first = reverse ? stripe + (frames - 1) * kSosStripeLanes : stripe;
  for (size_t lane0 = 0; lane0 < static_cast<size_t>(kSosStripeLanes); lane0 += n) {
    using V = hn::Vec<decltype(d)>;
    V b0[S], b1[S], b2[S], a1[S], a2[S], z0[S], z1[S];
#pragma GCC unroll 10
    for (int s = 0; s < S; ++s) {
      b0[s] = hn::Set(d, sos[s * 6 + 0]);
      b1[s] = hn::Set(d, sos[s * 6 + 1]);
      b2[s] = hn::Set(d, sos[s * 6 + 2]);
      a1[s] = hn::Set(d, sos[s * 6 + 4]);
      a2[s] = hn::Set(d, sos[s * 6 + 5]);
      z0[s] = hn::LoadU(d, state + (s * 2 + 0) * kSosStripeLanes + lane0);
      z1[s] = hn::LoadU(d, state + (s * 2 + 1) * kSosStripeLanes + lane0);
    }
    double* p = first + lane0;
    for (int64_t t = 0; t < frames; ++t, p += step) {
      V x = hn::LoadU(d, p);
#pragma GCC unroll 10
      for (int s = 0; s < S; ++s) {
        const V y = hn::Add(hn::Mul(b0[s], x), z0[s]);
        z0[s] = hn::Add(hn::Sub(hn::Mul(b1[s], x), hn::Mul(a1[s], y)), z1[s]);
        z1[s] = hn::Sub(hn::Mul(b2[s], x), hn::Mul(a2[s], y));
        x = y;
      }
      hn::StoreU(x, d, p);
    }
#pragma GCC unroll 10
    for (int s = 0; s < S; ++s) {
      hn::StoreU(z0[s], d, state + (s * 2 + 0) * kSosStripeLanes + lane0);
      hn::StoreU(z1[s], d, state + (s * 2 + 1) * kSosStripeLanes + lane0);
    }
  }
}

void SosfiltStripeTarget(const double* sos, int n_sections, double* state, double* stripe,
                         int64_t frames, bool reverse) {
  switch (n_sections) {
    case 1: return StripeImpl<1>(sos, state, stripe, frames, reverse);
    case 2: return StripeImpl<2>(sos, state, stripe, frames, reverse);
    case 3: return StripeImpl<3>(sos, state, stripe, frames, reverse);
    case 4: return StripeImpl<4>(sos, state, stripe, frames, reverse);
    case 5: return StripeImpl<5>(sos, state, stripe, frames, reverse);
    case 6: return StripeImpl<6>(sos, state, stripe, frames, reverse);
    case 7: return StripeImpl<7>(sos, state, stripe, frames, reverse);
    case 8: return StripeImpl<8>(sos, state, stripe, frames, reverse);
    case 9: return StripeImpl<9>(sos, state, stripe, frames, reverse);
    case 10: return StripeImpl<10>(sos, state, stripe, frames, reverse);
    default: return;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace neurofeat
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neurofeat {

HWY_EXPORT(SosfiltStripeTarget);

void SosfiltStripe(const double* sos, int n_sections, double* state, double* stripe,
                   int64_t frames, bool reverse) {
  HWY_DYNAMIC_DISPATCH(SosfiltStripeTarget)(sos, n_sections, state, stripe, frames, reverse);
}

void SosfiltStripeScalar(const double* sos, int n_sections, double* state, double* stripe,
                         int64_t frames, bool reverse) {
  for (int lane = 0; lane < kSosStripeLanes; ++lane) {
    for (int64_t i = 0; i < frames; ++i) {
      const int64_t t = reverse ? frames - 1 - i : i;
      double x = stripe[t * kSosStripeLanes + lane];
      for (int s = 0; s < n_sections; ++s) {
        const double* c = sos + s * 6;
        double& z0 = state[(s * 2 + 0) * kSosStripeLanes + lane];
        double& z1 = state[(s * 2 + 1) * kSosStripeLanes + lane];
        const double y = c[0] * x + z0;
        z0 = c[1] * x - c[4] * y + z1;
        z1 = c[2] * x - c[5] * y;
        x = y;
      }
      stripe[t * kSosStripeLanes + lane] = x;
    }
  }
}

}  // namespace neurofeat
#endif  // HWY_ONCE
