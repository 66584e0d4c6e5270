// File: upload_store.h
//
// UploadStore: recordings clients upload in chunks, spooled to .npy files in
// a private directory (never held in memory) and addressed by a random id.
// Each upload is bounded in size, and so is the spool as a whole: an upload
// reserves its announced size when it begins, and the reservation is
// returned when it fails, expires or the store dies.
//
// Spooled files never outlive the process that wrote them:
// - a finished upload is deleted by the store's own timer thread as soon as
//   it is older than the time to live (not at the next upload);
// - the store dies (clean stop) by deleting its files and its directory;
// - a process that dies without a clean stop (kill -9, OOM killer, power
//   loss) leaves its directory behind, and the next store created under the
//   same parent directory removes it: each store holds an flock(2) on a
//   `.lock` file in its directory for as long as it lives, the kernel drops
//   that lock when the process dies however it dies, and a directory whose
//   lock can be taken belongs to no live process.
//
// Example:
//   NF_ASSIGN_OR_RETURN(std::unique_ptr<UploadStore> store,
//                       UploadStore::Create({.parent_dir = "/tmp"}));
//   NF_ASSIGN_OR_RETURN(auto writer, store->Begin(NpyDtype::kInt16, {30000, 4}));
//   NF_RETURN_IF_ERROR(writer->Append(data, bytes));
//   NF_ASSIGN_OR_RETURN(std::string id, writer->Finish());
//   NF_ASSIGN_OR_RETURN(std::string path, store->Path(id));
#ifndef NEUROFEAT_SERVER_UPLOAD_STORE_H_
#define NEUROFEAT_SERVER_UPLOAD_STORE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/io/npy.h"
#include "core/mutex.h"

namespace neurofeat::server {

struct UploadStoreOptions {
  // The directory in which the store makes its own spool directory,
  // neurofeatd-<pid>-<random> (mode 0700). Created (mode 0700) if missing;
  // an existing directory's mode is left alone ($TMPDIR is shared).
  // REQUIRES: not empty.
  std::string parent_dir;
  // Largest single upload in bytes. Default: 16 GiB.
  int64_t max_upload_bytes = int64_t{16} << 30;
  // Largest total of uploads in progress and finished. Default: 64 GiB.
  int64_t max_spool_bytes = int64_t{64} << 30;
  // How long a finished upload stays usable; <= 0: until the store dies.
  // Default: 1 h.
  std::chrono::seconds ttl{3600};
};

// What the start-up sweep removed: spool directories of processes that
// died without a clean stop, and the bytes of their files.
struct SpoolSweep {
  int directories = 0;
  int64_t bytes = 0;
};

// SweepAbandonedSpools() removes the spool directories under `parent_dir`
// that no live process owns: a directory named neurofeatd-* owned by this
// user whose `.lock` can be locked (its owner is dead), or that has no
// `.lock` (a spool of an older server, or a sweep cut short) and whose
// <pid> is not a live process. Directories of other users, of live
// processes, and anything it cannot judge are left alone. UploadStore::Create
// calls it; it is public for tests and tools.
SpoolSweep SweepAbandonedSpools(const std::string& parent_dir);

class UploadStore {
 public:
  // Create() sweeps `parent_dir` (SweepAbandonedSpools), makes the store's
  // own directory under it and starts the expiry timer (when ttl > 0).
  // Errors: InvalidArgument when the directory cannot be made (the message
  // names --upload-dir).
  static absl::StatusOr<std::unique_ptr<UploadStore>> Create(const UploadStoreOptions& options);
  // The destructor stops the timer and deletes every spooled file, the lock
  // and the directory. REQUIRES: no Writer outlives the store.
  ~UploadStore();
  UploadStore(const UploadStore&) = delete;
  UploadStore& operator=(const UploadStore&) = delete;

  // One upload in progress: Append() the samples in order, then Finish().
  class Writer {
   public:
    absl::Status Append(const void* data, size_t bytes);
    // Finish() checks that exactly the announced bytes arrived; returns the id.
    absl::StatusOr<std::string> Finish();
    // The samples' bytes the header announced.
    int64_t expected_bytes() const { return expected_; }
    ~Writer();

   private:
    friend class UploadStore;
    Writer() = default;
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

  // Path() is the .npy of a finished upload. Errors: InvalidArgument for a
  // string that is not an id; NOT_FOUND for an id this store does not hold
  // (never uploaded here, expired, or held by another server or by this
  // one before a restart): the message says to upload again. Thread-safe.
  absl::StatusOr<std::string> Path(const std::string& id) const;

  // Expire() deletes the finished uploads whose time to live has passed at
  // `now`. The timer calls it; tests call it with a clock of their choice.
  void Expire(std::chrono::steady_clock::time_point now) ABSL_LOCKS_EXCLUDED(mu_);

  int64_t max_upload_bytes() const { return options_.max_upload_bytes; }
  // dir() is the store's own directory (under parent_dir).
  const std::string& dir() const { return dir_; }
  // What Create()'s sweep removed.
  const SpoolSweep& swept() const { return swept_; }
  // Bytes reserved by uploads in progress and finished ones: what
  // max_spool_bytes bounds. Thread-safe.
  int64_t spool_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  UploadStore() = default;
  void Unreserve(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // The timer: sleeps until the oldest finished upload expires (or a new
  // one finishes), expires, until the store dies.
  void ExpireLoop() ABSL_LOCKS_EXCLUDED(mu_);

  UploadStoreOptions options_;
  std::string dir_;
  int lock_fd_ = -1;  // holds the flock that marks dir_ as alive
  SpoolSweep swept_;
  mutable Mutex mu_;
  CondVar changed_;  // a finished upload, or the store stopping
  struct Entry {
    std::string path;
    int64_t bytes = 0;
    std::chrono::steady_clock::time_point finished;
  };
  std::map<std::string, Entry> finished_ ABSL_GUARDED_BY(mu_);
  int64_t reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UPLOAD_STORE_H_
