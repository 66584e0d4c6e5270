// File: entropy_pairs.h
//
// Close-pair counts of multiscale sample entropy, SIMD over candidate pairs
// (Highway, runtime dispatch), every stride from one pass.
//
// The stride-1 vectors are grouped by value of their first sample into
// buckets a little wider than r (a counting sort: one pass, where the sorted
// sweep of entropy_counts.h sorts); a vector's candidates are the rest of
// its bucket and the next one (values two buckets apart differ by more than
// r). Candidates are tested a vector of lanes at a time on contiguous
// columns, first sample included, so every test is the same |a - b| <= r on
// the same doubles as the sweep's and the counts are identical (tests
// compare the two and the definition on every SIMD target). A pair of
// vectors at stride l is a pair of stride-1 vectors whose starts are both
// valid at l; the few close pairs add one to each such l.
//
// Example:
//   std::vector<int64_t> pm(16), pp(16);
//   MultiscalePairCountsBanded(x, 256, 2, 0.2 * sd, 16, pm.data(), pp.data());
#ifndef NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_
#define NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_

#include <cstdint>

namespace neurofeat {

// For strides l = 1..l_max: pairs_m[l - 1] is the number of unordered pairs
// of distinct m-dimensional vectors (starts every l samples, (n - m + 1) / l
// of them, as EEGDash v0.8.0 embeds) within Chebyshev distance r, and
// pairs_mp1[l - 1] the same for dimension m + 1 ((n - m) / l vectors).
// Falls back to the sorted sweep when r is not positive, a value is not
// finite, or the values span more than 4n buckets.
// REQUIRES m >= 1, n > m, 1 <= l_max <= 64.
void MultiscalePairCountsBanded(const double* x, int64_t n, int64_t m, double r, int64_t l_max,
                                int64_t* pairs_m, int64_t* pairs_mp1);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_ENTROPY_PAIRS_H_
