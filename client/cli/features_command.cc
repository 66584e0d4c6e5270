// neurofeat features: the feature bank (functions, kinds, accepted parents).
#include <cstdio>

#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "core/features/feature_bank.h"

namespace neurofeat::client {

int RunFeaturesCommand(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "neurofeat features: takes no flags, got '%s'\n", argv[2]);
    return 2;
  }
  for (const auto& [name, def] : FeatureBank::Default().defs()) {
    std::vector<std::string> parents;
    for (const auto& p : def.parents) parents.push_back(p.empty() ? "windows" : p);
    std::printf("%-55s %-12s %s\n    parents: %s\n", name.c_str(),
                def.leaf ? "feature" : "preprocessor", def.summary.c_str(),
                parents.empty() ? "any" : absl::StrJoin(parents, ", ").c_str());
  }
  return 0;
}

}  // namespace neurofeat::client
