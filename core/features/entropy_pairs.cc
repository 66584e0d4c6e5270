#include "core/features/entropy_pairs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
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
struct NeighbourCountInput {
  const double* x;
  int64_t n, m, l;
  double r;
  // Vector indices i < (n - m + 1) / l in candidate order, and each slot's
  // candidate end (null: found by value, the order being an exact sort).
  const int32_t* order;
  const int32_t* ends;
};
}  // namespace neurofeat
#endif

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The columns of `count` vectors in candidate order: sample k of the vector
// with index order[s] (starting at order[s] * step) at cols[k * padded + s],
// its (m + 1)-th sample only when order[s] < p1_limit, NaN elsewhere and
// past `count` (every test on NaN is false).
std::unique_ptr<double[]> GatherColumns(const double* x, int64_t m, const int32_t* order,
                                        int64_t count, int64_t step, int64_t p1_limit,
                                        int64_t padded) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto cols = std::make_unique_for_overwrite<double[]>(static_cast<size_t>((m + 1) * padded));
  for (int64_t s = 0; s < count; ++s) {
    const int64_t start = order[s] * step;
    for (int64_t k = 0; k < m; ++k) cols[k * padded + s] = x[start + k];
    cols[m * padded + s] = order[s] < p1_limit ? x[start + m] : nan;
  }
  for (int64_t s = count; s < padded; ++s) {
    for (int64_t k = 0; k <= m; ++k) cols[k * padded + s] = nan;
  }
  return cols;
}

// Each slot's candidate end when the order is an exact sort: the first slot
// whose first sample is more than r above its own.
std::vector<int32_t> EndsByValue(const double* c0, int64_t count, double r) {
  std::vector<int32_t> ends(static_cast<size_t>(count));
  for (int64_t s = 0, end = 0; s < count; ++s) {
    if (end < s + 1) end = s + 1;
    while (end < count && c0[end] - c0[s] <= r) ++end;
    ends[s] = static_cast<int32_t>(end);
  }
  return ends;
}

