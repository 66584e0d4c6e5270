#include "core/result_store.h"

namespace neurofeat {

const char* CacheLevelName(CacheLevel level) {
  switch (level) {
    case CacheLevel::kSpectra:
      return "spectra";
    case CacheLevel::kFeatures:
      return "features";
    case CacheLevel::kFiles:
      return "files";
  }
  return "?";
}

}  // namespace neurofeat
