#include "core/features/feature_tree.h"

#include <algorithm>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/features/feature_bank.h"
#include "core/status_macros.h"

namespace neurofeat {

struct FeatureTree::Node {
  std::unique_ptr<PreprocessorKernel> preprocessor;  // null: children see the parent's value
  std::unique_ptr<LeafKernel> leaf;                  // set for leaves
  int64_t offset = 0;                                // first output column of a leaf
  std::vector<std::unique_ptr<Node>> children;
  // What the node's output depends on: the functions and canonical
  // parameters from the root down (names excluded).
  std::string descriptor;
  bool spectral = false;  // runs FFTs (Welch / cross spectra): its output is cacheable
  int id = 0;
  int leaf_index = -1;
  int cache_slot = -1;
};

FeatureTree::~FeatureTree() = default;
FeatureTree::FeatureTree(FeatureTree&&) noexcept = default;
FeatureTree& FeatureTree::operator=(FeatureTree&&) noexcept = default;

namespace {

// fn(name=value,...) with every parameter the function read, given or
// default, in name order.
std::string Canonical(const std::string& fn, const ParamReader& reader, const JsonValue& given) {
  std::vector<std::string> parts;
  for (const ParamDoc& d : reader.described()) {
    const JsonValue* v = given.Find(d.name);
    const bool set = v != nullptr && !v->is_null();
    parts.push_back(absl::StrCat(d.name, "=", set ? DescribeValue(*v) : d.default_json));
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrCat(fn, "(", absl::StrJoin(parts, ","), ")");
}

bool IsSpectral(const std::string& fn) {
  return fn == "spectral_preprocessor" || fn == "connectivity_coherency_preprocessor";
}

std::string ProducerName(const std::string& producer) {
  return producer.empty() ? "the windows (a signal)" : producer;
}

absl::Status CheckParent(const FeatureDef& def, const NodeShape& parent, const std::string& path) {
  if (def.parents.empty()) return absl::OkStatus();
  for (const auto& p : def.parents) {
    if (p == parent.producer) return absl::OkStatus();
  }
  std::vector<std::string> accepted;
  for (const auto& p : def.parents) accepted.push_back(ProducerName(p));
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", def.fn, " cannot take the output of ",
                                                 ProducerName(parent.producer), "; it accepts ",
                                                 absl::StrJoin(accepted, ", ")));
}

// Bytes a node value of this shape holds (see NodeValue): samples or
// spectra as float64, complex values, entropy neighbour counts.
int64_t ValueBytes(const NodeShape& shape) {
  const int64_t cells = SaturatingMul(static_cast<int64_t>(shape.rows.size()), shape.n);
  switch (shape.kind) {
    case ValueKind::kSignal:
    case ValueKind::kSpectrum:
      return SaturatingMul(cells, 8);
    case ValueKind::kCoherency:
    case ValueKind::kPhaseDiff:
      return SaturatingMul(cells, 16);
    case ValueKind::kEntropyCounts:
      return SaturatingMul(cells, 8);  // two int32 counts per vector
  }
  return SaturatingMul(cells, 16);
}

struct Builder {
  const SignalInfo& info;
  std::vector<std::string> columns;
  std::vector<bool> integer;
  // Node values alive at once during one window's evaluation, at most: the
  // window itself plus every preprocessor's output (siblings' outputs are
  // freed in turn, so this sum is an upper bound).
  int64_t window_bytes = 0;
  int64_t node_count = 0;

