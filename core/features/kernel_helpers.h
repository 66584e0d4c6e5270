// File: kernel_helpers.h
//
// Building blocks shared by the feature files: leaves that apply a function
// to each row (channel) or to each pair of rows, and small numeric helpers
// with numpy's semantics.
#ifndef NEUROFEAT_CORE_FEATURES_KERNEL_HELPERS_H_
#define NEUROFEAT_CORE_FEATURES_KERNEL_HELPERS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/feature_kernel.h"

namespace neurofeat {

// One row of a signal or spectrum value.
struct RowView {
  const double* x = nullptr;
  const float* x32 = nullptr;  // null unless the row is a float32 window
  int64_t n = 0;
};

// Rows x samples above which a leaf computes its rows in parallel.
inline constexpr int64_t kParallelRowSamples = int64_t{1} << 15;

// Writes one value per key for one row.
using RowFn = std::function<void(const RowView& row, double* per_key)>;

// PerRowLeaf: columns key-major ("alpha_O1", "alpha_O2", "beta_O1"...), or
// one column per row when `keys` is empty.
class PerRowLeaf final : public LeafKernel {
 public:
  PerRowLeaf(const NodeShape& shape, std::vector<std::string> keys, RowFn fn,
             bool integer_valued = false);
  void Compute(const NodeValue& in, EvalContext& ctx, double* out) const override;

 private:
  int64_t rows_;
  int64_t n_;
  size_t keys_;
  RowFn fn_;
};

// Convenience for a single-valued function of a row.
std::unique_ptr<LeafKernel> MakeRowLeaf(const NodeShape& shape,
                                        std::function<double(const RowView&)> fn,
                                        bool integer_valued = false);

// ResolvePairs() turns an optional list of channel-name pairs into row index
// pairs; by default every unordered pair (i < j) in row order. Errors name
// `field` and the unknown channel.
absl::StatusOr<std::vector<std::pair<int, int>>> ResolvePairs(
    const std::optional<std::vector<std::pair<std::string, std::string>>>& names,
    const std::vector<std::string>& rows, const std::string& field);

// PairName() is EEGDash's undirected pair column name "A<>B".
std::string PairName(const std::string& a, const std::string& b);

// PairLeaf: one column per pair of rows, named "A<>B".
using PairFn = std::function<double(const RowView& a, const RowView& b)>;
class PairLeaf final : public LeafKernel {
 public:
  PairLeaf(const NodeShape& shape, std::vector<std::pair<int, int>> pairs, PairFn fn);
  void Compute(const NodeValue& in, EvalContext& ctx, double* out) const override;

 private:
  int64_t n_;
  std::vector<std::pair<int, int>> pairs_;
  PairFn fn_;
};

// Row() views row r of a signal or spectrum value.
RowView Row(const NodeValue& v, int64_t r, int64_t n);

// Mean, variance (ddof) and std in float64, two-pass.
double Mean(const double* x, int64_t n);
double Variance(const double* x, int64_t n, int ddof = 0);

// SlopeIntercept() is the least-squares line y = a * x + b (numpy lstsq of
// [x, 1]); returns {a, b}.
std::pair<double, double> SlopeIntercept(const double* x, const double* y, int64_t n);

// BandMask() checks a band against the frequency vector as EEGDash does
// (lo >= f[0], hi <= f[-1]) and returns the bins lo <= f < hi.
absl::StatusOr<std::vector<int64_t>> BandBins(const Band& band, const std::vector<double>& freqs,
                                              const std::string& field);

// The parameters every spectral or coherency preprocessor takes, resolved as
// EEGDash's spectral_default_kwargs does.
struct SpectralParams {
  double fs = 0.0;
  int64_t nperseg = 0;
  int64_t noverlap = 0;
  double f_min = 0.0;
  double f_max = 0.0;
};
absl::StatusOr<SpectralParams> ReadSpectralParams(ParamReader& params, const SignalInfo& info,
                                                  int64_t n_times);
// The bins of the Welch frequency vector kept by f_min <= f <= f_max.
std::vector<int64_t> KeptBins(const SpectralParams& p, std::vector<double>* freqs);

// ZeroCrossings() is EEGDash's signal_zero_crossings of one row: values
// within +-threshold count as zero (compared in float32 for float32 rows).
double ZeroCrossings(const RowView& row, double threshold);

// NeedSamples() fails unless rows have at least `min` samples.
absl::Status NeedSamples(const NodeShape& shape, int64_t min, const std::string& path,
                         const std::string& what);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_KERNEL_HELPERS_H_
