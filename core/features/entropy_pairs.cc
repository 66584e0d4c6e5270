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

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The sorted sweep of entropy_counts.cc without its branches: for each
// vector a (in order of first sample) the candidates b in (a, end) -- those
// whose first sample is within r -- are tested a vector of lanes at a time
// on contiguous columns; then for each stride l at which a is a vector,
// the lanes that are close and whose start is a vector at l are counted
// (a bit test and a mask popcount, no loop over hits).
void MultiscalePairCountsTarget(const double* HWY_RESTRICT x, int64_t n, int64_t m, double r,
                                int64_t l_max, const int32_t* HWY_RESTRICT sorted, int64_t* pairs_m,
                                int64_t* pairs_mp1) {
  const int64_t total = n - m + 1;  // stride-1 vectors of dimension m
  const hn::CappedTag<double, 8> dd;
  const hn::RebindToUnsigned<decltype(dd)> du;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const int64_t padded = total + lanes;
  // Bit l - 1 of in_m[p]: p starts a vector at stride l, i.e. l divides p
  // and p / l is below EEGDash's vector count (n - m + 1) / l; in_p1 the
  // same for dimension m + 1 ((n - m) / l vectors).
  std::vector<uint64_t> in_m(static_cast<size_t>(total), 0), in_p1(static_cast<size_t>(total), 0);
  // spread_at_*[p]: the same bits moved to nibble l - 1 (for l_max <= 16).
  std::vector<uint64_t> spread_at_m(static_cast<size_t>(total), 0);
  std::vector<uint64_t> spread_at_p1(static_cast<size_t>(total), 0);
  for (int64_t l = 1; l <= l_max; ++l) {
    const uint64_t nibble = l <= 16 ? uint64_t{1} << (4 * (l - 1)) : 0;
    for (int64_t p = 0; p < l * ((n - m + 1) / l); p += l) {
      in_m[p] |= uint64_t{1} << (l - 1);
      spread_at_m[p] |= nibble;
    }
    for (int64_t p = 0; p < l * ((n - m) / l); p += l) {
      in_p1[p] |= uint64_t{1} << (l - 1);
      spread_at_p1[p] |= nibble;
    }
  }
  // Columns in sorted order, padded with NaN (every test on NaN is false).
  std::vector<double> cols(static_cast<size_t>((m + 1) * padded),
                           std::numeric_limits<double>::quiet_NaN());
  std::vector<uint64_t> scales_m(static_cast<size_t>(padded), 0);
  std::vector<uint64_t> scales_p1(static_cast<size_t>(padded), 0);
  std::vector<int32_t> slot_position(static_cast<size_t>(total));
  int64_t i = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t p = sorted[k];
    if (p >= total) continue;
    for (int64_t j = 0; j < m; ++j) cols[j * padded + i] = x[p + j];
    if (p + m < n) cols[m * padded + i] = x[p + m];
    scales_m[i] = in_m[p];
    scales_p1[i] = in_p1[p];
    slot_position[i] = static_cast<int32_t>(p);
    ++i;
  }
  std::vector<int64_t> count_m(static_cast<size_t>(l_max), 0);
  std::vector<int64_t> count_p1(static_cast<size_t>(l_max), 0);
  const auto vr = hn::Set(dd, r);
  const double* c0 = cols.data();
  const double* last = cols.data() + m * padded;
  int64_t end = 0;
  if (l_max <= 16) {
    // Stride l's bit spread to nibble l - 1: a lane adds the strides of
    // each close candidate with one masked add, up to 15 times before a
    // nibble could carry; the lanes are then summed a byte per stride.
    std::vector<uint64_t> spread_m(static_cast<size_t>(padded), 0);
    std::vector<uint64_t> spread_p1(static_cast<size_t>(padded), 0);
    for (int64_t b = 0; b < total; ++b) {
      spread_m[b] = spread_at_m[slot_position[b]];
      spread_p1[b] = spread_at_p1[slot_position[b]];
    }
    // Candidates add their strides only where a is a vector too (the
    // nibbles of a's own strides), so one accumulator serves every a; it is
    // emptied into the counts before any nibble can reach 16.
    std::vector<uint64_t> nibbles_m(static_cast<size_t>(total)),
        nibbles_p1(static_cast<size_t>(total));
    for (int64_t b = 0; b < total; ++b) {
      nibbles_m[b] = spread_m[b] * 0xF;
      nibbles_p1[b] = spread_p1[b] * 0xF;
    }
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
    for (int64_t a = 0; a + 1 < total; ++a) {
      if (end < a + 1) end = a + 1;
      while (end < total && c0[end] - c0[a] <= r) ++end;
      const auto last_a = hn::Set(dd, last[a]);
      const auto own_m = hn::Set(du, nibbles_m[a]);
      const auto own_p1 = hn::Set(du, nibbles_p1[a]);
      for (int64_t b = a + 1; b < end; b += lanes) {
        auto close = hn::FirstN(dd, static_cast<size_t>(end - b));
        for (int64_t k = 1; k < m; ++k) {
          const double* col = cols.data() + k * padded;
          close = hn::And(
              close, hn::Le(hn::Abs(hn::Sub(hn::Set(dd, col[a]), hn::LoadU(dd, col + b))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(last_a, hn::LoadU(dd, last + b))), vr));
        acc_m =
            hn::Add(acc_m, hn::IfThenElseZero(hn::RebindMask(du, close),
                                              hn::And(own_m, hn::LoadU(du, spread_m.data() + b))));
        acc_p1 = hn::Add(acc_p1,
                         hn::IfThenElseZero(hn::RebindMask(du, close_p1),
                                            hn::And(own_p1, hn::LoadU(du, spread_p1.data() + b))));
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
    for (int64_t a = 0; a + 1 < total; ++a) {
      if (end < a + 1) end = a + 1;
      while (end < total && c0[end] - c0[a] <= r) ++end;
      const uint64_t sa = scales_m[a], sp = scales_p1[a];
      const auto last_a = hn::Set(dd, last[a]);
      for (int64_t b = a + 1; b < end; b += lanes) {
        auto close = hn::FirstN(dd, static_cast<size_t>(end - b));
        for (int64_t k = 1; k < m; ++k) {
          const double* col = cols.data() + k * padded;
          close = hn::And(
              close, hn::Le(hn::Abs(hn::Sub(hn::Set(dd, col[a]), hn::LoadU(dd, col + b))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(last_a, hn::LoadU(dd, last + b))), vr));
        const auto sb = hn::LoadU(du, scales_m.data() + b);
        const auto spb = hn::LoadU(du, scales_p1.data() + b);
        for (uint64_t s = sa; s != 0; s &= s - 1) {
          const int l = __builtin_ctzll(s);
          const auto at_l = hn::RebindMask(dd, hn::TestBit(sb, hn::Set(du, uint64_t{1} << l)));
          count_m[l] += static_cast<int64_t>(hn::CountTrue(dd, hn::And(close, at_l)));
        }
        for (uint64_t s = sp; s != 0; s &= s - 1) {
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

HWY_EXPORT(MultiscalePairCountsTarget);

void MultiscalePairCountsBanded(const double* x, int64_t n, int64_t m, double r, int64_t l_max,
                                int64_t* pairs_m, int64_t* pairs_mp1) {
  const std::vector<int32_t> sorted = SortedPositions(x, n);
  HWY_DYNAMIC_DISPATCH(MultiscalePairCountsTarget)
  (x, n, m, r, l_max, sorted.data(), pairs_m, pairs_mp1);
}

}  // namespace neurofeat
#endif  // HWY_ONCE
