#include "server/upload_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checked_math.h"
#include "core/status_macros.h"
#include "server/status_mapping.h"

namespace neurofeat::server {
namespace {

constexpr char kSpoolPrefix[] = "neurofeatd-";
constexpr char kLockName[] = ".lock";

std::string RandomId() {
  std::random_device rd;  // the kernel's entropy: ids are not guessable
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&id, "%08x", rd());
  return id;
}

bool ValidId(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// The names in `dir` but "." and ".." (empty when it cannot be read).
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

// Deletes a spool directory: its files first, the lock last (a sweep cut
// short leaves a lock-less directory, which the next sweep judges by pid),
// then the directory. Returns the bytes of the regular files removed.
int64_t RemoveSpoolDir(const std::string& dir) {
  int64_t bytes = 0;
  for (const std::string& name : ListDir(dir)) {
    if (name == kLockName) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) bytes += st.st_size;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // never follows symlinks
  }
  ::unlink(absl::StrCat(dir, "/", kLockName).c_str());
  ::rmdir(dir.c_str());
  return bytes;
}

// Whether a lock-less spool directory named neurofeatd-<pid>[-...] may still
// belong to a live process: its pid is running (or cannot be told).
bool PidMayBeAlive(absl::string_view name) {
  name.remove_prefix(std::strlen(kSpoolPrefix));
  const absl::string_view digits = name.substr(0, name.find('-'));
  int pid = 0;
  if (!absl::SimpleAtoi(digits, &pid) || pid <= 0) return true;  // not ours to judge
  if (pid == ::getpid()) return false;  // a previous process with our pid (a container restart)
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

// Makes parent/neurofeatd-<pid>-<random> holding a locked .lock; the
// directory appears under that name only once locked (it is made under a
// hidden name sweeps ignore, then renamed), so no sweep can take a live
// store's directory for a dead one.
absl::Status MakeSpoolDir(const std::string& parent, std::string* dir, int* lock_fd) {
  std::string name = absl::StrCat(parent, "/.", kSpoolPrefix, ::getpid(), "-XXXXXX");
  if (::mkdtemp(name.data()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--upload-dir=", parent, ": cannot make a spool directory there: ", std::strerror(errno)));
  }
  const std::string staging = name;
  const std::string lock_path = absl::StrCat(staging, "/", kLockName);
  Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  const int open_error = errno;
  if (fd.get() < 0) {
    ::rmdir(staging.c_str());
    return absl::InvalidArgumentError(absl::StrCat(
        "--upload-dir=", parent, ": cannot make the spool's lock: ", std::strerror(open_error)));
  }
  // A file system without flock (some network mounts) fails here: the
  // directory then looks alive to every sweep, and only a clean stop
  // removes it.
  (void)::flock(fd.get(), LOCK_EX | LOCK_NB);
  *dir =
      absl::StrCat(parent, "/", kSpoolPrefix, ::getpid(), "-", staging.substr(staging.size() - 6));
  if (::rename(staging.c_str(), dir->c_str()) != 0) {
    const int rename_error = errno;
    ::unlink(lock_path.c_str());
    ::rmdir(staging.c_str());
    return absl::InvalidArgumentError(
        absl::StrCat("--upload-dir=", parent,
                     ": cannot make a spool directory there: ", std::strerror(rename_error)));
  }
  *lock_fd = fd.release();
  return absl::OkStatus();
}

}  // namespace

SpoolSweep SweepAbandonedSpools(const std::string& parent_dir) {
  SpoolSweep sweep;
  for (const std::string& name : ListDir(parent_dir)) {
    if (!absl::StartsWith(name, kSpoolPrefix)) continue;
    const std::string dir = absl::StrCat(parent_dir, "/", name);
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    Fd lock(::open(absl::StrCat(dir, "/", kLockName).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (lock.get() >= 0) {
      // Held: its owner lives. Any other failure: cannot tell, leave it.
      if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) continue;
    } else if (errno != ENOENT || PidMayBeAlive(name)) {
      continue;
    }
    sweep.bytes += RemoveSpoolDir(dir);
    ++sweep.directories;
  }
  return sweep;
}

absl::StatusOr<std::unique_ptr<UploadStore>> UploadStore::Create(
    const UploadStoreOptions& options) {
  if (options.parent_dir.empty()) {
    return absl::InvalidArgumentError("--upload-dir: empty (name a directory)");
  }
  std::error_code ec;
  const bool created = std::filesystem::create_directories(options.parent_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload-dir=", options.parent_dir, ": cannot create: ", ec.message()));
  }
  if (created) ::chmod(options.parent_dir.c_str(), 0700);
  auto store = absl::WrapUnique(new UploadStore());
  store->options_ = options;
  store->swept_ = SweepAbandonedSpools(options.parent_dir);
  NF_RETURN_IF_ERROR(MakeSpoolDir(options.parent_dir, &store->dir_, &store->lock_fd_));
  if (options.ttl.count() > 0) store->timer_ = std::thread([s = store.get()] { s->ExpireLoop(); });
  return store;
}

UploadStore::~UploadStore() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  changed_.SignalAll();
  if (timer_.joinable()) timer_.join();
  if (!dir_.empty()) RemoveSpoolDir(dir_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void UploadStore::ExpireLoop() {
  mu_.Lock();
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> next;
    bool due = false;
    for (const auto& [id, entry] : finished_) {
      const auto at = entry.finished + options_.ttl;
      due = due || at <= now;
      if (!next.has_value() || at < *next) next = at;
    }
    if (due) {
      mu_.Unlock();
      Expire(now);
      mu_.Lock();
    } else if (next.has_value()) {
      changed_.WaitFor(&mu_, *next - now);
    } else {
      changed_.Wait(&mu_);
    }
  }
  mu_.Unlock();
}

void UploadStore::Expire(std::chrono::steady_clock::time_point now) {
  if (options_.ttl.count() <= 0) return;
  std::vector<std::string> expired;
  {
    MutexLock lock(&mu_);
    for (auto it = finished_.begin(); it != finished_.end();) {
      if (now - it->second.finished >= options_.ttl) {
        expired.push_back(it->second.path);
        reserved_bytes_ -= it->second.bytes;
        it = finished_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // A request that opened the file before keeps reading it: unlink only
  // drops the name.
  for (const std::string& path : expired) std::remove(path.c_str());
}

int64_t UploadStore::spool_bytes() const {
  MutexLock lock(&mu_);
  return reserved_bytes_;
}

void UploadStore::Unreserve(int64_t bytes) {
  MutexLock lock(&mu_);
  reserved_bytes_ -= bytes;
}

absl::StatusOr<std::unique_ptr<UploadStore::Writer>> UploadStore::Begin(
    NpyDtype dtype, const std::vector<int64_t>& shape) {
  if (shape.size() != 2 && shape.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload.header.shape: expected (frames, channels) or (windows, channels, times), got ",
        shape.size(), " dimensions"));
  }
  for (int64_t d : shape) {
    if (d < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("upload.header.shape: sizes must be >= 1, got ", d));
    }
  }
  NF_RETURN_IF_ERROR(CheckCount(shape[1], 1, kMaxChannels, "upload.header.shape[1] (channels)"));
  std::vector<int64_t> factors = shape;
  factors.push_back(static_cast<int64_t>(NpyDtypeSize(dtype)));
  NF_ASSIGN_OR_RETURN(const int64_t bytes, CheckedProduct(factors.data(), factors.size(),
                                                          "upload.header.shape x dtype size"));
  if (bytes > options_.max_upload_bytes) {
    return NeverFits(absl::ResourceExhaustedError(
        absl::StrCat("upload.header.shape: ", bytes, " bytes exceed the server's upload limit of ",
                     options_.max_upload_bytes,
                     " bytes (--max-upload-bytes); put the file under a data root instead")));
  }
  {
    MutexLock lock(&mu_);
    if (reserved_bytes_ + bytes > options_.max_spool_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("upload: the upload spool is full (", reserved_bytes_, " of ",
                       options_.max_spool_bytes, " bytes held by other uploads; this one needs ",
                       bytes, "); retry when uploads expire, or put the file under a data root"));
    }
    reserved_bytes_ += bytes;
  }
  auto w = absl::WrapUnique(new Writer());
  w->store_ = this;
  w->id_ = RandomId();
  w->path_ = absl::StrCat(dir_, "/", w->id_, ".npy");
  w->expected_ = bytes;  // reserved: the writer returns it unless it finishes
  NF_ASSIGN_OR_RETURN(w->npy_, NpyWriter::Create(w->path_, dtype, shape));
  return w;
}

absl::Status UploadStore::Writer::Append(const void* data, size_t bytes) {
  if (received_ + static_cast<int64_t>(bytes) > expected_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload.data: more bytes than the header's shape announces (", expected_, ")"));
  }
  received_ += static_cast<int64_t>(bytes);
  return npy_->AppendBytes(data, bytes);
}

absl::StatusOr<std::string> UploadStore::Writer::Finish() {
  if (received_ != expected_) {
    return absl::InvalidArgumentError(absl::StrCat("upload.data: received ", received_,
                                                   " bytes, the header announces ", expected_));
  }
  NF_RETURN_IF_ERROR(npy_->Finish());
  npy_.reset();
  finished_ = true;
  {
    MutexLock lock(&store_->mu_);
    store_->finished_[id_] = Entry{path_, expected_, std::chrono::steady_clock::now()};
  }
  store_->changed_.SignalAll();  // the timer may be waiting with nothing to expire
  return id_;
}

UploadStore::Writer::~Writer() {
  if (!finished_) {
    npy_.reset();
    std::remove(path_.c_str());
    store_->Unreserve(expected_);
  }
}

absl::StatusOr<std::string> UploadStore::Path(const std::string& id) const {
  if (!ValidId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("recording.upload_id: \"", id, "\" is not an upload id"));
  }
  MutexLock lock(&mu_);
  auto it = finished_.find(id);
  if (it == finished_.end() ||
      (options_.ttl.count() > 0 &&
       std::chrono::steady_clock::now() - it->second.finished >= options_.ttl)) {
    return absl::NotFoundError(
        absl::StrCat("recording.upload_id: upload \"", id,
                     "\" is unknown to this server (it restarted since, another replica holds "
                     "it, or it expired); upload the recording again"));
  }
  return it->second.path;
}

}  // namespace neurofeat::server