void CountTarget(const PairCountInput& in, int64_t* pairs_m, int64_t* pairs_mp1) {
  const int64_t n = in.n, m = in.m, l_max = in.l_max;
  const double r = in.r;
  const int64_t total = n - m + 1;  // stride-1 vectors of dimension m
  const hn::CappedTag<double, 8> dd;
  const hn::RebindToUnsigned<decltype(dd)> du;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const int64_t padded = total + lanes;
  // The columns (p + m < n: the vector at p has an (m + 1)-th sample), then
  // per slot its strides (spread to nibbles for l_max <= 16, as bits
  // otherwise).
  const auto cols = GatherColumns(in.x, m, in.order, total, 1, n - m, padded);
  auto words = std::make_unique_for_overwrite<uint64_t[]>(static_cast<size_t>(2 * padded));
  const bool nibbles = l_max <= 16;
  const uint64_t* from_m = nibbles ? in.spread_m : in.strides_m;
  const uint64_t* from_p1 = nibbles ? in.spread_p1 : in.strides_p1;
  uint64_t* slot_m = words.get();
  uint64_t* slot_p1 = words.get() + padded;
  for (int64_t i = 0; i < padded; ++i) {
    slot_m[i] = i < total ? from_m[in.order[i]] : 0;
    slot_p1[i] = i < total ? from_p1[in.order[i]] : 0;
  }
  const double* c0 = cols.get();
  const double* c1 = m > 1 ? cols.get() + padded : nullptr;
  const double* last = cols.get() + m * padded;
  // ends[i]: candidates of slot i lie in (i, ends[i]); non-decreasing.
  std::vector<int32_t> found;
  if (in.ends == nullptr) found = EndsByValue(c0, total, r);
  const int32_t* ends = in.ends != nullptr ? in.ends : found.data();
  int64_t count_m[64] = {0}, count_p1[64] = {0};
  const auto vr = hn::Set(dd, r);
  if (l_max <= 16) {
    // Lanes hold slots a0 .. a0 + lanes - 1; each candidate b is broadcast.
    // A close candidate adds its strides, masked by the lane's own, one per
    // nibble. Nibbles hold at most 15 adds: they are then moved into byte
    // fields (even and odd strides apart, a few vector operations), and the
    // bytes, after at most 17 moves, summed over the lanes into the counts.
    const auto low_nibbles = hn::Set(du, uint64_t{0x0F0F0F0F0F0F0F0F});
    const auto low_bytes = hn::Set(du, uint64_t{0x00FF00FF00FF00FF});
    using V = hn::Vec<decltype(du)>;
    V even_m = hn::Zero(du), odd_m = hn::Zero(du), even_p1 = hn::Zero(du), odd_p1 = hn::Zero(du);
    int moves = 0;
    // Byte j of `bytes` counts stride first + 2 j (0-based); the lanes are
    // summed in 16-bit fields (at most 255 * 8).
    auto drain = [&](V bytes, int64_t first, int64_t* counts) {
      const uint64_t lo = hn::GetLane(hn::SumOfLanes(du, hn::And(bytes, low_bytes)));
      const uint64_t hi =
          hn::GetLane(hn::SumOfLanes(du, hn::And(hn::ShiftRight<8>(bytes), low_bytes)));
      for (int64_t j = 0; j < 8 && first + 2 * j < l_max; ++j) {
        counts[first + 2 * j] +=
            static_cast<int64_t>((((j & 1) ? hi : lo) >> (16 * (j >> 1))) & 0xFFFF);
      }
    };
    auto drain_all = [&] {
      drain(even_m, 0, count_m);
      drain(odd_m, 1, count_m);
      drain(even_p1, 0, count_p1);
      drain(odd_p1, 1, count_p1);
      even_m = odd_m = even_p1 = odd_p1 = hn::Zero(du);
      moves = 0;
    };
    auto move = [&](V acc_m, V acc_p1) {
      even_m = hn::Add(even_m, hn::And(acc_m, low_nibbles));
      odd_m = hn::Add(odd_m, hn::And(hn::ShiftRight<4>(acc_m), low_nibbles));
      even_p1 = hn::Add(even_p1, hn::And(acc_p1, low_nibbles));
      odd_p1 = hn::Add(odd_p1, hn::And(hn::ShiftRight<4>(acc_p1), low_nibbles));
      if (++moves == 17) drain_all();
    };
    auto acc_m = hn::Zero(du), acc_p1 = hn::Zero(du);
    int pending = 0;
    for (int64_t a0 = 0; a0 + 1 < total; a0 += lanes) {
      const int64_t block_end = ends[std::min(a0 + lanes, total) - 1];
      const auto own0 = hn::LoadU(dd, c0 + a0);
      const auto own1 = m > 1 ? hn::LoadU(dd, c1 + a0) : own0;
      const auto own_last = hn::LoadU(dd, last + a0);
      const auto own_m = hn::Mul(hn::LoadU(du, slot_m + a0), hn::Set(du, uint64_t{0xF}));
      const auto own_p1 = hn::Mul(hn::LoadU(du, slot_p1 + a0), hn::Set(du, uint64_t{0xF}));
      for (int64_t b = a0 + 1; b < block_end; ++b) {
        auto close = hn::Le(hn::Abs(hn::Sub(own0, hn::Set(dd, c0[b]))), vr);
        if (b < a0 + lanes) close = hn::And(close, hn::FirstN(dd, static_cast<size_t>(b - a0)));
        if (m > 1) close = hn::And(close, hn::Le(hn::Abs(hn::Sub(own1, hn::Set(dd, c1[b]))), vr));
        for (int64_t k = 2; k < m; ++k) {
          const double* col = cols.get() + k * padded;
          close = hn::And(
              close, hn::Le(hn::Abs(hn::Sub(hn::LoadU(dd, col + a0), hn::Set(dd, col[b]))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(own_last, hn::Set(dd, last[b]))), vr));
        acc_m = hn::Add(acc_m, hn::IfThenElseZero(hn::RebindMask(du, close),
                                                  hn::And(own_m, hn::Set(du, slot_m[b]))));
        acc_p1 = hn::Add(acc_p1, hn::IfThenElseZero(hn::RebindMask(du, close_p1),
                                                    hn::And(own_p1, hn::Set(du, slot_p1[b]))));
        if (++pending == 15) {
          move(acc_m, acc_p1);
          acc_m = hn::Zero(du);
          acc_p1 = hn::Zero(du);
          pending = 0;
        }
      }
    }
    move(acc_m, acc_p1);
    drain_all();
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
          const double* col = cols.get() + k * padded;
          close = hn::And(
              close, hn::Le(hn::Abs(hn::Sub(hn::Set(dd, col[a]), hn::LoadU(dd, col + b))), vr));
        }
        const auto close_p1 =
            hn::And(close, hn::Le(hn::Abs(hn::Sub(own_last, hn::LoadU(dd, last + b))), vr));
        const auto sb = hn::LoadU(du, slot_m + b);
        const auto spb = hn::LoadU(du, slot_p1 + b);
        for (uint64_t s = slot_m[a]; s != 0; s &= s - 1) {
          const int l = __builtin_ctzll(s);
          const auto at_l = hn::RebindMask(dd, hn::TestBit(sb, hn::Set(du, uint64_t{1} << l)));
          count_m[l] += static_cast<int64_t>(hn::CountTrue(dd, hn::And(close, at_l)));
        }
        for (uint64_t s = slot_p1[a]; s != 0; s &= s - 1) {
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

// Per-vector neighbour counts at one stride, as CountNeighbours() in
// entropy_counts.h: lanes hold 8 consecutive slots, each candidate b is
// broadcast; a close pair adds one to the lane's counter and one to b's.
void NeighbourCountTarget(const NeighbourCountInput& in, int32_t* counts_m, int32_t* counts_mp1) {
  const int64_t n = in.n, m = in.m, l = in.l;
  const double r = in.r;
  const int64_t n_m = (n - m + 1) / l, n_p = (n - m) / l;
  const hn::CappedTag<double, 8> dd;
  const hn::RebindToUnsigned<decltype(dd)> du;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const int64_t padded = n_m + lanes;
  const auto cols = GatherColumns(in.x, m, in.order, n_m, l, n_p, padded);
  const double* c0 = cols.get();
  const double* last = cols.get() + m * padded;
  std::vector<int32_t> found;
  if (in.ends == nullptr) found = EndsByValue(c0, n_m, r);
  const int32_t* ends = in.ends != nullptr ? in.ends : found.data();
  std::vector<int64_t> cnt_m(static_cast<size_t>(padded), 0),
      cnt_p1(static_cast<size_t>(padded), 0);
  const auto vr = hn::Set(dd, r);
  const auto one = hn::Set(du, uint64_t{1});
  uint64_t lane_counts[8];
  for (int64_t a0 = 0; a0 + 1 < n_m; a0 += lanes) {
    const int64_t block_end = ends[std::min(a0 + lanes, n_m) - 1];
    const auto own0 = hn::LoadU(dd, c0 + a0);
    const auto own_last = hn::LoadU(dd, last + a0);
    auto acc_m = hn::Zero(du), acc_p1 = hn::Zero(du);
    for (int64_t b = a0 + 1; b < block_end; ++b) {
      auto close = hn::Le(hn::Abs(hn::Sub(own0, hn::Set(dd, c0[b]))), vr);
      if (b < a0 + lanes) close = hn::And(close, hn::FirstN(dd, static_cast<size_t>(b - a0)));
      for (int64_t k = 1; k < m; ++k) {
        const double* col = cols.get() + k * padded;
        close = hn::And(close,
                        hn::Le(hn::Abs(hn::Sub(hn::LoadU(dd, col + a0), hn::Set(dd, col[b]))), vr));
      }
      const auto close_p1 =
          hn::And(close, hn::Le(hn::Abs(hn::Sub(own_last, hn::Set(dd, last[b]))), vr));
      acc_m = hn::Add(acc_m, hn::IfThenElseZero(hn::RebindMask(du, close), one));
      acc_p1 = hn::Add(acc_p1, hn::IfThenElseZero(hn::RebindMask(du, close_p1), one));
      cnt_m[b] += static_cast<int64_t>(hn::CountTrue(dd, close));
      cnt_p1[b] += static_cast<int64_t>(hn::CountTrue(dd, close_p1));
    }
    hn::StoreU(acc_m, du, lane_counts);
    for (int64_t j = 0; j < lanes; ++j) cnt_m[a0 + j] += static_cast<int64_t>(lane_counts[j]);
    hn::StoreU(acc_p1, du, lane_counts);
    for (int64_t j = 0; j < lanes; ++j) cnt_p1[a0 + j] += static_cast<int64_t>(lane_counts[j]);
  }
  for (int64_t s = 0; s < n_m; ++s) {
    const int64_t i = in.order[s];
    counts_m[i] = static_cast<int32_t>(cnt_m[s] + 1);  // itself included
    if (i < n_p) counts_mp1[i] = static_cast<int32_t>(cnt_p1[s] + 1);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace neurofeat
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neurofeat {

HWY_EXPORT(CountTarget);
HWY_EXPORT(NeighbourCountTarget);

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
  // Four independent minima and maxima: one chain of dependent min/max
  // instructions cost more than the rest of the sort.
  double lo4[4] = {x[0], x[0], x[0], x[0]}, hi4[4] = {x[0], x[0], x[0], x[0]};
  int64_t p = 0;
  for (; p + 4 <= total; p += 4) {
    for (int j = 0; j < 4; ++j) {
      lo4[j] = std::min(lo4[j], x[p + j]);
      hi4[j] = std::max(hi4[j], x[p + j]);
    }
  }
  for (; p < total; ++p) {
    lo4[0] = std::min(lo4[0], x[p]);
    hi4[0] = std::max(hi4[0], x[p]);
  }
  const double lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
  const double hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
  const int64_t bins = total;
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
  // bin[p], then start[k] (bins + 2 of them), then next[k], in one array.
  std::vector<int32_t> work(static_cast<size_t>(total + 2 * (bins + 2)), 0);
  int32_t* bin = work.data();
  int32_t* start = bin + total;
  int32_t* next = start + bins + 2;
  for (int64_t p = 0; p < total; ++p) {
    // (x - lo) * scale >= 0: truncation is the floor.
    bin[p] = static_cast<int32_t>(std::min(static_cast<int64_t>((x[p] - lo) * scale), bins));
    ++start[bin[p] + 1];
  }
  for (int64_t k = 0; k <= bins; ++k) start[k + 1] += start[k];
  // start[k] is now the first slot of bin k; start[bins + 1] == total.
  const double reach_bins = r * scale;  // >= 4; may be huge for a huge r
  const int64_t reach =
      reach_bins >= static_cast<double>(bins) ? bins + 1 : static_cast<int64_t>(reach_bins) + 2;
  std::copy(start, start + bins + 1, next);
  for (int64_t p = 0; p < total; ++p) {
    const int32_t i = next[bin[p]]++;
    (*order)[i] = static_cast<int32_t>(p);
    (*ends)[i] = std::max(start[std::min<int64_t>(bin[p] + reach + 1, bins + 1)], i + 1);
  }
  return true;
}

// x * 0 is NaN exactly for NaN and infinity; the sum has no early exit,
// so it vectorises.
bool AllFinite(const double* x, int64_t n) {
  double zero_or_nan = 0;
  for (int64_t p = 0; p < n; ++p) zero_or_nan += x[p] * 0.0;
  return zero_or_nan == 0;
}

// The candidate order of `count` finite values (their indices), binned with
// each slot's candidate end (true), or, when outliers coarsen the bins, an
// exact sort whose ends are found by value (false, `ends` unused).
bool CandidateOrder(const double* values, int64_t count, double r, std::vector<int32_t>* order,
                    std::vector<int32_t>* ends) {
  order->resize(static_cast<size_t>(count));
  ends->resize(static_cast<size_t>(count));
  if (QuantisedOrder(values, count, r, order, ends)) return true;
  *order = SortedPositions(values, count);
  return false;
}

}  // namespace

void MultiscalePairCounter::Count(const double* x, double r, int64_t* pairs_m,
                                  int64_t* pairs_mp1) const {
  if (!AllFinite(x, n_) || !(r > 0)) {
    MultiscalePairCountsSweep(x, n_, m_, r, l_max_, SortedPositions(x, n_), pairs_m, pairs_mp1);
    return;
  }
  // Vectors start at every position below n - m + 1.
  std::vector<int32_t> order, ends;
  const bool binned = CandidateOrder(x, n_ - m_ + 1, r, &order, &ends);
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

void CountNeighboursBanded(const double* x, int64_t n, int64_t m, double r, int64_t l,
                           std::vector<int32_t>* counts_m, std::vector<int32_t>* counts_mp1) {
  if (!AllFinite(x, n) || !(r > 0)) {
    CountNeighbours(x, n, m, r, l, SortedPositions(x, n), counts_m, counts_mp1);
    return;
  }
  // The first sample of each vector, ordered as MultiscalePairCounter does.
  const int64_t n_m = (n - m + 1) / l;
  std::vector<double> first(static_cast<size_t>(n_m));
  for (int64_t i = 0; i < n_m; ++i) first[i] = x[i * l];
  std::vector<int32_t> order, ends;
  const bool binned = CandidateOrder(first.data(), n_m, r, &order, &ends);
  counts_m->assign(static_cast<size_t>(n_m), 0);
  counts_mp1->assign(static_cast<size_t>((n - m) / l), 0);
  const NeighbourCountInput in{x, n, m, l, r, order.data(), binned ? ends.data() : nullptr};
  HWY_DYNAMIC_DISPATCH(NeighbourCountTarget)(in, counts_m->data(), counts_mp1->data());
}

}  // namespace neurofeat
#endif  // HWY_ONCE
