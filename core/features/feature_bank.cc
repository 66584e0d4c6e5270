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

}  // namespace neurofeat
