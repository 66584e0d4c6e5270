// File: content_keys.h
//
// ContentKeys: the content digest that identifies a recording's samples in
// cache descriptors. A file's digest is computed once (in parallel blocks,
// in the arena) and remembered by its identity (device, inode, size, mtime)
// in memory and in the cache's "files" level, so a second request, even
// after a restart, does not re-read the whole file.
#ifndef NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_
#define NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "core/result_store.h"

namespace neurofeat {

class ContentKeys {
 public:
  // `run` runs a function on the compute arena and waits for it (default:
  // RunInArena; the server passes one that only submits, so gRPC threads do
  // not compute).
  // `store` (may be null) remembers digests across restarts.
  explicit ContentKeys(ResultStore* store,
                       std::function<void(const std::function<void()>&)> run = nullptr);
  // ForFile() runs hashing on the compute arena; call from any thread.
  absl::StatusOr<std::string> ForFile(const std::string& path);
  std::string ForBytes(const std::string& bytes);
  // Files hashed (not found by identity): for tests and logs.
  int64_t files_hashed() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ResultStore* cache_;
  std::function<void(const std::function<void()>&)> run_;
  mutable Mutex mu_;
  std::map<std::string, std::string> by_identity_ ABSL_GUARDED_BY(mu_);
  int64_t files_hashed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_CONTENT_KEYS_H_
