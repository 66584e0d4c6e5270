#include "core/cache/cache_key.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/version.h"

namespace neurofeat {

std::string BlockKey(const KeySignal& s, const std::string& recording_descriptor,
                     int64_t first_window, int64_t windows) {
  static const std::vector<std::string> kNone;
  return absl::StrCat("engine=", kEngineNumericVersion, "|fs=", s.fs,
                      "|channels=", absl::StrJoin(s.channels != nullptr ? *s.channels : kNone, ","),
                      "|highpass=", s.highpass.has_value() ? absl::StrCat(*s.highpass) : "none",
                      "|lowpass=", s.lowpass.has_value() ? absl::StrCat(*s.lowpass) : "none",
                      "|n_times=", s.n_times, "|", recording_descriptor, "|block=", first_window,
                      "+", windows);
}

std::string FeatureKey(const std::string& block_key, const std::string& node_descriptor) {
  return absl::StrCat(block_key, "|leaf=", node_descriptor);
}

std::string SpectraKey(const std::string& block_key, const std::string& node_descriptor) {
  return absl::StrCat(block_key, "|spectra=", node_descriptor);
}

}  // namespace neurofeat
