#include "core/preprocess/step_registry.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_join.h"

namespace neurofeat {

const StepRegistry& StepRegistry::Default() {
  static const StepRegistry* registry = [] {
    auto* r = new StepRegistry();
    RegisterFilterSteps(*r);
    RegisterCommonReferenceStep(*r);
    RegisterScaleStep(*r);
    RegisterPhaseShiftStep(*r);
    return r;
  }();
  return *registry;
}

void StepRegistry::Add(StepRegistration registration) {
  std::string name = registration.name;
  const bool added = registrations_.emplace(name, std::move(registration)).second;
  if (!added) {
    std::cerr << "StepRegistry: step \"" << name << "\" is registered twice\n";
    std::abort();
  }
}

const StepRegistration* StepRegistry::Find(const std::string& name) const {
  auto it = registrations_.find(name);
  return it == registrations_.end() ? nullptr : &it->second;
}

absl::StatusOr<const StepRegistration*> StepRegistry::Lookup(const std::string& name,
                                                             const std::string& path) const {
  const StepRegistration* r = Find(name);
  if (r == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": unknown preprocess step \"", name,
                                                   "\" (known: ", absl::StrJoin(Names(), ", "),
                                                   ")"));
  }
  return r;
}

std::vector<std::string> StepRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(registrations_.size());
  for (const auto& [name, registration] : registrations_) names.push_back(name);
  return names;
}

absl::StatusOr<StepOptions> StepRegistry::ParseOptions(const std::string& name,
                                                       const JsonValue& json,
                                                       const std::string& path) const {
  absl::StatusOr<const StepRegistration*> r = Lookup(name, path);
  if (!r.ok()) return r.status();
  return (*r)->parse(json, path);
}

}  // namespace neurofeat
