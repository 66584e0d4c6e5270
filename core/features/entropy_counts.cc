#include "core/features/entropy_counts.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/features/entropy_pairs.h"

namespace neurofeat {

namespace {

// Maps a float to a uint32 whose unsigned order is the float order.
uint32_t OrderedBits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof(u));
  return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}

}  // namespace

std::vector<int32_t> SortedPositions(const double* x, int64_t n) {
  std::vector<int32_t> order(n);
  bool all_float = true;
  for (int64_t i = 0; i < n && all_float; ++i) {
    all_float = static_cast<double>(static_cast<float>(x[i])) == x[i];
  }
  if (!all_float) {
    // NaN last (a NaN key would break the sort's ordering, and the sweeps
    // stop a band at the first value not within r: at the end, NaN hides
    // no pair).
    std::vector<std::pair<double, int32_t>> keyed(n);
    for (int64_t i = 0; i < n; ++i) keyed[i] = {x[i], static_cast<int32_t>(i)};
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      const bool a_nan = std::isnan(a.first), b_nan = std::isnan(b.first);
      if (a_nan || b_nan) return !a_nan && b_nan;
      return a < b;
    });
    for (int64_t i = 0; i < n; ++i) order[i] = keyed[i].second;
    return order;
  }
  // Windows are float32: a stable LSD radix sort of their 32-bit keys, four
  // byte passes, is several times faster than a comparison sort.
  std::vector<uint32_t> keys(n), keys_tmp(n);
  std::vector<int32_t> tmp(n);
  for (int64_t i = 0; i < n; ++i) {
    keys[i] = OrderedBits(static_cast<float>(x[i]));
    order[i] = static_cast<int32_t>(i);
  }
  for (int shift = 0; shift < 32; shift += 8) {
    int64_t count[257] = {0};
    for (int64_t i = 0; i < n; ++i) ++count[((keys[i] >> shift) & 0xFF) + 1];
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (int64_t i = 0; i < n; ++i) {
      const int64_t dst = count[(keys[i] >> shift) & 0xFF]++;
      keys_tmp[dst] = keys[i];
      tmp[dst] = order[i];
    }
    keys.swap(keys_tmp);
    order.swap(tmp);
  }
  return order;
}

namespace {

// Sweeps the vectors in order of their first sample. Column k (cols + k *
// total) holds sample k of each vector in that order; column m is NaN when
// the vector has no (m + 1)-dimensional counterpart, which makes every test
// on it false. Counts are kept in sorted order too, so the inner loop runs
// over contiguous arrays without branches.
void Sweep(const double* cols, int64_t total, int64_t m, double r, int32_t* cm, int32_t* cp) {
  const double* c0 = cols;
  const double* cl = cols + m * total;
  int64_t end = 0;
  for (int64_t a = 0; a < total; ++a) {
    // Vectors b > a whose first sample is within r: [a + 1, end).
    if (end < a + 1) end = a + 1;
    while (end < total && c0[end] - c0[a] <= r) ++end;
    int32_t own_m = 0, own_p = 0;
    if (m == 2) {
      const double* c1 = cols + total;
      const double a1 = c1[a], al = cl[a];
      for (int64_t b = a + 1; b < end; ++b) {
        const int32_t hit_m = std::fabs(a1 - c1[b]) <= r;
        const int32_t hit_p = hit_m & (std::fabs(al - cl[b]) <= r);
        own_m += hit_m;
        own_p += hit_p;
        cm[b] += hit_m;
        cp[b] += hit_p;
      }
    } else {
      for (int64_t b = a + 1; b < end; ++b) {
        int32_t close = 1;
        for (int64_t k = 1; k < m; ++k) {
          close &= std::fabs(cols[k * total + a] - cols[k * total + b]) <= r;
        }
        const int32_t hit_p = close & (std::fabs(cl[a] - cl[b]) <= r);
        own_m += close;
        own_p += hit_p;
        cm[b] += close;
        cp[b] += hit_p;
      }
    }
    cm[a] += own_m;
    cp[a] += own_p;
  }
}

}  // namespace

void CountNeighbours(const double* x, int64_t n, int64_t m, double r, int64_t l,
                     const std::vector<int32_t>& sorted, std::vector<int32_t>* counts_m,
                     std::vector<int32_t>* counts_mp1) {
  const int64_t n_m = (n - m + 1) / l;
  const int64_t n_mp1 = (n - m) / l;
  // vector_at[pos] is the vector starting at pos, or -1 (no division in the
  // loop below: it runs for every stride of a multiscale estimate).
  std::vector<int32_t> vector_at(n, -1);
  for (int64_t i = 0; i < n_m; ++i) vector_at[i * l] = static_cast<int32_t>(i);
  // The vectors in order of their first sample, with their samples.
  std::vector<int32_t> idx(n_m);
  std::vector<double> cols((m + 1) * n_m);
  const double nan = std::nan("");
  int64_t b = 0;
  for (int32_t pos : sorted) {
    const int32_t i = vector_at[pos];
    if (i < 0) continue;
    idx[b] = i;
    for (int64_t k = 0; k < m; ++k) cols[k * n_m + b] = x[pos + k];
    cols[m * n_m + b] = i < n_mp1 ? x[pos + m] : nan;
    ++b;
  }
  std::vector<int32_t> cm(n_m, 1), cp(n_m, 1);
  Sweep(cols.data(), n_m, m, r, cm.data(), cp.data());
  counts_m->resize(n_m);
  counts_mp1->resize(n_mp1);
  for (int64_t k = 0; k < n_m; ++k) {
    (*counts_m)[idx[k]] = cm[k];
    if (idx[k] < n_mp1) (*counts_mp1)[idx[k]] = cp[k];
  }
}