  absl::StatusOr<std::unique_ptr<FeatureTree::Node>> BuildList(
      const std::vector<FeatureNodeSpec>& nodes, const NodeShape& shape, const std::string& path,
      const std::string& prefix, const std::string& descriptor) {
    auto out = std::make_unique<FeatureTree::Node>();
    std::set<std::string> names;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const FeatureNodeSpec& node = nodes[i];
      const std::string where =
          node.name.empty() ? absl::StrCat(path, "[", i, "]") : absl::StrCat(path, ".", node.name);
      if (node.name.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".name: required (it names the columns)"));
      }
      if (node.name.find_first_of(" \t\n,\"") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".name: \"", node.name, "\" may not contain spaces, commas or quotes"));
      }
      if (!names.insert(node.name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".name: \"", node.name, "\" appears twice at this level"));
      }
      if (++node_count > kMaxFeatureNodes) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the tree has more than ", kMaxFeatureNodes, " nodes"));
      }
      NF_ASSIGN_OR_RETURN(auto child, BuildNode(node, shape, where,
                                                absl::StrCat(prefix, node.name, "_"), descriptor));
      out->children.push_back(std::move(child));
    }
    return out;
  }

  absl::StatusOr<std::unique_ptr<FeatureTree::Node>> BuildNode(const FeatureNodeSpec& node,
                                                               const NodeShape& parent,
                                                               const std::string& path,
                                                               const std::string& prefix,
                                                               const std::string& descriptor) {
    const FeatureBank& bank = FeatureBank::Default();
    const bool is_leaf = !node.fn.empty();
    if (is_leaf && (!node.features.empty() || node.has_preprocessor)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": a node has either fn (a feature) or preprocessor/features (a group), not both"));
    }
    if (!is_leaf && node.features.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": needs fn (a feature) or a non-empty features list (a group)"));
    }
    if (!is_leaf && node.params.is_object() && !node.params.object().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".params: a group takes no params; give them to its preprocessor"));
    }
    if (is_leaf) {
      const FeatureDef* def = bank.Find(node.fn);
      if (def == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(path, ".fn: unknown feature \"", node.fn,
                                                       "\" (see `neurofeat features`)"));
      }
      if (!def->leaf) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".fn: \"", node.fn,
                         "\" is a preprocessor; put it under \"preprocessor\" of a group"));
      }
      NF_RETURN_IF_ERROR(CheckParent(*def, parent, path));
      ParamReader params(node.params, path);
      NF_ASSIGN_OR_RETURN(auto leaf, def->leaf(params, parent, info));
      if (static_cast<int64_t>(columns.size() + leaf->columns().size()) > kMaxFeatureColumns) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": the tree would have more than ",
                                                       kMaxFeatureColumns,
                                                       " columns; pick fewer channels or pairs"));
      }
      auto out = std::make_unique<FeatureTree::Node>();
      out->offset = static_cast<int64_t>(columns.size());
      for (const auto& c : leaf->columns()) {
        columns.push_back(prefix + c);
        integer.push_back(leaf->integer_valued());
      }
      out->leaf = std::move(leaf);
      out->descriptor = absl::StrCat(descriptor, "/", Canonical(node.fn, params, node.params));
      return out;
    }
    NodeShape shape = parent;
    std::unique_ptr<PreprocessorKernel> pre;
    std::string child_descriptor = descriptor;
    bool spectral = false;
    if (node.has_preprocessor) {
      const std::string pre_path = absl::StrCat(path, ".preprocessor");
      const FeatureDef* def = bank.Find(node.preprocessor_fn);
      if (def == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(pre_path, ".fn: unknown preprocessor \"",
                                                       node.preprocessor_fn,
                                                       "\" (see `neurofeat features`)"));
      }
      if (!def->preprocessor) {
        return absl::InvalidArgumentError(absl::StrCat(pre_path, ".fn: \"", node.preprocessor_fn,
                                                       "\" is a feature, not a preprocessor"));
      }
      NF_RETURN_IF_ERROR(CheckParent(*def, parent, pre_path));
      ParamReader params(node.preprocessor_params, pre_path);
      NF_ASSIGN_OR_RETURN(pre, def->preprocessor(params, parent, info));
      shape = pre->output_shape();
      window_bytes = SaturatingAdd(window_bytes, ValueBytes(shape));
      child_descriptor = absl::StrCat(
          descriptor, "/", Canonical(node.preprocessor_fn, params, node.preprocessor_params));
      spectral = IsSpectral(node.preprocessor_fn);
    }
    NF_ASSIGN_OR_RETURN(auto out, BuildList(node.features, shape, absl::StrCat(path, ".features"),
                                            prefix, child_descriptor));
    out->preprocessor = std::move(pre);
    out->descriptor = child_descriptor;
    out->spectral = spectral;
    return out;
  }
};

