// File: admission.h
//
// Admission: the memory budget shared by running requests. A request asks
// for its estimated working set; if it fits it runs, otherwise it waits in a
// bounded queue (first come, first served) for a bounded time, then gets
// RESOURCE_EXHAUSTED with a retry hint. A request larger than the whole
// budget is refused at once (waiting would not help). When the server
// drains, new and waiting requests get UNAVAILABLE.
//
// The server's reactors must not block, so admission is asynchronous: the
// answer comes through a callback, at once or when memory frees, the wait
// expires, the caller cancels, or the server drains. Admit() is the
// blocking form for tools and tests.
//
// Example:
//   admission.AdmitAsync(bytes, [call](absl::StatusOr<Admission::Ticket> t) { ... });
#ifndef NEUROFEAT_SERVER_ADMISSION_H_
#define NEUROFEAT_SERVER_ADMISSION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"

namespace neurofeat::server {

// kCallBytes: what an admitted call holds besides its job's own buffers:
// gRPC's for the call (HTTP/2 frames in flight, the call's arena), and the
// pages its large blocks round up to. Measured: a request's peak exceeds
// the buffers its job counts by up to 1.4 MiB
// (tests/integration/admission_memory_test.cc).
inline constexpr int64_t kCallBytes = int64_t{2} << 20;

// CallWorkingSet() is what a call whose job holds `job_bytes` asks
// admission for.
inline int64_t CallWorkingSet(int64_t job_bytes) {
  return job_bytes > INT64_MAX - kCallBytes ? INT64_MAX : job_bytes + kCallBytes;
}

class Admission {
 public:
  struct Options {
    // Bytes the working sets of running requests may add up to.
    // Default: 1 GiB (the server derives it from its memory limits).
    int64_t budget_bytes = int64_t{1} << 30;
    // Requests that may wait beyond the running ones. Default: 16.
    int max_queue = 16;
    // Longest wait for memory. Default: 30 s.
    std::chrono::milliseconds max_wait{30000};
    // Called (without the admission's lock) with the budget not held by
    // running requests, after it changes: the server lets its buffer pool
    // keep at most that much, so cached buffers and admitted working sets
    // together stay within the budget. Default: none.
    std::function<void(int64_t free_bytes)> on_free_bytes;
    // Called (without the admission's lock, on its timer thread) once no
    // request has been running or waiting for `idle_delay`: the server
    // hands cached memory back to the kernel then (its buffer pool, the
    // allocator's free pages), so a server at rest holds what it held at
    // start. The delay keeps back-to-back requests from paying for pages
    // the previous one just gave back. Default: none; 1 s.
    std::function<void()> on_idle;
    std::chrono::milliseconds idle_delay{1000};
  };

  // Ticket holds admitted bytes until it dies.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();
    int64_t bytes() const { return bytes_; }

   private:
    friend class Admission;
    Ticket(Admission* owner, int64_t bytes) : owner_(owner), bytes_(bytes) {}
    Admission* owner_ = nullptr;
    int64_t bytes_ = 0;
  };

  using Callback = std::function<void(absl::StatusOr<Ticket>)>;

  explicit Admission(Options options);
  // Waiting requests get UNAVAILABLE. REQUIRES: no ticket outlives it.
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // AdmitAsync() calls `done` exactly once, never under the admission's
  // lock: at once when the bytes fit or the request is refused; later from
  // the thread that frees memory, from the expiry timer (RESOURCE_EXHAUSTED
  // after max_wait), from Cancel() (CANCELLED) or Drain() (UNAVAILABLE).
  // `done` must be quick (it runs on whatever thread frees memory). Returns
  // an id for Cancel().
  uint64_t AdmitAsync(int64_t bytes, Callback done) ABSL_LOCKS_EXCLUDED(mu_);
  // Cancel() answers a waiting request with CANCELLED; no-op otherwise.
  void Cancel(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // Admit() blocks until the answer; `cancelled` (may be empty) is polled
  // while waiting.
  absl::StatusOr<Ticket> Admit(int64_t bytes, const std::function<bool()>& cancelled);

  // Drain() refuses every waiting and later request with UNAVAILABLE.
  void Drain() ABSL_LOCKS_EXCLUDED(mu_);

  int in_flight() const ABSL_LOCKS_EXCLUDED(mu_);
  int waiting() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t bytes_in_use() const ABSL_LOCKS_EXCLUDED(mu_);
  // Times on_idle has run.
  int64_t idle_calls() const ABSL_LOCKS_EXCLUDED(mu_);
  const Options& options() const { return options_; }

 private:
  struct Waiter {
    uint64_t id = 0;
    int64_t bytes = 0;
    std::chrono::steady_clock::time_point deadline;
    Callback done;
  };
  struct Answer {
    Callback done;
    absl::StatusOr<Ticket> result;
  };

  void Release(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // Admits waiters from the front of the queue while they fit.
  void AdmitWaitingLocked(std::vector<Answer>* answers) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Ticket TakeLocked(int64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(std::vector<Answer> answers, bool budget_changed) ABSL_LOCKS_EXCLUDED(mu_);
  void TimerLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  mutable Mutex mu_;
  CondVar timer_cv_;
  std::deque<Waiter> queue_ ABSL_GUARDED_BY(mu_);  // in arrival order
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the last request leaves; on_idle runs at idle_at_ unless a
  // request comes first.
  bool idle_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point idle_at_ ABSL_GUARDED_BY(mu_);
  int64_t idle_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread timer_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_ADMISSION_H_
