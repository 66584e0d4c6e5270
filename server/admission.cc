#include "server/admission.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace neurofeat::server {
namespace {

std::string Mib(int64_t bytes) { return absl::StrCat((bytes + (1 << 20) - 1) >> 20, " MiB"); }

absl::Status Draining() {
  return absl::UnavailableError("the server is shutting down; retry on another instance");
}

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

Admission::Admission(Options options) : options_(std::move(options)) {
  timer_ = std::thread([this] { TimerLoop(); });
}

Admission::~Admission() {
  std::vector<Answer> answers;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    for (Waiter& w : queue_) answers.push_back({std::move(w.done), Draining()});
    queue_.clear();
    timer_cv_.SignalAll();
  }
  timer_.join();
  for (Answer& a : answers) a.done(std::move(a.result));
}

Admission::Ticket Admission::TakeLocked(int64_t bytes) {
  in_use_ += bytes;
  ++in_flight_;
  idle_pending_ = false;
  return Ticket(this, bytes);
}

void Admission::AdmitWaitingLocked(std::vector<Answer>* answers) {
  while (!queue_.empty() && in_use_ + queue_.front().bytes <= options_.budget_bytes) {
    Waiter w = std::move(queue_.front());
    queue_.pop_front();
    answers->push_back({std::move(w.done), TakeLocked(w.bytes)});
  }
}

void Admission::Deliver(std::vector<Answer> answers, bool budget_changed) {
  if (budget_changed && options_.on_free_bytes) {
    int64_t free_bytes = 0;
    {
      MutexLock lock(&mu_);
      free_bytes = std::max<int64_t>(0, options_.budget_bytes - in_use_);
    }
    options_.on_free_bytes(free_bytes);
  }
  for (Answer& a : answers) a.done(std::move(a.result));
}

uint64_t Admission::AdmitAsync(int64_t bytes, Callback done) {
  bytes = std::max<int64_t>(bytes, 1);
  std::vector<Answer> answers;
  uint64_t id = 0;
  bool admitted = false;
  {
    MutexLock lock(&mu_);
    id = next_id_++;
    if (draining_ || stopping_) {
      answers.push_back({std::move(done), Draining()});
    } else if (bytes > options_.budget_bytes) {
      answers.push_back(
          {std::move(done),
           NeverFits(absl::ResourceExhaustedError(absl::StrCat(
               "the request needs about ", Mib(bytes),
               " of working memory but the server's budget is ", Mib(options_.budget_bytes),
               "; use shorter chunks or fewer windows per request")))});
    } else if (queue_.empty() && in_use_ + bytes <= options_.budget_bytes) {
      answers.push_back({std::move(done), TakeLocked(bytes)});
      admitted = true;
    } else if (static_cast<int>(queue_.size()) >= options_.max_queue) {
      answers.push_back({std::move(done), absl::ResourceExhaustedError(absl::StrCat(
                                              "the server is busy (", in_flight_, " running, ",
                                              queue_.size(), " waiting, queue limit ",
                                              options_.max_queue, "); retry in about 1 s"))});
    } else {
      queue_.push_back(
          {id, bytes, std::chrono::steady_clock::now() + options_.max_wait, std::move(done)});
      timer_cv_.SignalAll();
    }
  }
  Deliver(std::move(answers), admitted);
  return id;
}

void Admission::Cancel(uint64_t id) {
  std::vector<Answer> answers;
  {
    MutexLock lock(&mu_);
    auto it =
        std::find_if(queue_.begin(), queue_.end(), [id](const Waiter& w) { return w.id == id; });
    if (it == queue_.end()) return;
    answers.push_back(
        {std::move(it->done), absl::CancelledError("cancelled while waiting for memory")});
    queue_.erase(it);
    // The front may have changed: whoever now leads and fits goes.
    AdmitWaitingLocked(&answers);
  }
  const bool admitted = answers.size() > 1;
  Deliver(std::move(answers), admitted);
}

absl::StatusOr<Admission::Ticket> Admission::Admit(int64_t bytes,
                                                   const std::function<bool()>& cancelled) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Ticket>>>();
  std::future<absl::StatusOr<Ticket>> answer = promise->get_future();
  const uint64_t id =
      AdmitAsync(bytes, [promise](absl::StatusOr<Ticket> t) { promise->set_value(std::move(t)); });
  // Poll for cancellation while waiting.
  while (answer.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (cancelled && cancelled()) Cancel(id);
  }
  return answer.get();
}

void Admission::Release(int64_t bytes) {
  std::vector<Answer> answers;
  {
    MutexLock lock(&mu_);
    in_use_ -= bytes;
    --in_flight_;
    AdmitWaitingLocked(&answers);
    if (in_flight_ == 0 && queue_.empty() && options_.on_idle) {
      idle_pending_ = true;
      idle_at_ = std::chrono::steady_clock::now() + options_.idle_delay;
      timer_cv_.SignalAll();
    }
  }
  Deliver(std::move(answers), true);
}

void Admission::Drain() {
  std::vector<Answer> answers;
  {
    MutexLock lock(&mu_);
    draining_ = true;
    for (Waiter& w : queue_) answers.push_back({std::move(w.done), Draining()});
    queue_.clear();
  }
  Deliver(std::move(answers), false);
}

void Admission::TimerLoop() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<Answer> expired;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->deadline <= now) {
        expired.push_back({std::move(it->done),
                           absl::ResourceExhaustedError(absl::StrCat(
                               "waited ", options_.max_wait.count() / 1000.0, " s for ",
                               Mib(it->bytes), " of working memory (", Mib(in_use_), " of ",
                               Mib(options_.budget_bytes), " in use); retry in about 5 s"))});
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    if (!expired.empty()) {
      // A waiter that left the front may let the next one in.
      AdmitWaitingLocked(&expired);
      mu_.Unlock();
      Deliver(std::move(expired), true);
      mu_.Lock();
      continue;
    }
    if (idle_pending_ && idle_at_ <= now) {
      // Nothing ran or waited since idle_at_ was set (TakeLocked clears it).
      idle_pending_ = false;
      ++idle_calls_;
      mu_.Unlock();
      options_.on_idle();
      mu_.Lock();
      continue;
    }
    if (queue_.empty() && !idle_pending_) {
      timer_cv_.Wait(&mu_);
    } else {
      auto earliest = idle_pending_ ? idle_at_ : std::chrono::steady_clock::time_point::max();
      for (const Waiter& w : queue_) earliest = std::min(earliest, w.deadline);
      timer_cv_.WaitFor(&mu_, earliest - now);
    }
  }
}

int Admission::in_flight() const {
  MutexLock lock(&mu_);
  return in_flight_;
}

int Admission::waiting() const {
  MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int64_t Admission::idle_calls() const {
  MutexLock lock(&mu_);
  return idle_calls_;
}

int64_t Admission::bytes_in_use() const {
  MutexLock lock(&mu_);
  return in_use_;
}

}  // namespace neurofeat::server
