// File: feature_bank.h
//
// The registry of every feature and preprocessor, under EEGDash's names.
#ifndef NEUROFEAT_CORE_FEATURES_FEATURE_BANK_H_
#define NEUROFEAT_CORE_FEATURES_FEATURE_BANK_H_

#include <map>
#include <string>
#include <vector>

#include "core/features/feature_kernel.h"

namespace neurofeat {

class FeatureBank {
 public:
  // The bank with every built-in function. Immutable after construction.
  static const FeatureBank& Default();

  const FeatureDef* Find(const std::string& fn) const;
  std::vector<std::string> Names() const;
  const std::map<std::string, FeatureDef>& defs() const { return defs_; }

  void Add(FeatureDef def);

 private:
  std::map<std::string, FeatureDef> defs_;
};

// DescribeParams() lists the parameters `def` reads and their defaults, by
// compiling it once against a typical parent.
std::vector<ParamDoc> DescribeParams(const FeatureDef& def);

// Each file of the bank registers its functions.
void RegisterSignalFeatures(FeatureBank& bank);
void RegisterSpectralFeatures(FeatureBank& bank);
void RegisterComplexityFeatures(FeatureBank& bank);
void RegisterDimensionalityFeatures(FeatureBank& bank);
void RegisterConnectivityFeatures(FeatureBank& bank);
void RegisterPickFeatures(FeatureBank& bank);
void RegisterCspFeatures(FeatureBank& bank);
void RegisterUtilityFeatures(FeatureBank& bank);

// Producers whose output is a time-domain signal (EEGDash's
// SignalOutputType).
inline const std::vector<std::string>& SignalProducers() {
  static const std::vector<std::string> kProducers = {"", "signal_bandpass_filter_preprocessor",
                                                      "signal_envelope_preprocessor"};
  return kProducers;
}

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_FEATURE_BANK_H_
