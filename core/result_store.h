// File: result_store.h
//
// ResultStore: where computed results are kept between requests, as feature
// evaluation sees it. Evaluation (core/features/cached_block) asks a store
// for what it would otherwise compute and gives it what it computed; the
// RocksDB result cache (core/cache/result_cache) is one implementation, a
// map in a test another. Keeping the interface here, below both, is what
// lets feature evaluation build without RocksDB.
//
// Example:
//   if (std::optional<std::string> hit = store.Get(CacheLevel::kSpectra, d)) { ... }
//   store.Put(CacheLevel::kFeatures, d, payload);
#ifndef NEUROFEAT_CORE_RESULT_STORE_H_
#define NEUROFEAT_CORE_RESULT_STORE_H_

#include <optional>
#include <string>

namespace neurofeat {

// The levels of results: spectra of a block of windows, one feature node's
// values for a block, and file content digests by file identity.
enum class CacheLevel { kSpectra = 0, kFeatures = 1, kFiles = 2 };
inline constexpr int kCacheLevels = 3;
const char* CacheLevelName(CacheLevel level);

class ResultStore {
 public:
  virtual ~ResultStore() = default;
  // Get() is the payload stored under exactly this descriptor, or nullopt
  // (absent, or unusable: a store never returns a value for another
  // descriptor). Thread-safe.
  virtual std::optional<std::string> Get(CacheLevel level, const std::string& descriptor) = 0;
  // Put() stores a payload; failures are the store's to report (a store is
  // never the only copy of anything). Thread-safe.
  virtual void Put(CacheLevel level, const std::string& descriptor, const std::string& payload) = 0;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_RESULT_STORE_H_
