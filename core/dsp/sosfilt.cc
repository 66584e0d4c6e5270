#include "core/dsp/sosfilt.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "sosfilt.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::CappedTag<double, kSosStripeLanes>;
using V = hn::Vec<D>;

template <typename T>
HWY_INLINE V LoadLanes(D d, const T* p) {
  if constexpr (std::is_same_v<T, double>) {
    return hn::LoadU(d, p);
  } else if constexpr (std::is_same_v<T, float>) {
    return hn::PromoteTo(d, hn::LoadU(hn::Rebind<float, D>(), p));
  } else {
    const hn::Rebind<int32_t, D> di;
    return hn::PromoteTo(d, hn::PromoteTo(di, hn::LoadU(hn::Rebind<int16_t, D>(), p)));
  }
}

template <typename T>
HWY_INLINE void StoreLanes(D d, V v, T* p) {
  if constexpr (std::is_same_v<T, double>) {
    hn::StoreU(v, d, p);
  } else if constexpr (std::is_same_v<T, float>) {
    const hn::Rebind<float, D> df;
    hn::StoreU(hn::DemoteTo(df, v), df, p);
  } else if constexpr (std::is_same_v<T, int16_t>) {
    // Round half to even, saturate, then narrow (exact: already integral).
    const V r = hn::Min(hn::Max(hn::Round(v), hn::Set(d, -32768.0)), hn::Set(d, 32767.0));
    const hn::Rebind<int32_t, D> di;
    const hn::Rebind<int16_t, D> ds;
    hn::StoreU(hn::DemoteTo(ds, hn::DemoteTo(di, r)), ds, p);
  }
}

// The output type of a segment that only advances the state.
struct NoOut {};

// How much of a section's work the coefficients let us skip, exactly.
enum class Tail {
  kGeneral,  // scipy's five multiplies per section
  // Every section after the first has b0 == 1 and b2 == +-1, as all
  // Butterworth designs do (their gain sits in the first section): b0*x is
  // x, and b2*x - m is one fused multiply-subtract, since b2*x is exact and
  // only the subtraction rounds.
  kUnitB0B2,
  // ... and b1 is 0, +-1 or +-2 (band-pass, high-pass, low-pass): b1*x is
  // exact too, so b1*x - a1*y is a fused multiply-subtract as well.
  kExactTail,
};

// S sections known at compile time so the state lives in registers. The
// stripe's vectors (two on AVX2) advance together through time: they are
// independent, so their dependency chains overlap and the loop is bound by
// the floating-point ports rather than by one chain's latency. The fused
// forms move work from the adders to the multipliers (whose ports are
// otherwise less busy) and give scipy's bits: a fused a*b - c rounds once,
// exactly like scipy's separate steps when a*b needs no rounding; without
// native FMA, Highway computes the same two steps.
template <int S, Tail kTail, typename In, typename Out>
void SegmentImpl(const double* HWY_RESTRICT sos, double* HWY_RESTRICT state, const In* src,
                 int64_t src_stride, Out* dst, int64_t dst_stride, int64_t frames) {
  const D d;
  constexpr size_t kN = HWY_MIN(HWY_LANES(double), static_cast<size_t>(kSosStripeLanes));
  constexpr size_t kV = kSosStripeLanes / kN;
  V b0[S], b1[S], b2[S], a1[S], a2[S];
  V z0[S][kV], z1[S][kV];
#pragma GCC unroll 10
  for (int s = 0; s < S; ++s) {
    b0[s] = hn::Set(d, sos[s * 6 + 0]);
    b1[s] = hn::Set(d, sos[s * 6 + 1]);
    b2[s] = hn::Set(d, sos[s * 6 + 2]);
    a1[s] = hn::Set(d, sos[s * 6 + 4]);
    a2[s] = hn::Set(d, sos[s * 6 + 5]);
    for (size_t v = 0; v < kV; ++v) {
      z0[s][v] = hn::LoadU(d, state + (s * 2 + 0) * kSosStripeLanes + v * kN);
      z1[s][v] = hn::LoadU(d, state + (s * 2 + 1) * kSosStripeLanes + v * kN);
    }
  }
  const In* p = src;
  Out* q = dst;
  for (int64_t t = 0; t < frames; ++t) {
    V x[kV];
    for (size_t v = 0; v < kV; ++v) x[v] = LoadLanes(d, p + v * kN);
    p += src_stride;
#pragma GCC unroll 10
    for (int s = 0; s < S; ++s) {
#pragma GCC unroll 8
      for (size_t v = 0; v < kV; ++v) {
        if (kTail != Tail::kGeneral && s > 0) {
          const V y = hn::Add(x[v], z0[s][v]);
          if constexpr (kTail == Tail::kExactTail) {
            z0[s][v] = hn::Add(hn::MulSub(b1[s], x[v], hn::Mul(a1[s], y)), z1[s][v]);
          } else {
            z0[s][v] = hn::Add(hn::Sub(hn::Mul(b1[s], x[v]), hn::Mul(a1[s], y)), z1[s][v]);
          }
          z1[s][v] = hn::MulSub(b2[s], x[v], hn::Mul(a2[s], y));
          x[v] = y;
        } else {
          const V y = hn::Add(hn::Mul(b0[s], x[v]), z0[s][v]);
          z0[s][v] = hn::Add(hn::Sub(hn::Mul(b1[s], x[v]), hn::Mul(a1[s], y)), z1[s][v]);
          z1[s][v] = hn::Sub(hn::Mul(b2[s], x[v]), hn::Mul(a2[s], y));
          x[v] = y;
        }
      }
    }
    if constexpr (!std::is_same_v<Out, NoOut>) {
      for (size_t v = 0; v < kV; ++v) StoreLanes(d, x[v], q + v * kN);
      q += dst_stride;
    }
  }
#pragma GCC unroll 10
  for (int s = 0; s < S; ++s) {
    for (size_t v = 0; v < kV; ++v) {
      hn::StoreU(z0[s][v], d, state + (s * 2 + 0) * kSosStripeLanes + v * kN);
      hn::StoreU(z1[s][v], d, state + (s * 2 + 1) * kSosStripeLanes + v * kN);
    }
  }
}