void EvaluateNode(const FeatureTree::Node& node, const NodeValue& value, EvalContext& ctx,
                  double* out, const BlockPlan* plan, int64_t w) {
  for (const auto& child : node.children) {
    if (plan != nullptr && !plan->node_needed[child->id]) continue;
    if (child->leaf) {
      child->leaf->Compute(value, ctx, out + child->offset);
      ++ctx.stats.leaf_runs;
    } else if (child->preprocessor) {
      const int slot = child->cache_slot;
      if (plan != nullptr && slot >= 0 && plan->cached[slot] != nullptr) {
        EvaluateNode(*child, (*plan->cached[slot])[w], ctx, out, plan, w);
        continue;
      }
      if (plan != nullptr && !plan->node_compute[child->id]) {
        // Only on the way to a cached spectrum below: its input is not used.
        EvaluateNode(*child, value, ctx, out, plan, w);
        continue;
      }
      NodeValue next;
      child->preprocessor->Apply(value, ctx, &next);
      ++ctx.stats.preprocessor_runs;
      if (child->spectral) ++ctx.stats.spectra_computed;
      EvaluateNode(*child, next, ctx, out, plan, w);
      if (plan != nullptr && slot >= 0 && plan->record[slot] != nullptr) {
        (*plan->record[slot])[w] = std::move(next);
      }
    } else {
      EvaluateNode(*child, value, ctx, out, plan, w);
    }
  }
}

}  // namespace

absl::StatusOr<FeatureTree> FeatureTree::Build(const std::vector<FeatureNodeSpec>& features,
                                               const SignalInfo& info, int64_t n_times) {
  if (features.empty()) {
    return absl::InvalidArgumentError("features: the pipeline has no features to extract");
  }
  if (!(info.fs > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("fs: must be > 0, got ", info.fs));
  }
  if (info.channels.empty()) {
    return absl::InvalidArgumentError("channels: the recording has no channels");
  }
  std::set<std::string> unique(info.channels.begin(), info.channels.end());
  if (unique.size() != info.channels.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("channels: names must be unique, got ", absl::StrJoin(info.channels, ",")));
  }
  if (n_times < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("window: windows must have >= 1 sample, got ", n_times));
  }
  NodeShape root;
  root.kind = ValueKind::kSignal;
  root.rows = info.channels;
  root.n = n_times;
  Builder builder{info, {}, {}};
  // The window as float32 and float64 (see Evaluate()).
  builder.window_bytes =
      SaturatingMul(SaturatingMul(static_cast<int64_t>(info.channels.size()), n_times), 12);
  NF_ASSIGN_OR_RETURN(auto node, builder.BuildList(features, root, "features", "", ""));
  FeatureTree tree;
  tree.bytes_per_window_ = builder.window_bytes;
  tree.info_ = info;
  tree.n_times_ = n_times;
  tree.columns_ = std::move(builder.columns);
  tree.integer_ = std::move(builder.integer);
  tree.root_ = std::move(node);
  tree.Index();
  return tree;
}

void FeatureTree::Evaluate(const float* window, EvalContext& ctx, double* out,
                           const BlockPlan* plan, int64_t window_in_block) const {
  NodeValue value;
  const size_t size = info_.channels.size() * static_cast<size_t>(n_times_);
  value.x32.assign(window, window + size);
  value.x.assign(window, window + size);
  EvaluateNode(*root_, value, ctx, out, plan, window_in_block);
}

void FeatureTree::Index() {
  int next_id = 0;
  std::vector<int> ancestors;
  std::function<void(Node&)> visit = [&](Node& n) {
    n.id = next_id++;
    if (n.leaf) {
      n.leaf_index = static_cast<int>(leaves_.size());
      leaves_.push_back(
          {n.offset, static_cast<int64_t>(n.leaf->columns().size()), n.descriptor, ancestors});
      leaves_.back().ancestors.push_back(n.id);
      return;
    }
    if (n.spectral) {
      n.cache_slot = static_cast<int>(slots_.size());
      slots_.push_back({n.id, n.descriptor});
    }
    ancestors.push_back(n.id);
    for (auto& c : n.children) visit(*c);
    ancestors.pop_back();
  };
  visit(*root_);
  node_count_ = next_id;
}

}  // namespace neurofeat
