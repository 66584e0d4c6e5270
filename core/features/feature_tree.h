// File: feature_tree.h
//
// FeatureTree: the `features` list of a pipeline compiled against a
// recording (sampling rate, channels, window length). Building it checks
// every function name, parameter, parent/child pair, band and channel and
// fixes the column names (EEGDash's: the tree path joined with "_", then the
// key, then the channel or "A<>B" pair, in tree order). Evaluating it runs
// each preprocessor once per window and shares its output with all children.
//
// Example:
//   NF_ASSIGN_OR_RETURN(FeatureTree tree,
//                       FeatureTree::Build(specs, info, 256));
//   std::vector<double> row(tree.columns().size());
//   tree.Evaluate(window_samples, ctx, row.data());
#ifndef NEUROFEAT_CORE_FEATURES_FEATURE_TREE_H_
#define NEUROFEAT_CORE_FEATURES_FEATURE_TREE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/feature_kernel.h"
#include "core/util/json.h"

namespace neurofeat {

// One node of the `features` tree (the pipeline's FeatureNode, converted by
// the API edge so that core does not depend on the API messages).
struct FeatureNodeSpec {
  std::string name;
  std::string fn;    // a feature (leaf), or empty for a group
  JsonValue params;  // an object, or null for none
  bool has_preprocessor = false;
  std::string preprocessor_fn;
  JsonValue preprocessor_params;
  std::vector<FeatureNodeSpec> features;
};

// Which parts of a tree to evaluate for a block of windows, and cached
// outputs of its spectral preprocessors (by cache slot, one NodeValue per
// window), or places to record them.
struct BlockPlan {
  std::vector<bool> node_needed;   // by node id: visit it
  std::vector<bool> node_compute;  // by node id: run its preprocessor (else pass the input on)
  std::vector<const std::vector<NodeValue>*> cached;
  std::vector<std::vector<NodeValue>*> record;
};

// kMaxFeatureColumns bounds a feature table's width: the column names alone
// of every channel pair of a 65,536-channel recording would take gigabytes.
inline constexpr int64_t kMaxFeatureColumns = int64_t{1} << 21;
// kMaxFeatureNodes bounds the nodes of a tree (EEGDash's largest bank trees
// have a few hundred).
inline constexpr int64_t kMaxFeatureNodes = 4096;

class FeatureTree {
 public:
  // A leaf: its columns [offset, offset + columns), what its values depend
  // on, and the ids of the nodes from the root to it.
  struct LeafInfo {
    int64_t offset = 0;
    int64_t columns = 0;
    std::string descriptor;
    std::vector<int> ancestors;
  };
  // A cacheable (spectral) preprocessor node.
  struct SlotInfo {
    int node_id = 0;
    std::string descriptor;
  };

  // `n_times` is the window length in samples.
  static absl::StatusOr<FeatureTree> Build(const std::vector<FeatureNodeSpec>& features,
                                           const SignalInfo& info, int64_t n_times);

  FeatureTree(FeatureTree&&) noexcept;
  FeatureTree& operator=(FeatureTree&&) noexcept;
  ~FeatureTree();

  const std::vector<std::string>& columns() const { return columns_; }
  // True for count-valued columns (zero crossings), written as integers.
  const std::vector<bool>& integer_columns() const { return integer_; }
  const SignalInfo& info() const { return info_; }
  int64_t n_times() const { return n_times_; }

  // bytes_per_window() is the memory one window's evaluation holds at most
  // (the window and every preprocessor's output), for working-set estimates.
  int64_t bytes_per_window() const { return bytes_per_window_; }

  const std::vector<LeafInfo>& leaves() const { return leaves_; }
  const std::vector<SlotInfo>& slots() const { return slots_; }
  int node_count() const { return node_count_; }

  // Evaluate() computes one row from one window of channels x n_times
  // float32 samples (channel-major), writing columns().size() values. With
  // a plan, only the needed nodes run, cached spectra replace their
  // preprocessors, and computed spectra are recorded.
  void Evaluate(const float* window, EvalContext& ctx, double* out, const BlockPlan* plan = nullptr,
                int64_t window_in_block = 0) const;

  struct Node;

 private:
  FeatureTree() = default;
  SignalInfo info_;
  int64_t n_times_ = 0;
  int64_t bytes_per_window_ = 0;
  std::vector<std::string> columns_;
  std::vector<bool> integer_;
  std::unique_ptr<Node> root_;
  std::vector<LeafInfo> leaves_;
  std::vector<SlotInfo> slots_;
  int node_count_ = 0;
  void Index();
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_FEATURE_TREE_H_