void MultiscalePairCountsSweep(const double* x, int64_t n, int64_t m, double r, int64_t l_max,
                               const std::vector<int32_t>& sorted, int64_t* pairs_m,
                               int64_t* pairs_mp1) {
  // Bit l - 1 of in_m[p] (in_mp1[p]): position p starts a vector of
  // dimension m (m + 1) at stride l, i.e. p % l == 0 and p / l is below
  // EEGDash's vector count (n - m + 1) / l ((n - m) / l).
  std::vector<uint64_t> in_m(n, 0), in_mp1(n, 0);
  for (int64_t l = 1; l <= l_max; ++l) {
    for (int64_t i = 0; i < (n - m + 1) / l; ++i) in_m[i * l] |= uint64_t{1} << (l - 1);
    for (int64_t i = 0; i < (n - m) / l; ++i) in_mp1[i * l] |= uint64_t{1} << (l - 1);
  }
  const int64_t total = n - m + 1;  // stride-1 vectors
  std::vector<int32_t> pos(total);
  std::vector<double> cols((m + 1) * total);
  const double nan = std::nan("");
  int64_t b = 0;
  for (int32_t p : sorted) {
    if (p >= total) continue;
    pos[b] = p;
    for (int64_t k = 0; k < m; ++k) cols[k * total + b] = x[p + k];
    cols[m * total + b] = p + m < n ? x[p + m] : nan;
    ++b;
  }
  std::vector<int64_t> count_m(l_max, 0), count_mp1(l_max, 0);
  const double* c0 = cols.data();
  const double* cl = cols.data() + m * total;
  int64_t end = 0;
  for (int64_t a = 0; a < total; ++a) {
    if (end < a + 1) end = a + 1;
    while (end < total && c0[end] - c0[a] <= r) ++end;
    const uint64_t ma = in_m[pos[a]], mpa = in_mp1[pos[a]];
    for (int64_t q = a + 1; q < end; ++q) {
      bool close = true;
      for (int64_t k = 1; k < m; ++k)
        close &= std::fabs(cols[k * total + a] - cols[k * total + q]) <= r;
      if (!close) continue;
      for (uint64_t bits = ma & in_m[pos[q]]; bits != 0; bits &= bits - 1) {
        ++count_m[__builtin_ctzll(bits)];
      }
      if (std::fabs(cl[a] - cl[q]) <= r) {
        for (uint64_t bits = mpa & in_mp1[pos[q]]; bits != 0; bits &= bits - 1) {
          ++count_mp1[__builtin_ctzll(bits)];
        }
      }
    }
  }
  for (int64_t l = 0; l < l_max; ++l) {
    pairs_m[l] = count_m[l];
    pairs_mp1[l] = count_mp1[l];
  }
}

std::vector<double> MultiscaleSampleEntropy(const MultiscalePairCounter& counter, const double* x,
                                            double r) {
  const int64_t l_max = counter.l_max();
  std::vector<int64_t> count_m(l_max), count_mp1(l_max);
  counter.Count(x, r, count_m.data(), count_mp1.data());
  std::vector<double> sampen(l_max);
  for (int64_t l = 0; l < l_max; ++l) {
    // sum(counts - 1) counts each close pair twice.
    sampen[l] =
        -std::log(static_cast<double>(2 * count_mp1[l]) / static_cast<double>(2 * count_m[l]));
  }
  return sampen;
}

double SampleEntropy(const std::vector<int32_t>& counts_m, const std::vector<int32_t>& counts_mp1) {
  double a = 0.0, b = 0.0;
  for (int32_t c : counts_mp1) a += c - 1;
  for (int32_t c : counts_m) b += c - 1;
  return -std::log(a / b);
}

double ApproximateEntropy(const std::vector<int32_t>& counts_m,
                          const std::vector<int32_t>& counts_mp1) {
  auto phi = [](const std::vector<int32_t>& c) {
    const double n = static_cast<double>(c.size());
    double s = 0.0;
    for (int32_t v : c) s += std::log(v / n);
    return s / n;
  };
  return phi(counts_m) - phi(counts_mp1);
}

}  // namespace neurofeat
