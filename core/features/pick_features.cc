// pick_channels_preprocessor: children see a subset of the channels, in the
// order given (EEGDash feature_bank/pick.py).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

class PickPreprocessor final : public PreprocessorKernel {
 public:
  PickPreprocessor(const NodeShape& parent, std::vector<int> picks)
      : picks_(std::move(picks)), n_(parent.n) {
    output_ = parent;  // the producer stays: children see their parent's kind
    output_.rows.clear();
    for (int p : picks_) output_.rows.push_back(parent.rows[p]);
  }
  void Apply(const NodeValue& in, EvalContext&, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(picks_.size());
    if (!in.x.empty()) {
      out->x.resize(rows * n_);
      for (int64_t r = 0; r < rows; ++r) {
        std::copy_n(in.x.data() + picks_[r] * n_, n_, out->x.data() + r * n_);
      }
    }
    if (!in.x32.empty()) {
      out->x32.resize(rows * n_);
      for (int64_t r = 0; r < rows; ++r) {
        std::copy_n(in.x32.data() + picks_[r] * n_, n_, out->x32.data() + r * n_);
      }
    }
    if (!in.counts_m.empty()) {
      out->counts_m.clear();
      out->counts_mp1.clear();
      for (int p : picks_) {
        out->counts_m.push_back(in.counts_m[p]);
        out->counts_mp1.push_back(in.counts_mp1[p]);
      }
    }
  }

 private:
  std::vector<int> picks_;
  int64_t n_;
};

}  // namespace

void RegisterPickFeatures(FeatureBank& bank) {
  FeatureDef def;
  def.fn = "pick_channels_preprocessor";
  def.summary = "keep the given channels, in the given order";
  def.parents = {};  // any producer with channel rows
  def.preprocessor = [](ParamReader& params, const NodeShape& parent,
                        const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
    NF_ASSIGN_OR_RETURN(std::vector<std::string> channels, params.Strings("channels"));
    NF_RETURN_IF_ERROR(params.Finish());
    if (parent.kind == ValueKind::kCoherency || parent.kind == ValueKind::kPhaseDiff) {
      return absl::InvalidArgumentError(absl::StrCat(
          params.path(), ": pick_channels_preprocessor needs channel rows, but its parent (",
          parent.producer, ") gives channel pairs"));
    }
    std::vector<int> picks;
    for (const auto& name : channels) {
      int found = -1;
      for (size_t i = 0; i < parent.rows.size(); ++i) {
        if (parent.rows[i] == name) found = static_cast<int>(i);
      }
      if (found < 0) {
        return absl::InvalidArgumentError(absl::StrCat(params.Field("channels"), ": channel \"",
                                                       name, "\" is not among the channels (",
                                                       absl::StrJoin(parent.rows, ", "), ")"));
      }
      picks.push_back(found);
    }
    return std::make_unique<PickPreprocessor>(parent, std::move(picks));
  };
  bank.Add(std::move(def));
}

}  // namespace neurofeat
