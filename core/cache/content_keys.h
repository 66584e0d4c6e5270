// File: content_keys.h
//
// ContentKeys: the content digest that identifies a recording's samples in
// cache descriptors. A file's digest is computed once (in parallel blocks,
// in the arena) and remembered by its identity (device, inode, size, mtime)
// in memory and in the cache's "files" level, so a second request, even
// after a restart, does not re-read the whole file.
#ifndef NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_
#define NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_

#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "core/cache/result_cache.h"

namespace neurofeat {

class ContentKeys {
 public:
  explicit ContentKeys(ResultCache* cache) : cache_(cache) {}
  // ForFile() runs hashing on the compute arena; call from any thread.
  absl::StatusOr<std::string> ForFile(const std::string& path);
  std::string ForBytes(const std::string& bytes);
  // Files hashed (not found by identity): for tests and logs.
  int64_t files_hashed() const;

 private:
  ResultCache* cache_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> by_identity_;
  int64_t files_hashed_ = 0;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_
