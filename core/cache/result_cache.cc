#include "core/cache/result_cache.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cache/content_hash.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace neurofeat {
namespace {

constexpr char kMagic[4] = {'N', 'F', 'C', '1'};
constexpr size_t kHeader = 4 + 8 + 4;  // magic, created (unix s), descriptor length
constexpr size_t kChecksum = 32;

const char* kFamilies[kCacheLevels] = {"spectra", "features", "files"};

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Encode(const std::string& descriptor, const std::string& payload) {
  std::string v;
  v.reserve(kHeader + descriptor.size() + payload.size() + kChecksum);
  v.append(kMagic, 4);
  const int64_t created = Now();
  v.append(reinterpret_cast<const char*>(&created), 8);
  const uint32_t len = static_cast<uint32_t>(descriptor.size());
  v.append(reinterpret_cast<const char*>(&len), 4);
  v += descriptor;
  v += payload;
  v += Sha256Raw(v.data(), v.size());
  return v;
}

enum class Decoded { kOk, kCorrupt, kOtherDescriptor, kExpired };

Decoded Decode(const std::string& v, const std::string& descriptor, int64_t ttl,
               std::string* payload) {
  if (v.size() < kHeader + kChecksum || std::memcmp(v.data(), kMagic, 4) != 0)
    return Decoded::kCorrupt;
  if (Sha256Raw(v.data(), v.size() - kChecksum) != v.substr(v.size() - kChecksum)) {
    return Decoded::kCorrupt;
  }
  int64_t created = 0;
  uint32_t len = 0;
  std::memcpy(&created, v.data() + 4, 8);
  std::memcpy(&len, v.data() + 12, 4);
  if (kHeader + len + kChecksum > v.size()) return Decoded::kCorrupt;
  if (v.compare(kHeader, len, descriptor) != 0) return Decoded::kOtherDescriptor;
  if (ttl > 0 && Now() - created > ttl) return Decoded::kExpired;
  *payload = v.substr(kHeader + len, v.size() - kHeader - len - kChecksum);
  return Decoded::kOk;
}

// RocksDB's warnings and errors go to our stderr; its informational log is
// dropped. The default logger writes a LOG file in the database directory,
// and on a full disk RocksDB 7.8 (Debian's build keeps assertions) aborts
// the process when that writer is used again after a failed write.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::fprintf(stderr, "neurofeat: result cache: %s\n", text.c_str());
  }
};

// Entries are derived data: a write lost in a crash is recomputed. Without
// a write-ahead log nothing is written per Put (no WAL file to fill a
// disk), memtables go to disk only when flushed.
rocksdb::WriteOptions CacheWriteOptions() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return options;
}

}  // namespace

const char* CacheLookupName(CacheLookup lookup) {
  switch (lookup) {
    case CacheLookup::kHit:
      return "hit";
    case CacheLookup::kMiss:
      return "miss";
    case CacheLookup::kCorrupt:
      return "corrupt";
  }
  return "?";
}

// Counts what FIFO compaction drops (the size cap and the TTL).
class ResultCache::EvictionListener final : public rocksdb::EventListener {
 public:
  explicit EvictionListener(ResultCacheStats* stats) : stats_(stats) {}
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) override {
    if (info.compaction_reason != rocksdb::CompactionReason::kFIFOMaxSize &&
        info.compaction_reason != rocksdb::CompactionReason::kFIFOTtl) {
      return;
    }
    stats_->evicted_files += static_cast<int64_t>(info.input_files.size());
    for (const std::string& f : info.input_files) {
      auto it = info.table_properties.find(f);
      if (it != info.table_properties.end() && it->second != nullptr) {
        stats_->evicted_entries += static_cast<int64_t>(it->second->num_entries);
        stats_->evicted_bytes += static_cast<int64_t>(it->second->data_size);
      }
    }
  }

 private:
  ResultCacheStats* stats_;
};

absl::StatusOr<std::unique_ptr<ResultCache>> ResultCache::Open(const ResultCacheOptions& options,
                                                               std::string* note) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cache dir ", options.dir, ": ", ec.message()));
  auto cache = std::unique_ptr<ResultCache>(new ResultCache());
  cache->options_ = options;
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.info_log = std::make_shared<StderrLogger>();
  // A failed background write (a full disk) stops writes for good; the
  // server then runs uncached instead of retrying against the same disk.
  db_options.max_bgerror_resume_count = 0;
  db_options.listeners.push_back(std::make_shared<EvictionListener>(cache->stats_.get()));
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleFIFO;
  cf.compaction_options_fifo.max_table_files_size =
      static_cast<uint64_t>(std::max<int64_t>(options.max_bytes, 1 << 16)) / kCacheLevels;
  // Memory is bounded too: memtables of all families share 32 MiB, blocks
  // read from disk a 16 MiB cache (the server's memory reserve covers both).
  cf.write_buffer_size =
      static_cast<size_t>(std::clamp<int64_t>(options.max_bytes / 16, 64 << 10, 8 << 20));
  db_options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(32 << 20);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(16 << 20);
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (options.ttl_seconds > 0) cf.ttl = static_cast<uint64_t>(options.ttl_seconds);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, cf}};
  for (const char* name : kFamilies) families.push_back({name, cf});
  auto try_open = [&]() -> rocksdb::Status {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, options.dir, families, &handles, &db);
    if (!s.ok()) return s;
    cache->db_.reset(db);
    for (int i = 0; i < kCacheLevels; ++i) cache->families_[i] = handles[i + 1];
    db->DestroyColumnFamilyHandle(handles[0]);
    return s;
  };
  rocksdb::Status s = try_open();
  if (!s.ok()) {
    // Keep the broken database for inspection; start afresh.
    const std::string aside = absl::StrCat(options.dir, ".broken-", Now());
    std::filesystem::rename(options.dir, aside, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cache ", options.dir, " will not open (",
                                                 s.ToString(),
                                                 ") and cannot be moved aside: ", ec.message()));
    }
    std::filesystem::create_directories(options.dir, ec);
    rocksdb::Status again = try_open();
    if (!again.ok()) {
      return absl::UnavailableError(absl::StrCat("cache ", options.dir, ": ", again.ToString()));
    }
    if (note != nullptr) {
      *note = absl::StrCat("cache ", options.dir, " would not open (", s.ToString(),
                           "); moved it to ", aside, " and started a new one");
    }
  }
  return cache;
}

