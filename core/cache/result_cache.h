// File: result_cache.h
//
// ResultCache: computed results kept in RocksDB so re-runs are free. Three
// column families (levels): "spectra" (Welch / cross spectra of a block of
// windows), "features" (one feature node's values for a block of windows)
// and "files" (a file's content digest by its identity).
//
// An entry is looked up by the SHA-256 of its descriptor, the full text of
// what it depends on (engine version, recording content, chain, window,
// node path and parameters...); the descriptor is stored with the value and
// compared on a hit, so a collision is a miss, never a wrong answer. Values
// carry a checksum: a corrupt value (or a RocksDB corruption error) is a
// miss, is deleted and is counted.
//
// Bounds: FIFO compaction keeps the database under `max_bytes` (oldest data
// go first) and drops data older than `ttl`. A database that will not open
// is moved aside and a new one created; if no database can be made (a
// read-only or full directory), OpenOrWarn() returns null and callers run
// uncached. Write errors later on disable writes, with a warning; reads go
// on.
#ifndef NEUROFEAT_CORE_CACHE_RESULT_CACHE_H_
#define NEUROFEAT_CORE_CACHE_RESULT_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "core/result_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace neurofeat {

enum class CacheLookup { kHit = 0, kMiss = 1, kCorrupt = 2 };
inline constexpr int kCacheLookups = 3;
const char* CacheLookupName(CacheLookup lookup);

struct ResultCacheOptions {
  std::string dir;
  int64_t max_bytes = int64_t{1} << 30;
  // 0: no expiry.
  int64_t ttl_seconds = 0;
};

// Counters, readable at any time (metrics export them).
struct ResultCacheStats {
  std::array<std::array<std::atomic<int64_t>, kCacheLookups>, kCacheLevels> lookups{};
  std::atomic<int64_t> puts{0};
  std::atomic<int64_t> write_errors{0};
  std::atomic<int64_t> corrupt{0};
  std::atomic<int64_t> evicted_files{0};
  std::atomic<int64_t> evicted_entries{0};
  std::atomic<int64_t> evicted_bytes{0};
};

class ResultCache final : public ResultStore {
 public:
  // Open() opens or creates the database; if it will not open, moves it to
  // "<dir>.broken-<time>" and creates a new one. `note` receives what was
  // done, for the log.
  static absl::StatusOr<std::unique_ptr<ResultCache>> Open(const ResultCacheOptions& options,
                                                           std::string* note);
  // OpenOrWarn() is Open(), or null with the reason in `warning`.
  static std::unique_ptr<ResultCache> OpenOrWarn(const ResultCacheOptions& options,
                                                 std::string* warning);
  ~ResultCache() override;

  std::optional<std::string> Get(CacheLevel level, const std::string& descriptor) override;
  void Put(CacheLevel level, const std::string& descriptor, const std::string& payload) override;

  // Live bytes on disk and in memory, approximately.
  int64_t ApproximateBytes() const;
  // Flush() writes memtables to files (tests and shutdown).
  void Flush();
  // True once a write failed; later writes are skipped. Thread-safe.
  bool writes_disabled() const { return writes_disabled_.load(); }
  // The first write error, or "" while writes work. Thread-safe.
  std::string last_write_error() const ABSL_LOCKS_EXCLUDED(error_mu_);

  ResultCacheStats& stats() { return *stats_; }
  const ResultCacheOptions& options() const { return options_; }

 private:
  ResultCache() = default;
  rocksdb::ColumnFamilyHandle* Family(CacheLevel level) const;

  ResultCacheOptions options_;
  std::unique_ptr<ResultCacheStats> stats_ = std::make_unique<ResultCacheStats>();
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kCacheLevels> families_{};
  void DisableWrites(const std::string& reason) ABSL_LOCKS_EXCLUDED(error_mu_);

  std::atomic<bool> writes_disabled_{false};
  mutable Mutex error_mu_;
  std::string last_write_error_ ABSL_GUARDED_BY(error_mu_);
  class EvictionListener;
};

// DefaultCacheDir() is $XDG_CACHE_HOME/neurofeat, or ~/.cache/neurofeat.
std::string DefaultCacheDir();

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_RESULT_CACHE_H_
