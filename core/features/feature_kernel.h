// File: feature_kernel.h
//
// The pieces a feature tree is made of. A preprocessor turns one node value
// (signal, spectrum, counts, coherency, phase differences) into another,
// once per window, for all its children; a leaf turns a node value into
// columns. Both are compiled against the shape of their parent when the tree
// is built, so every parameter, band and channel is checked before any
// window is read.
#ifndef NEUROFEAT_CORE_FEATURES_FEATURE_KERNEL_H_
#define NEUROFEAT_CORE_FEATURES_FEATURE_KERNEL_H_

#include <complex>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dsp/fft.h"
#include "core/features/params.h"

namespace neurofeat {

// What the engine knows about the recording the windows come from.
struct SignalInfo {
  double fs = 0.0;
  std::vector<std::string> channels;
  // The band already applied upstream (MNE's info highpass/lowpass); spectral
  // preprocessors cut their spectrum to it by default, as EEGDash does.
  std::optional<double> highpass;
  std::optional<double> lowpass;
};

enum class ValueKind { kSignal, kSpectrum, kEntropyCounts, kCoherency, kPhaseDiff };

// The shape of a node value, known when the tree is built.
struct NodeShape {
  ValueKind kind = ValueKind::kSignal;
  // The preprocessor that made the value ("" for the windows themselves).
  // Parent/child compatibility is checked against it, as EEGDash does.
  std::string producer;
  // Row names: channels, or channel pairs "A<>B" for coherency and phase.
  std::vector<std::string> rows;
  // For pair rows: indices into `channels`.
  std::vector<std::string> channels;
  std::vector<std::pair<int, int>> pairs;
  // Samples per row (signal, phase) or frequency bins (spectra, coherency).
  int64_t n = 0;
  std::vector<double> freqs;
  // Entropy counts: embedding dimension and stride.
  int64_t entropy_m = 0;
  int64_t entropy_l = 1;
};

// A node value for one window. Which members are filled depends on the kind.
struct NodeValue {
  std::vector<double> x;  // rows x n: signal samples or spectrum values
  // rows x n float32 samples when the signal is the float32 window itself;
  // features that EEGDash computes in float32 (std for entropy tolerance,
  // medians) use them to take the same decisions bit for bit.
  std::vector<float> x32;
  std::vector<std::complex<double>> z;  // rows x n: coherency or phase differences
  std::vector<std::vector<int32_t>> counts_m, counts_mp1;
};

// Counts of work done, per evaluating thread (summed by ExtractFeatures).
// They show that a preprocessor runs once per window however many children
// read its output, and will let a cache prove what it saved.
struct EvalStats {
  int64_t preprocessor_runs = 0;
  int64_t leaf_runs = 0;
  int64_t spectra_computed = 0;   // Welch / cross-spectrum preprocessor runs (FFTs)
  int64_t chunks_read = 0;        // chunks pulled through the preprocess chain (filters)
  int64_t windows_computed = 0;   // windows that needed any computation
  int64_t leaves_from_cache = 0;  // leaf results (per block) served by the cache
  int64_t spectra_from_cache = 0;
  void Add(const EvalStats& o) {
    preprocessor_runs += o.preprocessor_runs;
    leaf_runs += o.leaf_runs;
    spectra_computed += o.spectra_computed;
    chunks_read += o.chunks_read;
    windows_computed += o.windows_computed;
    leaves_from_cache += o.leaves_from_cache;
    spectra_from_cache += o.spectra_from_cache;
  }
};

// Per-thread evaluation state; `plans` is shared and thread-safe.
struct EvalContext {
  FftPlans* plans = nullptr;
  EvalStats stats;
};

class LeafKernel {
 public:
  virtual ~LeafKernel() = default;
  // Column suffixes in order ("alpha_O1", "O1", "exp_O1"...).
  const std::vector<std::string>& columns() const { return columns_; }
  // True when the values are counts (written without a decimal point).
  bool integer_valued() const { return integer_valued_; }
  // Compute() writes columns().size() values to `out`.
  virtual void Compute(const NodeValue& in, EvalContext& ctx, double* out) const = 0;

 protected:
  std::vector<std::string> columns_;
  bool integer_valued_ = false;
};

class PreprocessorKernel {
 public:
  virtual ~PreprocessorKernel() = default;
  const NodeShape& output_shape() const { return output_; }
  virtual void Apply(const NodeValue& in, EvalContext& ctx, NodeValue* out) const = 0;

 protected:
  NodeShape output_;
};

using LeafFactory = std::function<absl::StatusOr<std::unique_ptr<LeafKernel>>(
    ParamReader& params, const NodeShape& parent, const SignalInfo& info)>;
using PreprocessorFactory = std::function<absl::StatusOr<std::unique_ptr<PreprocessorKernel>>(
    ParamReader& params, const NodeShape& parent, const SignalInfo& info)>;

// One entry of the feature bank.
struct FeatureDef {
  std::string fn;
  std::string summary;
  // Producers this function accepts as parent ("" = the windows). Empty
  // means any producer (channel pickers).
  std::vector<std::string> parents;
  LeafFactory leaf;                  // set for features
  PreprocessorFactory preprocessor;  // set for preprocessors
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_FEATURE_KERNEL_H_
