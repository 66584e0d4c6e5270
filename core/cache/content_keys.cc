#include "core/cache/content_keys.h"

#include "absl/strings/str_cat.h"
#include "core/cache/content_hash.h"
#include "core/exec/compute_arena.h"
#include "core/status_macros.h"

namespace neurofeat {

ContentKeys::ContentKeys(ResultStore* cache, std::function<void(const std::function<void()>&)> run)
    : cache_(cache), run_(std::move(run)) {
  if (!run_) run_ = [](const std::function<void()>& fn) { RunInArena(fn); };
}

absl::StatusOr<std::string> ContentKeys::ForFile(const std::string& path) {
  NF_ASSIGN_OR_RETURN(std::string identity, FileIdentity(path));
  {
    MutexLock lock(&mu_);
    auto it = by_identity_.find(identity);
    if (it != by_identity_.end()) return it->second;
  }
  const std::string descriptor = absl::StrCat("file-identity=", identity);
  if (cache_ != nullptr) {
    if (std::optional<std::string> d = cache_->Get(CacheLevel::kFiles, descriptor)) {
      MutexLock lock(&mu_);
      by_identity_[identity] = *d;
      return *d;
    }
  }
  absl::StatusOr<std::string> digest;
  run_([&] { digest = HashFile(path); });
  NF_RETURN_IF_ERROR(digest.status());
  // The file may have changed while it was read: only remember a digest
  // whose identity still holds.
  absl::StatusOr<std::string> after = FileIdentity(path);
  MutexLock lock(&mu_);
  ++files_hashed_;
  if (after.ok() && *after == identity) {
    by_identity_[identity] = *digest;
    if (cache_ != nullptr) cache_->Put(CacheLevel::kFiles, descriptor, *digest);
  }
  return *digest;
}

std::string ContentKeys::ForBytes(const std::string& bytes) {
  std::string digest;
  run_([&] { digest = HashBytes(bytes.data(), bytes.size()); });
  return digest;
}

int64_t ContentKeys::files_hashed() const {
  MutexLock lock(&mu_);
  return files_hashed_;
}

}  // namespace neurofeat
