// File: csp.h
//
// Common Spatial Pattern, EEGDash's trainable CommonSpatialPattern feature
// (feature_bank/csp.py at f359a73a): fitted on labelled windows of two
// classes, then applied to any window. Fitting, as EEGDash does it:
//   - each class's samples (every time point of its windows) give a mean
//     and a covariance (population, ddof 0);
//   - the pooled mean is the count-weighted mean of the class means;
//   - each class covariance is scaled by count_l / (count_1 - 1) (EEGDash
//     scales both by the second class's count; kept for equal numbers);
//   - the generalized eigenproblem C0 w = l (C0 + C1) w; eigenvalues <= 0
//     dropped; filters ordered by |l - 0.5|, most discriminative first;
//     each filter of unit Euclidean norm (scipy.linalg.eig's), sign free.
// Applying: the window's samples minus the pooled mean, projected on the
// filters (the first n_select, or those with 0.5 - |l - 0.5| <
// crit_select), give one column per filter: the projection's variance over
// time (ddof 0), named "0", "1", ... (EEGDash returns the variance, not its
// logarithm). Labels are the sorted distinct values (np.unique), class 0
// first.
//
// The model lives in the pipeline JSON, in the node's params:
//   {"name": "csp", "fn": "CommonSpatialPattern",
//    "params": {"fitted": {"labels": [0, 1], "channels": [...],
//               "counts": [n0, n1], "mean": [...], "eigvals": [...],
//               "weights": [[filter 0 over channels], ...]}}}
#ifndef NEUROFEAT_CORE_FEATURES_CSP_H_
#define NEUROFEAT_CORE_FEATURES_CSP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/util/json.h"

namespace neurofeat {

struct CspModel {
  std::vector<int64_t> labels;        // 2 classes, class 0 first
  std::vector<std::string> channels;  // the channels it was fitted on
  std::vector<int64_t> counts;        // samples per class
  std::vector<double> mean;           // per channel
  std::vector<double> eigvals;        // per filter, in order
  // filters[j][c]: filter j's weight of channel c, unit norm.
  std::vector<std::vector<double>> filters;
};

// FitCsp(): `windows` is n_windows x channels x n_times (float32, as the
// windows the tree sees), `labels` one per window. Errors: InvalidArgument
// when the labels are not one per window or not of exactly two classes, or
// the covariance sum is singular (a constant or duplicated channel);
// Cancelled once `cancelled` (polled between windows; may be empty) is true.
absl::StatusOr<CspModel> FitCsp(const float* windows, int64_t n_windows, int64_t channels,
                                int64_t n_times, const std::vector<int64_t>& labels,
                                const std::vector<std::string>& channel_names,
                                const std::function<bool()>& cancelled = {});

JsonValue CspModelToJson(const CspModel& model);
// CspModelFromJson(): errors name `field` and what is missing or
// inconsistent (sizes against `channels`).
absl::StatusOr<CspModel> CspModelFromJson(const JsonValue& v, const std::string& field,
                                          const std::vector<std::string>& channels);

// SymmetricEigen(): eigenvalues (ascending) and unit eigenvectors
// (vectors[i] for values[i]) of the symmetric n x n matrix `a` (row-major),
// by cyclic Jacobi rotations.
void SymmetricEigen(std::vector<double> a, int64_t n, std::vector<double>* values,
                    std::vector<std::vector<double>>* vectors);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_CSP_H_
