#include "server/admission.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace neurofeat::server {
namespace {

std::string Mib(int64_t bytes) { return absl::StrCat((bytes + (1 << 20) - 1) >> 20, " MiB"); }

}  // namespace

Admission::Ticket::Ticket(Ticket&& other) noexcept : owner_(other.owner_), bytes_(other.bytes_) {
  other.owner_ = nullptr;
}

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release(bytes_);
    owner_ = other.owner_;
    bytes_ = other.bytes_;
    other.owner_ = nullptr;
  }
  return *this;
}

Admission::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->Release(bytes_);
}

absl::StatusOr<Admission::Ticket> Admission::Admit(int64_t bytes,
                                                   const std::function<bool()>& cancelled) {
  bytes = std::max<int64_t>(bytes, 1);
  std::unique_lock<std::mutex> lock(mu_);
  if (draining_) {
    return absl::UnavailableError("the server is shutting down; retry on another instance");
  }
  if (bytes > options_.budget_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the request needs about ", Mib(bytes), " of working memory but the server's budget is ",
        Mib(options_.budget_bytes), "; use shorter chunks or fewer windows per request"));
  }
  if (static_cast<int>(queue_.size()) >= options_.max_queue &&
      in_use_ + bytes > options_.budget_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the server is busy (", in_flight_, " running, ", queue_.size(),
                     " waiting, queue limit ", options_.max_queue, "); retry in about 1 s"));
  }
  const uint64_t id = next_id_++;
  queue_.push_back(id);
  const auto until = std::chrono::steady_clock::now() + options_.max_wait;
  while (true) {
    if (draining_) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), id));
      cv_.notify_all();
      return absl::UnavailableError("the server is shutting down; retry on another instance");
    }
    if (queue_.front() == id && in_use_ + bytes <= options_.budget_bytes) break;
    if (cancelled && cancelled()) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), id));
      cv_.notify_all();
      return absl::CancelledError("cancelled while waiting for memory");
    }
    if (std::chrono::steady_clock::now() >= until) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), id));
      cv_.notify_all();
      return absl::ResourceExhaustedError(
          absl::StrCat("waited ", options_.max_wait.count() / 1000.0, " s for ", Mib(bytes),
                       " of working memory (", Mib(in_use_), " of ", Mib(options_.budget_bytes),
                       " in use); retry in about 5 s"));
    }
    // Wake up now and then to notice cancellation.
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  queue_.pop_front();
  in_use_ += bytes;
  ++in_flight_;
  cv_.notify_all();
  return Ticket(this, bytes);
}

void Admission::Release(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  in_use_ -= bytes;
  --in_flight_;
  cv_.notify_all();
}

void Admission::Drain() {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
  cv_.notify_all();
}

int Admission::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

int Admission::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int64_t Admission::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

}  // namespace neurofeat::server
