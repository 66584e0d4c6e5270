#include "server/upload_store.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"

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

absl::StatusOr<std::unique_ptr<UploadStore>> UploadStore::Create(const std::string& dir,
                                                                 int64_t max_upload_bytes,
                                                                 std::chrono::seconds ttl) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload-dir=", dir, ": cannot create: ", ec.message()));
  }
  ::chmod(dir.c_str(), 0700);
  auto store = std::make_unique<UploadStore>();
  store->dir_ = dir;
  store->max_upload_bytes_ = max_upload_bytes;
  store->ttl_ = ttl;
  return store;
}

UploadStore::~UploadStore() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, entry] : finished_) std::remove(entry.path.c_str());
}

void UploadStore::Expire(std::chrono::steady_clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = finished_.begin(); it != finished_.end();) {
    if (now - it->second.finished > ttl_) {
      std::remove(it->second.path.c_str());
      it = finished_.erase(it);
    } else {
      ++it;
    }
  }
}

absl::StatusOr<std::unique_ptr<UploadStore::Writer>> UploadStore::Begin(
    NpyDtype dtype, const std::vector<int64_t>& shape) {
  Expire(std::chrono::steady_clock::now());
  if (shape.size() != 2 && shape.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload.header.shape: expected (frames, channels) or (windows, channels, times), got ",
        shape.size(), " dimensions"));
  }
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 1 || elements > (int64_t{1} << 50) / d) {
      return absl::InvalidArgumentError(
          "upload.header.shape: every size must be >= 1 and the total sane");
    }
    elements *= d;
  }
  const int64_t bytes = elements * NpyDtypeSize(dtype);
  if (bytes > max_upload_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "upload.header.shape: ", bytes, " bytes exceed the server's upload limit of ",
        max_upload_bytes_, " bytes (--max-upload-bytes); put the file under a data root instead"));
  }
  auto w = std::unique_ptr<Writer>(new Writer());
  w->store_ = this;
  w->id_ = RandomId();
  w->path_ = absl::StrCat(dir_, "/", w->id_, ".npy");
  w->expected_ = bytes;
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
  std::lock_guard<std::mutex> lock(store_->mu_);
  store_->finished_[id_] = Entry{path_, std::chrono::steady_clock::now()};
  return id_;
}

UploadStore::Writer::~Writer() {
  if (!finished_) {
    npy_.reset();
    std::remove(path_.c_str());
  }
}

absl::StatusOr<std::string> UploadStore::Path(const std::string& id) const {
  if (!ValidId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("recording.upload_id: \"", id, "\" is not an upload id"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = finished_.find(id);
  if (it == finished_.end() ||
      (ttl_.count() > 0 && std::chrono::steady_clock::now() - it->second.finished > ttl_)) {
    return absl::NotFoundError(absl::StrCat("recording.upload_id: no finished upload \"", id,
                                            "\" (uploads expire after ", ttl_.count(), " s)"));
  }
  return it->second.path;
}

}  // namespace neurofeat::server