std::unique_ptr<ResultCache> ResultCache::OpenOrWarn(const ResultCacheOptions& options,
                                                     std::string* warning) {
  std::string note;
  absl::StatusOr<std::unique_ptr<ResultCache>> cache = Open(options, &note);
  if (!cache.ok()) {
    if (warning != nullptr) {
      *warning = absl::StrCat(cache.status().message(), "; running without a cache");
    }
    return nullptr;
  }
  if (warning != nullptr) *warning = note;
  return std::move(*cache);
}

ResultCache::~ResultCache() {
  if (db_ != nullptr) {
    // Memtables go to SST files now, not to a WAL replay at the next start.
    if (!writes_disabled_.load()) Flush();
    for (auto* h : families_) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
    }
    db_->Close();
  }
}

rocksdb::ColumnFamilyHandle* ResultCache::Family(CacheLevel level) const {
  return families_[static_cast<int>(level)];
}

std::optional<std::string> ResultCache::Get(CacheLevel level, const std::string& descriptor) {
  const std::string key = Sha256Raw(descriptor.data(), descriptor.size());
  auto& counts = stats_->lookups[static_cast<int>(level)];
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Family(level), key, &value);
  if (s.IsNotFound()) {
    ++counts[static_cast<int>(CacheLookup::kMiss)];
    return std::nullopt;
  }
  std::string payload;
  const Decoded d =
      s.ok() ? Decode(value, descriptor, options_.ttl_seconds, &payload) : Decoded::kCorrupt;
  if (d == Decoded::kOk) {
    ++counts[static_cast<int>(CacheLookup::kHit)];
    return payload;
  }
  if (d == Decoded::kCorrupt) {
    ++counts[static_cast<int>(CacheLookup::kCorrupt)];
    ++stats_->corrupt;
    if (!writes_disabled_.load()) (void)db_->Delete(CacheWriteOptions(), Family(level), key);
    return std::nullopt;
  }
  if (d == Decoded::kExpired && !writes_disabled_.load()) {
    (void)db_->Delete(CacheWriteOptions(), Family(level), key);
  }
  ++counts[static_cast<int>(CacheLookup::kMiss)];
  return std::nullopt;
}

void ResultCache::Put(CacheLevel level, const std::string& descriptor, const std::string& payload) {
  if (writes_disabled_.load()) return;
  const std::string key = Sha256Raw(descriptor.data(), descriptor.size());
  rocksdb::Status s =
      db_->Put(CacheWriteOptions(), Family(level), key, Encode(descriptor, payload));
  if (s.ok()) {
    ++stats_->puts;
    return;
  }
  ++stats_->write_errors;
  DisableWrites(s.ToString());
}

void ResultCache::DisableWrites(const std::string& reason) {
  // The reason is published before the flag: whoever sees the flag set
  // finds the reason.
  {
    MutexLock lock(&error_mu_);
    if (!last_write_error_.empty()) return;
    last_write_error_ = reason;
  }
  writes_disabled_.store(true);
  std::fprintf(stderr, "neurofeat: warning: result cache writes failed (%s); serving uncached\n",
               reason.c_str());
}

std::string ResultCache::last_write_error() const {
  MutexLock lock(&error_mu_);
  return last_write_error_;
}

int64_t ResultCache::ApproximateBytes() const {
  int64_t total = 0;
  for (auto* h : families_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kLiveSstFilesSize, &v))
      total += static_cast<int64_t>(v);
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &v))
      total += static_cast<int64_t>(v);
  }
  return total;
}

void ResultCache::Flush() {
  if (writes_disabled_.load()) return;
  for (auto* h : families_) {
    const rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), h);
    if (!s.ok()) {
      ++stats_->write_errors;
      DisableWrites(s.ToString());
      return;
    }
  }
}

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] != '\0') {
    return absl::StrCat(xdg, "/neurofeat");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return absl::StrCat(home, "/.cache/neurofeat");
  }
  return "/tmp/neurofeat-cache";
}

}  // namespace neurofeat
