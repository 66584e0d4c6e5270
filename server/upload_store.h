// File: upload_store.h
//
// UploadStore: recordings clients upload in chunks, spooled to .npy files in
// a private directory (never held in memory), addressed by a random id, and
// removed once older than the time to live or when the store dies (server
// exit). Each upload is bounded in size, and so is the spool as a whole:
// an upload reserves its announced size when it begins, and the
// reservation is returned when it fails, expires or the store dies.
#ifndef NEUROFEAT_SERVER_UPLOAD_STORE_H_
#define NEUROFEAT_SERVER_UPLOAD_STORE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "core/io/npy.h"

namespace neurofeat::server {

struct UploadStoreOptions {
  // The spool directory, created mode 0700 if needed.
  std::string dir;
  // Largest single upload in bytes. Default: 16 GiB.
  int64_t max_upload_bytes = int64_t{16} << 30;
  // Largest total of uploads in progress and finished. Default: 64 GiB.
  int64_t max_spool_bytes = int64_t{64} << 30;
  // How long a finished upload stays usable; <= 0: until exit. Default: 1 h.
  std::chrono::seconds ttl{3600};
};

class UploadStore {
 public:
  static absl::StatusOr<std::unique_ptr<UploadStore>> Create(const UploadStoreOptions& options);
  ~UploadStore();

  // One upload in progress: Append() the samples in order, then Finish().
  class Writer {
   public:
    absl::Status Append(const void* data, size_t bytes);
    // Finish() checks that exactly the announced bytes arrived; returns the id.
    absl::StatusOr<std::string> Finish();
    ~Writer();

   private:
    friend class UploadStore;
    UploadStore* store_ = nullptr;
    std::string id_, path_;
    std::unique_ptr<NpyWriter> npy_;
    int64_t expected_ = 0, received_ = 0;
    bool finished_ = false;
  };

  // Begin() starts an upload of `shape` samples of `dtype`.
  // Errors: InvalidArgument (shape), RESOURCE_EXHAUSTED when the upload is
  // larger than max_upload_bytes or the spool has no room for it.
  absl::StatusOr<std::unique_ptr<Writer>> Begin(NpyDtype dtype, const std::vector<int64_t>& shape);

  // Path() is the .npy of a finished upload; NOT_FOUND for unknown or
  // expired ids.
  absl::StatusOr<std::string> Path(const std::string& id) const;
  // Expire() deletes uploads older than the time to live (called on every
  // Begin; tests call it with a clock of their choice).
  void Expire(std::chrono::steady_clock::time_point now);

  int64_t max_upload_bytes() const { return options_.max_upload_bytes; }
  const std::string& dir() const { return options_.dir; }
  // Bytes reserved by uploads in progress and finished ones.
  int64_t spool_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Unreserve(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  UploadStoreOptions options_;
  mutable Mutex mu_;
  struct Entry {
    std::string path;
    int64_t bytes = 0;
    std::chrono::steady_clock::time_point finished;
  };
  std::map<std::string, Entry> finished_ ABSL_GUARDED_BY(mu_);
  int64_t reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UPLOAD_STORE_H_
