#include "server/upload_store.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checked_math.h"
#include "core/status_macros.h"
#include "server/status_mapping.h"

namespace neurofeat::server {
namespace {

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

}  // namespace

absl::StatusOr<std::unique_ptr<UploadStore>> UploadStore::Create(
    const UploadStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload-dir=", options.dir, ": cannot create: ", ec.message()));
  }
  ::chmod(options.dir.c_str(), 0700);
  auto store = std::make_unique<UploadStore>();
  store->options_ = options;
  return store;
}

UploadStore::~UploadStore() {
  MutexLock lock(&mu_);
  for (const auto& [id, entry] : finished_) std::remove(entry.path.c_str());
}

void UploadStore::Expire(std::chrono::steady_clock::time_point now) {
  if (options_.ttl.count() <= 0) return;
  MutexLock lock(&mu_);
  for (auto it = finished_.begin(); it != finished_.end();) {
    if (now - it->second.finished > options_.ttl) {
      std::remove(it->second.path.c_str());
      reserved_bytes_ -= it->second.bytes;
      it = finished_.erase(it);
    } else {
      ++it;
    }
  }
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
  Expire(std::chrono::steady_clock::now());
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
  auto w = std::unique_ptr<Writer>(new Writer());
  w->store_ = this;
  w->id_ = RandomId();
  w->path_ = absl::StrCat(options_.dir, "/", w->id_, ".npy");
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
  MutexLock lock(&store_->mu_);
  store_->finished_[id_] = Entry{path_, expected_, std::chrono::steady_clock::now()};
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
       std::chrono::steady_clock::now() - it->second.finished > options_.ttl)) {
    return absl::NotFoundError(absl::StrCat("recording.upload_id: no finished upload \"", id,
                                            "\" (uploads expire after ", options_.ttl.count(),
                                            " s)"));
  }
  return it->second.path;
}

}  // namespace neurofeat::server
