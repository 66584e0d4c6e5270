// pick_channels_preprocessor: children see a subset of the channels, in the
// order given; pick_channel_pairs_preprocessor: children of a channel-pair
// preprocessor see a subset of its pairs, in the order given (EEGDash
// feature_bank/pick.py).
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// Up to eight names, and how many there are in all.
std::string Few(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  if (names.size() <= kShown) return absl::StrJoin(names, ", ");
  return absl::StrCat(absl::StrJoin(names.begin(), names.begin() + kShown, ", "), ", ... (",
                      names.size(), " in all)");
}

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

// Keeps some rows of a channel-pair value (coherency or phase differences).
// The producer stays, so the children are checked against the pair
// preprocessor above, as EEGDash checks them against its grandparent.
class PairPickPreprocessor final : public PreprocessorKernel {
 public:
  PairPickPreprocessor(const NodeShape& parent, std::vector<int> picks)
      : picks_(std::move(picks)), n_(parent.n) {
    output_ = parent;
    output_.rows.clear();
    output_.pairs.clear();
    for (int p : picks_) {
      output_.rows.push_back(parent.rows[p]);
      output_.pairs.push_back(parent.pairs[p]);
    }
  }
  void Apply(const NodeValue& in, EvalContext&, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(picks_.size());
    out->z.resize(rows * n_);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(in.z.data() + picks_[r] * n_, n_, out->z.data() + r * n_);
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

  // EEGDash's index, c_index, x_index, y_index, axis and c_axis say where the
  // pairs lie in its tuple of arrays; a node value here has one layout, so
  // only `pairs` is taken.
  FeatureDef pairs_def;
  pairs_def.fn = "pick_channel_pairs_preprocessor";
  pairs_def.summary = "keep the given channel pairs of a pair preprocessor, in the given order";
  pairs_def.parents = {"connectivity_coherency_preprocessor",
                       "connectivity_phase_diff_preprocessor"};
  pairs_def.preprocessor =
      [](ParamReader& params, const NodeShape& parent,
         const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
    NF_ASSIGN_OR_RETURN(auto names, params.Pairs("pairs"));
    NF_RETURN_IF_ERROR(params.Finish());
    if (!names.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(params.Field("pairs"), ": required (a list of [channel, channel] pairs)"));
    }
    if (parent.kind != ValueKind::kCoherency && parent.kind != ValueKind::kPhaseDiff) {
      return absl::InvalidArgumentError(absl::StrCat(
          params.path(), ": pick_channel_pairs_preprocessor needs channel pairs, but its parent (",
          parent.producer.empty() ? "the windows" : parent.producer, ") gives channel rows"));
    }
    absl::flat_hash_map<std::string, int> channel_index;
    for (size_t i = 0; i < parent.channels.size(); ++i) {
      channel_index.emplace(parent.channels[i], static_cast<int>(i));
    }
    absl::flat_hash_map<std::pair<int, int>, int> pair_index;
    for (size_t p = 0; p < parent.pairs.size(); ++p) {
      pair_index.emplace(parent.pairs[p], static_cast<int>(p));
    }
    std::vector<int> picks;
    absl::flat_hash_set<int> seen;
    for (const auto& [a, b] : *names) {
      const std::string pair = absl::StrCat("[\"", a, "\", \"", b, "\"]");
      const auto ia = channel_index.find(a), ib = channel_index.find(b);
      if (ia == channel_index.end() || ib == channel_index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            params.Field("pairs"), ": channel \"", ia == channel_index.end() ? a : b, "\" of pair ",
            pair, " is not among the channels (", Few(parent.channels), ")"));
      }
      // EEGDash looks the (first, second) index pair up as it is: the
      // orientation must be the parent's.
      const auto it = pair_index.find(std::make_pair(ia->second, ib->second));
      if (it == pair_index.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("pairs"), ": pair ", pair, " is not among the pairs of ",
                         parent.producer, " (", Few(parent.rows), ")"));
      }
      const int found = it->second;
      if (!seen.insert(found).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("pairs"), ": pair ", pair,
                         " appears twice (its columns would have the same names)"));
      }
      picks.push_back(found);
    }
    return std::make_unique<PairPickPreprocessor>(parent, std::move(picks));
  };
  bank.Add(std::move(pairs_def));
}

}  // namespace neurofeat
