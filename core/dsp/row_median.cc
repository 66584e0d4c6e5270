#include "core/dsp/row_median.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "row_median.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace neurofeat {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Ranks at or below this are finished by insertion sort.
constexpr int kSmall = 8;
// Values the bracket aims to keep around the median.
constexpr float kBracketTarget = 32.0f;

void InsertionSort(float* v, int n) {
  for (int i = 1; i < n; ++i) {
    const float x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

float MedianOf3(float a, float b, float c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

// Left-packing permutations: entry m lists the lanes whose bit is set in m,
// in order, then the others. Highway 1.0.3's own CompressStore copies a 1 KiB
// table onto the stack on every call on AVX2, which made it slower than
// scalar code; this table is built once per target.
template <size_t N>
const int32_t* PackTable() {
  static const std::vector<int32_t> table = [] {
    std::vector<int32_t> t((size_t{1} << N) * N);
    for (size_t m = 0; m < (size_t{1} << N); ++m) {
      size_t o = 0;
      for (size_t i = 0; i < N; ++i) {
        if (m & (size_t{1} << i)) t[m * N + o++] = static_cast<int32_t>(i);
      }
      for (size_t i = 0; i < N; ++i) {
        if (!(m & (size_t{1} << i))) t[m * N + o++] = static_cast<int32_t>(i);
      }
    }
    return t;
  }();
  return table.data();
}

// Quickselect with a vectorised partition: each pass splits the current
// range into "< pivot" and ">= pivot" with two compress-stores per vector.
// Returns the element of rank k (0-based) of src[0..n) and, in *below, the
// element of rank k - 1 (lowest() when k == 0). `scratch` holds 3 * (n +
// lanes) floats.
float SelectPair(const float* src, int n, int k, float* scratch, float* below) {
  const hn::CappedTag<float, 8> d;
  constexpr size_t kN = HWY_MIN(8, HWY_LANES(float));
  const int32_t* pack = PackTable<kN>();
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int stride = n + lanes;
  float* bufs[3] = {scratch, scratch + stride, scratch + 2 * stride};
  const float* cur = src;
  int m = n;
  int cur_buf = -1;  // src itself
  float lower_max = std::numeric_limits<float>::lowest();
  const auto neg_inf = hn::Set(d, std::numeric_limits<float>::lowest());
  while (m > kSmall) {
    const float pivot = MedianOf3(cur[0], cur[m / 2], cur[m - 1]);
    // Write the two sides into the two buffers that are not being read.
    const int li = cur_buf == 0 ? 1 : 0;
    const int ri = cur_buf == 0 || cur_buf == 1 ? 2 : 1;
    float* left = bufs[li];
    float* right = bufs[ri];
    const auto vp = hn::Set(d, pivot);
    auto vmax = neg_inf;
    size_t nl = 0, nr = 0;
    int i = 0;
    for (; i + lanes <= m; i += lanes) {
      const auto v = hn::LoadU(d, cur + i);
      const auto lt = hn::Lt(v, vp);
      vmax = hn::Max(vmax, hn::IfThenElse(lt, v, neg_inf));
      uint8_t bits[8] = {0};
      hn::StoreMaskBits(d, lt, bits);
      const size_t mask = bits[0];
      const size_t count = static_cast<size_t>(__builtin_popcount(static_cast<unsigned>(mask)));
      // Left-packed "<" lanes go to `left`; the complement's packing puts
      // the ">=" lanes first for `right`.
      hn::StoreU(hn::TableLookupLanes(v, hn::SetTableIndices(d, pack + mask * kN)), d, left + nl);
      const size_t inv = (~mask) & ((size_t{1} << kN) - 1);
      hn::StoreU(hn::TableLookupLanes(v, hn::SetTableIndices(d, pack + inv * kN)), d, right + nr);
      nl += count;
      nr += kN - count;
    }
    float smax = hn::GetLane(hn::MaxOfLanes(d, vmax));
    for (; i < m; ++i) {
      const float v = cur[i];
      if (v < pivot) {
        left[nl++] = v;
        smax = std::max(smax, v);
      } else {
        right[nr++] = v;
      }
    }
    if (k < static_cast<int>(nl)) {
      cur = left;
      m = static_cast<int>(nl);
      cur_buf = li;
    } else if (nl == 0) {
      // The pivot is the minimum. Peel off its copies; if rank k is among
      // them we are done.
      int equal = 0;
      int w = 0;
      for (int j = 0; j < m; ++j) {
        if (right[j] == pivot) {
          ++equal;
        } else {
          right[w++] = right[j];
        }
      }
      if (k < equal) {
        *below = k > 0 ? pivot : lower_max;
        return pivot;
      }
      lower_max = pivot;
      k -= equal;
      cur = right;
      m = w;
      cur_buf = ri;
    } else {
      lower_max = std::max(lower_max, smax);
      k -= static_cast<int>(nl);
      cur = right;
      m = static_cast<int>(nr);
      cur_buf = ri;
    }
  }
  float* tail = bufs[cur_buf == 0 ? 1 : 0];
  std::copy(cur, cur + m, tail);
  InsertionSort(tail, m);
  *below = k > 0 ? tail[k - 1] : lower_max;
  return tail[k];
}

// Few enough values to select among by counting.
constexpr int kCountingMax = 64;

// Rank selection by counting, for the few dozen values a bracket keeps: the
// element of rank k is the largest value with at most k values below it
// (values equal to it do not count), duplicates included. Branch-free, unlike
// quickselect and insertion sort on so few values. `c` holds m values
// (1 <= m <= kCountingMax) and room for kN more after them, which are
// overwritten. Returns rank k and, in *below, rank k - 1 (k >= 1).
float SelectPairByCounting(float* c, int m, int k, float* below) {
  const hn::CappedTag<float, 8> d;
  const hn::RebindToSigned<decltype(d)> di;
  constexpr size_t kN = HWY_MIN(8, HWY_LANES(float));
  // Padding lanes hold +inf: every (finite) value is below them, so their
  // count exceeds any rank asked for and they are never chosen.
  for (size_t i = 0; i < kN; ++i) c[m + i] = std::numeric_limits<float>::infinity();
  const auto lowest = hn::Set(d, std::numeric_limits<float>::lowest());
  // "at most k below" as "fewer than k + 1" (Highway has no integer <=).
  const auto rank_k = hn::Set(di, k + 1);
  const auto rank_below = hn::Set(di, k);
  auto best = lowest;
  auto best_below = lowest;
  for (int i = 0; i < m; i += static_cast<int>(kN)) {
    const auto ci = hn::LoadU(d, c + i);
    auto less = hn::Zero(di);
    for (int j = 0; j < m; ++j) {
      // A true mask is all ones, -1 as an integer.
      less = hn::Sub(less, hn::VecFromMask(di, hn::RebindMask(di, hn::Lt(hn::Set(d, c[j]), ci))));
    }
    best = hn::Max(best, hn::IfThenElse(hn::RebindMask(d, hn::Lt(less, rank_k)), ci, lowest));
    best_below = hn::Max(best_below,
                         hn::IfThenElse(hn::RebindMask(d, hn::Lt(less, rank_below)), ci, lowest));
  }
  *below = hn::GetLane(hn::MaxOfLanes(d, best_below));
  return hn::GetLane(hn::MaxOfLanes(d, best));
}

// One pass that keeps only values in [lo, hi] (left-packed into `mid`) and
// counts those below lo. Returns the number kept.
int Bracket(const float* v, int n, float lo, float hi, float* mid, int* below_count) {
  const hn::CappedTag<float, 8> d;
  constexpr size_t kN = HWY_MIN(8, HWY_LANES(float));
  const int32_t* pack = PackTable<kN>();
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto vlo = hn::Set(d, lo);
  const auto vhi = hn::Set(d, hi);
  size_t nm = 0, nb = 0;
  int i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto x = hn::LoadU(d, v + i);
    const auto below = hn::Lt(x, vlo);
    const auto inside = hn::And(hn::Not(below), hn::Le(x, vhi));
    nb += hn::CountTrue(d, below);
    uint8_t bits[8] = {0};
    hn::StoreMaskBits(d, inside, bits);
    hn::StoreU(hn::TableLookupLanes(x, hn::SetTableIndices(d, pack + bits[0] * kN)), d, mid + nm);
    nm += static_cast<size_t>(__builtin_popcount(bits[0]));
  }
  for (; i < n; ++i) {
    const float x = v[i];
    nb += x < lo;
    mid[nm] = x;
    nm += (x >= lo) & (x <= hi);
  }
  *below_count = static_cast<int>(nb);
  return static_cast<int>(nm);
}

// Median of a row, starting from the previous row's median: rows of a
// filtered recording have close medians, so a narrow bracket around the last
// one usually holds both middle ranks; one pass then leaves a few dozen
// values to sort. state = {centre, half width}; a half width of 0 means
// "unknown". Falls back to quickselect whenever the bracket misses.
float TrackedMedianTarget(const float* v, int n, float* scratch, float* state) {
  const int k = n / 2;
  const int need_lo = n % 2 == 1 ? k : k - 1;  // lowest rank needed
  float* mid = scratch;
  float* work = scratch + n + 64;
  if (state[1] > 0) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const float lo = state[0] - state[1], hi = state[0] + state[1];
      int below = 0;
      const int m = Bracket(v, n, lo, hi, mid, &below);
      if (below <= need_lo && below + m > k) {
        float lower = 0;
        const float hi_val = m <= kCountingMax && k - below >= 1
                                 ? SelectPairByCounting(mid, m, k - below, &lower)
                                 : SelectPair(mid, m, k - below, work, &lower);
        const float med = n % 2 == 1 ? hi_val : (lower + hi_val) / 2.0f;
        // Steer the width towards kBracketTarget values inside.
        const float scale =
            std::clamp(kBracketTarget / static_cast<float>(std::max(m, 1)), 0.5f, 2.0f);
        state[0] = med;
        state[1] *= scale;
        return med;
      }
      state[1] *= 4;
    }
  }
  float lower = 0;
  const float hi_val = SelectPair(v, n, k, work, &lower);
  const float med = n % 2 == 1 ? hi_val : (lower + hi_val) / 2.0f;
  // Re-seed the half width from this row: the 16th smallest distance to the
  // median.
  for (int i = 0; i < n; ++i) mid[i] = std::fabs(v[i] - med);
  const int r = std::min(n - 1, 16);
  std::nth_element(mid, mid + r, mid + n);
  state[0] = med;
  state[1] = std::max(mid[r], std::numeric_limits<float>::min());
  return med;
}