template <int S, Tail kTail, typename In>
void SegmentNoOut(const double* sos, double* state, const In* src, int64_t src_stride,
                  int64_t frames) {
  NoOut none[kSosStripeLanes];
  SegmentImpl<S, kTail, In, NoOut>(sos, state, src, src_stride, none, 0, frames);
}

template <int S, Tail kTail, typename In>
void DispatchOut(const double* sos, double* state, const In* src, int64_t src_stride, StripeIo dst,
                 int64_t frames) {
  switch (dst.type) {
    case StripeIoType::kNone:
      return SegmentNoOut<S, kTail, In>(sos, state, src, src_stride, frames);
    case StripeIoType::kFloat64:
      return SegmentImpl<S, kTail>(sos, state, src, src_stride, static_cast<double*>(dst.ptr),
                                   dst.stride, frames);
    case StripeIoType::kFloat32:
      return SegmentImpl<S, kTail>(sos, state, src, src_stride, static_cast<float*>(dst.ptr),
                                   dst.stride, frames);
    case StripeIoType::kInt16:
      return SegmentImpl<S, kTail>(sos, state, src, src_stride, static_cast<int16_t*>(dst.ptr),
                                   dst.stride, frames);
  }
}

template <int S, Tail kTail>
void DispatchIn(const double* sos, double* state, StripeIo src, StripeIo dst, int64_t frames) {
  switch (src.type) {
    case StripeIoType::kFloat64:
      return DispatchOut<S, kTail>(sos, state, static_cast<const double*>(src.ptr), src.stride, dst,
                                   frames);
    case StripeIoType::kFloat32:
      return DispatchOut<S, kTail>(sos, state, static_cast<const float*>(src.ptr), src.stride, dst,
                                   frames);
    case StripeIoType::kInt16:
      return DispatchOut<S, kTail>(sos, state, static_cast<const int16_t*>(src.ptr), src.stride,
                                   dst, frames);
    case StripeIoType::kNone:
      return;
  }
}

template <int S>
void DispatchTail(const double* sos, double* state, StripeIo src, StripeIo dst, int64_t frames) {
  bool unit = true;
  bool exact_b1 = true;
  for (int s = 1; s < S; ++s) {
    const double* c = sos + s * 6;
    unit = unit && c[0] == 1.0 && (c[2] == 1.0 || c[2] == -1.0);
    exact_b1 =
        exact_b1 && (c[1] == 0.0 || c[1] == 1.0 || c[1] == -1.0 || c[1] == 2.0 || c[1] == -2.0);
  }
  if (unit && exact_b1) return DispatchIn<S, Tail::kExactTail>(sos, state, src, dst, frames);
  if (unit) return DispatchIn<S, Tail::kUnitB0B2>(sos, state, src, dst, frames);
  return DispatchIn<S, Tail::kGeneral>(sos, state, src, dst, frames);
}

void SegmentTarget(const double* sos, int n_sections, double* state, StripeIo src, StripeIo dst,
                   int64_t frames) {
  switch (n_sections) {
    case 1:
      return DispatchTail<1>(sos, state, src, dst, frames);
    case 2:
      return DispatchTail<2>(sos, state, src, dst, frames);
    case 3:
      return DispatchTail<3>(sos, state, src, dst, frames);
    case 4:
      return DispatchTail<4>(sos, state, src, dst, frames);
    case 5:
      return DispatchTail<5>(sos, state, src, dst, frames);
    case 6:
      return DispatchTail<6>(sos, state, src, dst, frames);
    case 7:
      return DispatchTail<7>(sos, state, src, dst, frames);
    case 8:
      return DispatchTail<8>(sos, state, src, dst, frames);
    case 9:
      return DispatchTail<9>(sos, state, src, dst, frames);
    case 10:
      return DispatchTail<10>(sos, state, src, dst, frames);
    default:
      return;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace neurofeat
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neurofeat {

HWY_EXPORT(SegmentTarget);

void SosfiltSegment(const double* sos, int n_sections, double* state, StripeIo src, StripeIo dst,
                    int64_t frames) {
  HWY_DYNAMIC_DISPATCH(SegmentTarget)(sos, n_sections, state, src, dst, frames);
}

void SosfiltStripe(const double* sos, int n_sections, double* state, double* stripe, int64_t frames,
                   bool reverse) {
  if (frames <= 0) return;
  double* first = reverse ? stripe + (frames - 1) * kSosStripeLanes : stripe;
  const int64_t stride = reverse ? -kSosStripeLanes : kSosStripeLanes;
  SosfiltSegment(sos, n_sections, state, StripeIo::Of(first, stride), StripeIo::Of(first, stride),
                 frames);
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
