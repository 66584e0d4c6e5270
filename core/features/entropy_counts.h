// File: entropy_counts.h
//
// Neighbour counts for approximate and sample entropy: for embedding
// vectors of m consecutive samples starting every l samples, how many
// vectors (itself included) lie within Chebyshev distance r. This is what
// EEGDash v0.8.0 computes with sklearn's KDTree.query_radius (distance <= r),
// for dimensions m and m + 1 in one pass.
#ifndef NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_
#define NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_

#include <cstdint>
#include <vector>

namespace neurofeat {

// CountNeighbours() fills counts_m ((n - m + 1) / l values) and counts_mp1
// ((n - m) / l values). REQUIRES (n - m) / l >= 1.
void CountNeighbours(const double* x, int64_t n, int64_t m, double r, int64_t l,
                     std::vector<int32_t>* counts_m, std::vector<int32_t>* counts_mp1);

// SampleEntropy() is -ln(sum(counts_mp1 - 1) / sum(counts_m - 1)).
double SampleEntropy(const std::vector<int32_t>& counts_m, const std::vector<int32_t>& counts_mp1);
// ApproximateEntropy() is mean ln(counts_m / N_m) - mean ln(counts_mp1 / N_mp1).
double ApproximateEntropy(const std::vector<int32_t>& counts_m,
                          const std::vector<int32_t>& counts_mp1);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_ENTROPY_COUNTS_H_
