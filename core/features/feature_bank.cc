#include "core/features/feature_bank.h"

namespace neurofeat {

const FeatureBank& FeatureBank::Default() {
  static const FeatureBank* bank = [] {
    auto* b = new FeatureBank();
    RegisterSignalFeatures(*b);
    RegisterSpectralFeatures(*b);
    RegisterComplexityFeatures(*b);
    RegisterDimensionalityFeatures(*b);
    RegisterConnectivityFeatures(*b);
    RegisterPickFeatures(*b);
    RegisterCspFeatures(*b);
    RegisterUtilityFeatures(*b);
    return b;
  }();
  return *bank;
}

const FeatureDef* FeatureBank::Find(const std::string& fn) const {
  auto it = defs_.find(fn);
  return it == defs_.end() ? nullptr : &it->second;
}

std::vector<std::string> FeatureBank::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, def] : defs_) names.push_back(name);
  return names;
}

void FeatureBank::Add(FeatureDef def) {
  std::string name = def.fn;
  defs_.emplace(std::move(name), std::move(def));
}

std::vector<ParamDoc> DescribeParams(const FeatureDef& def) {
  SignalInfo info;
  info.fs = 256.0;
  info.channels = {"a", "b"};
  NodeShape shape;
  shape.rows = info.channels;
  shape.n = 4096;
  const std::string parent = def.parents.empty() ? "" : def.parents.front();
  shape.producer = parent;
  if (parent.rfind("spectral_", 0) == 0 || parent == "connectivity_coherency_preprocessor") {
    shape.kind = parent == "connectivity_coherency_preprocessor" ? ValueKind::kCoherency
                                                                 : ValueKind::kSpectrum;
    shape.freqs.clear();
    for (int f = 1; f <= 100; ++f) shape.freqs.push_back(f);
    shape.n = 100;
  } else if (parent == "complexity_entropy_preprocessor") {
    shape.kind = ValueKind::kEntropyCounts;
  } else if (parent == "connectivity_phase_diff_preprocessor") {
    shape.kind = ValueKind::kPhaseDiff;
  }
  if (shape.kind == ValueKind::kCoherency || shape.kind == ValueKind::kPhaseDiff) {
    shape.channels = shape.rows;
    shape.pairs = {{0, 1}};
    shape.rows = {"a<>b"};
  }
  const JsonValue empty;
  ParamReader reader(empty, def.fn);
  // Only the parameters read matter; the result (or a missing required
  // parameter's error) does not.
  if (def.leaf) {
    (void)def.leaf(reader, shape, info);
  } else {
    (void)def.preprocessor(reader, shape, info);
  }
  return reader.described();
}

}  // namespace neurofeat
