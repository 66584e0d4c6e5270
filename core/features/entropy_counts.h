// File: entropy_counts.h
//
// Neighbour counts for approximate and sample entropy: for embedding
// vectors of m consecutive samples starting every l samples, how many
// vectors (itself included) lie within Chebyshev distance r. This is what
// EEGDash v0.8.0 computes with sklearn's KDTree.query_radius (distance <= r),
// for dimensions m and m + 1 in one pass.
//
// The vectors are visited in order of their first sample, so only those
// whose first samples differ by at most r are compared (about a tenth of
// all pairs at r = 0.2 std); every comparison is the same |a - b| <= r test
// on the same doubles as a brute-force count, so the counts are identical.
#ifndef NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_
#define NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_

#include <cstdint>
#include <vector>

namespace neurofeat {

// SortedPositions() is the sample positions 0..n-1 ordered by value; one
// ordering serves every stride l of a multiscale estimate.
std::vector<int32_t> SortedPositions(const double* x, int64_t n);

// CountNeighbours() fills counts_m ((n - m + 1) / l values) and counts_mp1
// ((n - m) / l values). `sorted` is SortedPositions(x, n).
// REQUIRES (n - m) / l >= 1.
void CountNeighbours(const double* x, int64_t n, int64_t m, double r, int64_t l,
                     const std::vector<int32_t>& sorted, std::vector<int32_t>* counts_m,
                     std::vector<int32_t>* counts_mp1);

// MultiscalePairCountsSweep(): the close-pair counts of every stride
// l = 1..l_max (element l - 1) from one sweep over the stride-1 pairs in
// `sorted` order: a pair of vectors at stride l is a pair of stride-1
// vectors whose starts are both multiples of l. The same counts as
// MultiscalePairCounter (entropy_pairs.h). REQUIRES l_max <= 64.
void MultiscalePairCountsSweep(const double* x, int64_t n, int64_t m, double r, int64_t l_max,
                               const std::vector<int32_t>& sorted, int64_t* pairs_m,
                               int64_t* pairs_mp1);

// MultiscaleSampleEntropy() is SampleEntropy() at every stride
// l = 1..l_max (element l - 1), from the close-pair counts (sample entropy
// needs only how many pairs are close, not which), counted by `counter`
// (built once per series length). REQUIRES l_max <= 64.
class MultiscalePairCounter;
std::vector<double> MultiscaleSampleEntropy(const MultiscalePairCounter& counter, const double* x,
                                            double r);

// SampleEntropy() is -ln(sum(counts_mp1 - 1) / sum(counts_m - 1)).
double SampleEntropy(const std::vector<int32_t>& counts_m, const std::vector<int32_t>& counts_mp1);
// ApproximateEntropy() is mean ln(counts_m / N_m) - mean ln(counts_mp1 / N_mp1).
double ApproximateEntropy(const std::vector<int32_t>& counts_m,
                          const std::vector<int32_t>& counts_mp1);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_
