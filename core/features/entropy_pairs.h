// File: entropy_pairs.h
//
// MultiscalePairCounter: the close-pair counts of multiscale sample entropy
// at every stride from one pass over the stride-1 pairs, SIMD (Highway,
// runtime dispatch).
//
// A pair of vectors at stride l is a pair of stride-1 vectors whose starts
// are both valid at l (multiples of l, below EEGDash's vector count), and
// sample entropy needs only how many pairs are close, so every stride is
// counted in the same pass: each candidate adds its strides, spread one per
// 4-bit field, to its lane's accumulator.
//
// Candidates: the vectors are put in order of their first sample (a
// counting sort on the value quantised to about 2n bins, or an exact radix
// sort when outliers make the bins coarse); a vector's candidates are those
// after it whose first sample is within r plus the bin width above its own
// (order inside a bin is arbitrary, so the band is widened by it). Lanes
// hold 8 consecutive vectors (AVX-512; 4 on AVX2) and each candidate is
// broadcast against them. Every test, the first sample's included, is the
// same |a - b| <= r on the same doubles as the definition's, so the counts
// are identical to it (tests compare with the definition and the scalar
// sweep of entropy_counts.h on every SIMD target).
//
// The per-position stride tables depend only on (n, m, l_max): a feature
// builds the counter once per window length.
//
// Example:
//   MultiscalePairCounter counter(256, 2, 16);
//   std::vector<int64_t> pm(16), pp(16);
//   counter.Count(x, 0.2 * sd, pm.data(), pp.data());
#ifndef NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_
#define NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_

#include <cstdint>
#include <vector>

namespace neurofeat {

class MultiscalePairCounter {
 public:
  // REQUIRES m >= 1, n > m, 1 <= l_max <= 64.
  MultiscalePairCounter(int64_t n, int64_t m, int64_t l_max);

  // For strides l = 1..l_max: pairs_m[l - 1] is the number of unordered
  // pairs of distinct m-dimensional vectors (starts every l samples,
  // (n - m + 1) / l of them, as EEGDash v0.8.0 embeds) of x[0, n) within
  // Chebyshev distance r, and pairs_mp1[l - 1] the same for dimension m + 1
  // ((n - m) / l vectors). Non-finite values or r <= 0 fall back to the
  // scalar sweep (same counts).
  void Count(const double* x, double r, int64_t* pairs_m, int64_t* pairs_mp1) const;

  int64_t n() const { return n_; }
  int64_t m() const { return m_; }
  int64_t l_max() const { return l_max_; }

 private:
  int64_t n_, m_, l_max_;
  // Per start position p: bit l - 1 set when p starts a vector at stride l
  // (dimension m, m + 1); and the same bits spread to nibble l - 1 (l <= 16).
  std::vector<uint64_t> strides_m_, strides_p1_, spread_m_, spread_p1_;
};

// CountNeighboursBanded(): CountNeighbours() of entropy_counts.h (each
// vector's neighbours within r, itself included, at dimensions m and m + 1,
// vectors starting every l samples) with the same ordering and SIMD
// candidate tests as MultiscalePairCounter: the same counts.
void CountNeighboursBanded(const double* x, int64_t n, int64_t m, double r, int64_t l,
                           std::vector<int32_t>* counts_m, std::vector<int32_t>* counts_mp1);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_
