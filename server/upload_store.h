// File: upload_store.h
//
// UploadStore: recordings clients upload in chunks, spooled to .npy files in
// a private directory (never held in memory), addressed by a random id, and
// removed once older than the time to live or when the store dies (server
// exit). Each upload is bounded in size.
#ifndef NEUROFEAT_SERVER_UPLOAD_STORE_H_
#define NEUROFEAT_SERVER_UPLOAD_STORE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/npy.h"

namespace neurofeat::server {

class UploadStore {
 public:
  // Creates `dir` (mode 0700) if needed; it must be empty or ours.
  // `ttl`: how long a finished upload stays usable (<= 0: until exit).
  static absl::StatusOr<std::unique_ptr<UploadStore>> Create(
      const std::string& dir, int64_t max_upload_bytes,
      std::chrono::seconds ttl = std::chrono::seconds(3600));
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
  absl::StatusOr<std::unique_ptr<Writer>> Begin(NpyDtype dtype, const std::vector<int64_t>& shape);

  // Path() is the .npy of a finished upload; NOT_FOUND for unknown or
  // expired ids.
  absl::StatusOr<std::string> Path(const std::string& id) const;
  // Expire() deletes uploads older than the time to live (called on every
  // Begin; tests call it with a clock of their choice).
  void Expire(std::chrono::steady_clock::time_point now);

  int64_t max_upload_bytes() const { return max_upload_bytes_; }

 private:
  std::string dir_;
  int64_t max_upload_bytes_ = 0;
  std::chrono::seconds ttl_{3600};
  mutable std::mutex mu_;
  struct Entry {
    std::string path;
    std::chrono::steady_clock::time_point finished;
  };
  std::map<std::string, Entry> finished_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UPLOAD_STORE_H_