float SelectPairTarget(const float* src, int n, int k, float* scratch, float* below) {
  return SelectPair(src, n, k, scratch, below);
}

float MedianTarget(const float* values, int n, float* scratch) {
  float below = 0;
  const float hi = SelectPair(values, n, n / 2, scratch, &below);
  if (n % 2 == 1) return hi;
  return (below + hi) / 2.0f;
}

}  // namespace HWY_NAMESPACE
}  // namespace neurofeat
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace neurofeat {

HWY_EXPORT(MedianTarget);
HWY_EXPORT(SelectPairTarget);
HWY_EXPORT(TrackedMedianTarget);

int MedianScratchFloats(int n) { return 4 * (n + 64); }

float MedianFloat32(const float* values, int n, float* scratch) {
  return HWY_DYNAMIC_DISPATCH(MedianTarget)(values, n, scratch);
}

double MedianInt16(const int16_t* values, int n, float* scratch) {
  // int16 values are exact in float32; the pair's mean is taken in float64.
  float* as_float = scratch;
  for (int i = 0; i < n; ++i) as_float[i] = static_cast<float>(values[i]);
  float below = 0;
  const double hi =
      HWY_DYNAMIC_DISPATCH(SelectPairTarget)(as_float, n, n / 2, scratch + n + 64, &below);
  if (n % 2 == 1) return hi;
  return (static_cast<double>(below) + hi) / 2.0;
}

float RowMedianTracker::Median(const float* values, int n, float* scratch) {
  return HWY_DYNAMIC_DISPATCH(TrackedMedianTarget)(values, n, scratch, state_);
}

}  // namespace neurofeat
#endif  // HWY_ONCE
