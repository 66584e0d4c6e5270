// preprocessor_as_feature (EEGDash feature_bank/utils.py): a leaf returning
// its parent preprocessor's output as it is, so that a preprocessor's result
// (an envelope, a band-passed signal, or the windows themselves) is also a
// feature.
//
// EEGDash accepts it under a preprocessor whose output is a signal (its
// SignalOutputType, the default parent of every feature) and puts a window's
// whole channels x samples array in one cell named after the node. A table of
// numbers spells that cell out: one column per sample and channel, named as
// EEGDash names a feature with one value per key and channel
// ("<path>_<sample>_<channel>"), sample-major as such keys are.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/features/feature_bank.h"
#include "core/features/feature_tree.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {

void RegisterUtilityFeatures(FeatureBank& bank) {
  FeatureDef def;
  def.fn = "preprocessor_as_feature";
  def.summary = "the parent's signal itself: one column per sample and channel";
  def.parents = SignalProducers();
  def.leaf = [](ParamReader& params, const NodeShape& parent,
                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_RETURN_IF_ERROR(params.Finish());
    NF_RETURN_IF_ERROR(NeedSamples(parent, 1, params.path(), "preprocessor_as_feature"));
    // Checked before the names are made: the tree's own bound comes later.
    const int64_t columns = static_cast<int64_t>(parent.rows.size()) * parent.n;
    if (columns > kMaxFeatureColumns) {
      return absl::InvalidArgumentError(absl::StrCat(
          params.path(), ": preprocessor_as_feature would make ", columns, " columns (",
          parent.rows.size(), " channels x ", parent.n, " samples), more than ", kMaxFeatureColumns,
          "; pick fewer channels or shorten the windows"));
    }
    std::vector<std::string> samples;
    samples.reserve(parent.n);
    for (int64_t i = 0; i < parent.n; ++i) samples.push_back(absl::StrCat(i));
    return std::make_unique<PerRowLeaf>(
        parent, std::move(samples),
        [](const RowView& row, double* per_sample) { std::copy_n(row.x, row.n, per_sample); });
  };
  bank.Add(std::move(def));
}

}  // namespace neurofeat
