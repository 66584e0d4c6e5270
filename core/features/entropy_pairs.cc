#include "core/features/entropy_pairs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/features/entropy_counts.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "entropy_pairs.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

// Defined once although Highway includes this file once per target.
#ifndef NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_INPUT_
#define NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_INPUT_
namespace neurofeat {
struct PairCountInput {
  const double* x;
  int64_t n, m, l_max;
  double r;
  // Positions p < n - m + 1 in candidate order, and for each slot i the
  // end of its candidates (i, ends[i]), non-decreasing; null when the order
  // is an exact sort (the ends are then found by value).
  const int32_t* order;
  const int32_t* ends;
  const uint64_t *strides_m, *strides_p1, *spread_m, *spread_p1;
};
}  // namespace neurofeat
#endif

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;


void CountTarget(const PairCountInput& in, int64_t* pairs_m, int64_t* pairs_mp1) {
  const int64_t n = in.n, m = in.m, l_max = in.l_max;
  const double r = in.r;
  const int64_t total = n - m + 1;  // stride-1 vectors of dimension m
  const hn::CappedTag<double, 8> dd;
  const hn::RebindToUnsigned<decltype(dd)> du;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const int64_t padded = total + lanes;
  // One allocation: the columns in candidate order (NaN past the end:
  // every test on NaN is false), then the per-slot stride words.
  std::vector<double> cols(static_cast<size_t>((m + 1) * padded),
                           std::numeric_limits<double>::quiet_NaN());
  std::vector<uint64_t> words(static_cast<size_t>(4 * padded), 0);
  uint64_t* slot_strides_m = words.data();
  uint64_t* slot_strides_p1 = words.data() + padded;
  uint64_t* slot_spread_m = words.data() + 2 * padded;
  uint64_t* slot_spread_p1 = words.data() + 3 * padded;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t p = in.order[i];
    for (int64_t k = 0; k < m; ++k) cols[k * padded + i] = in.x[p + k];
    if (p + m < n) cols[m * padded + i] = in.x[p + m];
    slot_strides_m[i] = in.strides_m[p];
    slot_strides_p1[i] = in.strides_p1[p];
    slot_spread_m[i] = in.spread_m[p];
    slot_spread_p1[i] = in.spread_p1[p];
  }
  const double* c0 = cols.data();
  const double* c1 = m > 1 ? cols.data() + padded : nullptr;
  const double* last = cols.data() + m * padded;
  // ends[i]: candidates of slot i lie in (i, ends[i]); non-decreasing.
  std::vector<int64_t> ends(static_cast<size_t>(total));
  if (in.ends != nullptr) {
    for (int64_t i = 0; i < total; ++i) ends[i] = std::max<int64_t>(in.ends[i], i + 1);
  } else {
    for (int64_t i = 0, end = 0; i < total; ++i) {
      if (end < i + 1) end = i + 1;
      while (end < total && c0[end] - c0[i] <= r) ++end;
      ends[i] = end;
    }
  }
  std::vector<int64_t> count_m(static_cast<size_t>(l_max), 0);
  std::vector<int64_t> count_p1(static_cast<size_t>(l_max), 0);
  const auto vr = hn::Set(dd, r);
  if (l_max <= 16) {
    // Lanes hold slots a0 .. a0 + lanes - 1; each candidate b is broadcast.
    // A close candidate adds its strides, masked by the lane's own, one per
    // nibble; the accumulators are emptied before a nibble can reach 16.
    const auto low_nibbles = hn::Set(du, uint64_t{0x0F0F0F0F0F0F0F0F});
    auto flush = [&](hn::Vec<decltype(du)> acc, int64_t* counts) {
      const uint64_t even = hn::GetLane(hn::SumOfLanes(du, hn::And(acc, low_nibbles)));
      const uint64_t odd =
          hn::GetLane(hn::SumOfLanes(du, hn::And(hn::ShiftRight<4>(acc), low_nibbles)));
      for (int64_t l = 0; l < l_max; ++l) {
        counts[l] += static_cast<int64_t>((((l & 1) ? odd : even) >> (8 * (l >> 1))) & 0xFF);
      }
    };
    auto acc_m = hn::Zero(du), acc_p1 = hn::Zero(du);
    int pending = 0;
    for (int64_t a0 = 0; a0 + 1 < total; a0 += lanes) {
      const int64_t block_end = ends[std::min(a0 + lanes, total) - 1];
      const auto own0 = hn::LoadU(dd, c0 + a0);
      const auto own1 = m > 1 ? hn::LoadU(dd, c1 + a0) : own0;
      const auto own_last = hn::LoadU(dd, last + a0);
      const auto own_m = hn::Mul(hn::LoadU(du, slot_spread_m + a0), hn::Set(du, uint64_t{0xF}));
      const auto own_p1 = hn::Mul(hn::LoadU(du, slot_spread_p1 + a0), hn::Set(du, uint64_t{0xF}));
      for (int64_t b = a0 + 1; b < block_end; ++b) {
        auto close = hn::Le(hn::Abs(hn::Sub(own0, hn::Set(dd, c0[b]))), vr);
        if (b < a0 + lanes) close = hn::And(close, hn::FirstN(dd, static_cast<size_t>(b - a0)));
        if (m > 1) close = hn::And(close, hn::Le(hn::Abs(hn::Sub(own1, hn::Set(dd, c1[b]))), vr));
        for (int64_t k = 2; k < m; ++k) {
          const double* col = cols.data() + k * padded;
          close = hn::And(
              close,
              hn::Le(hn::Abs(hn::Sub(hn::LoadU(dd, col + a0), hn::Set(dd, col[b]))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(own_last, hn::Set(dd, last[b]))), vr));
        acc_m = hn::Add(acc_m, hn::IfThenElseZero(hn::RebindMask(du, close),
                                                  hn::And(own_m, hn::Set(du, slot_spread_m[b]))));
        acc_p1 = hn::Add(acc_p1,
                         hn::IfThenElseZero(hn::RebindMask(du, close_p1),
                                            hn::And(own_p1, hn::Set(du, slot_spread_p1[b]))));
        if (++pending == 15) {
          flush(acc_m, count_m.data());
          flush(acc_p1, count_p1.data());
          acc_m = hn::Zero(du);
          acc_p1 = hn::Zero(du);
          pending = 0;
        }
      }
    }
    flush(acc_m, count_m.data());
    flush(acc_p1, count_p1.data());
  } else {
    // More strides than nibbles: per slot a, its candidates a vector at a
    // time, counted per stride of a by a bit test and a mask popcount.
    for (int64_t a = 0; a + 1 < total; ++a) {
      const int64_t end = ends[a];
      const auto own0 = hn::Set(dd, c0[a]);
      const auto own_last = hn::Set(dd, last[a]);
      for (int64_t b = a + 1; b < end; b += lanes) {
        auto close = hn::And(hn::FirstN(dd, static_cast<size_t>(end - b)),
                             hn::Le(hn::Abs(hn::Sub(own0, hn::LoadU(dd, c0 + b))), vr));
        for (int64_t k = 1; k < m; ++k) {
          const double* col = cols.data() + k * padded;
          close = hn::And(
              close, hn::Le(hn::Abs(hn::Sub(hn::Set(dd, col[a]), hn::LoadU(dd, col + b))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(own_last, hn::LoadU(dd, last + b))), vr));
        const auto sb = hn::LoadU(du, slot_strides_m + b);
        const auto spb = hn::LoadU(du, slot_strides_p1 + b);
        for (uint64_t s = slot_strides_m[a]; s != 0; s &= s - 1) {
          const int l = __builtin_ctzll(s);
          const auto at_l = hn::RebindMask(dd, hn::TestBit(sb, hn::Set(du, uint64_t{1} << l)));
          count_m[l] += static_cast<int64_t>(hn::CountTrue(dd, hn::And(close, at_l)));
        }
        for (uint64_t s = slot_strides_p1[a]; s != 0; s &= s - 1) {
          const int l = __builtin_ctzll(s);
          const auto at_l = hn::RebindMask(dd, hn::TestBit(spb, hn::Set(du, uint64_t{1} << l)));
          count_p1[l] += static_cast<int64_t>(hn::CountTrue(dd, hn::And(close_p1, at_l)));
        }
      }
    }
  }
  for (int64_t l = 0; l < l_max; ++l) {
    pairs_m[l] = count_m[l];
    pairs_mp1[l] = count_p1[l];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace neurofeat
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neurofeat {

HWY_EXPORT(CountTarget);

MultiscalePairCounter::MultiscalePairCounter(int64_t n, int64_t m, int64_t l_max)
    : n_(n), m_(m), l_max_(l_max) {
  const int64_t total = n - m + 1;
  strides_m_.assign(static_cast<size_t>(total), 0);
  strides_p1_.assign(static_cast<size_t>(total), 0);
  spread_m_.assign(static_cast<size_t>(total), 0);
  spread_p1_.assign(static_cast<size_t>(total), 0);
  for (int64_t l = 1; l <= l_max; ++l) {
    const uint64_t nibble = l <= 16 ? uint64_t{1} << (4 * (l - 1)) : 0;
    for (int64_t p = 0; p < l * ((n - m + 1) / l); p += l) {
      strides_m_[p] |= uint64_t{1} << (l - 1);
      spread_m_[p] |= nibble;
    }
    for (int64_t p = 0; p < l * ((n - m) / l); p += l) {
      strides_p1_[p] |= uint64_t{1} << (l - 1);
      spread_p1_[p] |= nibble;
    }
  }
}

namespace {

// Start positions 0..total-1 ordered by x[p] quantised to 2 * total bins
// of width w (a counting sort), and each slot's candidate end: slots in
// bins more than r / w + 2 above a slot's own hold values more than r above
// it (a value in bin k lies in [lo + k w, lo + (k + 1) w) up to the
// rounding of (x - lo) / w), so the candidates of a slot are the slots
// after it up to the end of that bin: no search by value. False when the
// bins would be too coarse to narrow the candidates (outliers stretch the
// range).
bool QuantisedOrder(const double* x, int64_t total, double r, std::vector<int32_t>* order,
                    std::vector<int32_t>* ends) {
  double lo = x[0], hi = x[0];
  for (int64_t p = 0; p < total; ++p) {
    lo = std::min(lo, x[p]);
    hi = std::max(hi, x[p]);
  }
  const int64_t bins = 2 * total;
  const double width = (hi - lo) / static_cast<double>(bins);
  if (!(width <= r / 4)) return false;
  if (width == 0) {  // all equal: every later slot is a candidate
    for (int64_t p = 0; p < total; ++p) {
      (*order)[p] = static_cast<int32_t>(p);
      (*ends)[p] = static_cast<int32_t>(total);
    }
    return true;
  }
  const double scale = 1.0 / width;
  std::vector<int32_t> bin(static_cast<size_t>(total)), start(static_cast<size_t>(bins + 2), 0);
  for (int64_t p = 0; p < total; ++p) {
    bin[p] = static_cast<int32_t>(
        std::min<double>(static_cast<double>(bins), std::floor((x[p] - lo) * scale)));
    ++start[bin[p] + 1];
  }
  for (int64_t k = 0; k <= bins; ++k) start[k + 1] += start[k];
  // start[k] is now the first slot of bin k; start[bins + 1] == total.
  const double reach_bins = r * scale;  // >= 4; may be huge for a huge r
  const int64_t reach =
      reach_bins >= static_cast<double>(bins) ? bins + 1 : static_cast<int64_t>(reach_bins) + 2;
  std::vector<int32_t> next(start.begin(), start.end() - 1);
  for (int64_t p = 0; p < total; ++p) {
    const int32_t i = next[bin[p]]++;
    (*order)[i] = static_cast<int32_t>(p);
    (*ends)[i] = start[std::min<int64_t>(bin[p] + reach + 1, bins + 1)];
  }
  return true;
}

}  // namespace

void MultiscalePairCounter::Count(const double* x, double r, int64_t* pairs_m,
                                  int64_t* pairs_mp1) const {
  const int64_t total = n_ - m_ + 1;
  std::vector<int32_t> order(static_cast<size_t>(total)), ends(static_cast<size_t>(total));
  bool finite = true;
  for (int64_t p = 0; p < n_ && finite; ++p) finite = std::isfinite(x[p]);
  if (!finite || !(r > 0)) {
    MultiscalePairCountsSweep(x, n_, m_, r, l_max_, SortedPositions(x, n_), pairs_m, pairs_mp1);
    return;
  }
  const bool binned = QuantisedOrder(x, total, r, &order, &ends);
  if (!binned) {
    // Outliers: an exact sort of the start positions.
    int64_t i = 0;
    for (int32_t p : SortedPositions(x, n_)) {
      if (p < total) order[i++] = p;
    }
  }
  const PairCountInput in{x,
                          n_,
                          m_,
                          l_max_,
                          r,
                          order.data(),
                          binned ? ends.data() : nullptr,
                          strides_m_.data(),
                          strides_p1_.data(),
                          spread_m_.data(),
                          spread_p1_.data()};
  HWY_DYNAMIC_DISPATCH(CountTarget)(in, pairs_m, pairs_mp1);
}

}  // namespace neurofeat
#endif  // HWY_ONCE
