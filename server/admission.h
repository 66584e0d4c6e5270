// File: admission.h
//
// Admission: the memory budget shared by running requests. A request asks
// for its estimated working set; if it fits it runs, otherwise it waits in a
// bounded queue (first come, first served) for a bounded time, then gets
// RESOURCE_EXHAUSTED with a retry hint. A request larger than the whole
// budget is refused at once (waiting would not help). When the server
// drains, new requests get UNAVAILABLE.
//
// Example:
//   NF_ASSIGN_OR_RETURN(Admission::Ticket ticket,
//                       admission.Admit(bytes, [&] { return ctx->IsCancelled(); }));
#ifndef NEUROFEAT_SERVER_ADMISSION_H_
#define NEUROFEAT_SERVER_ADMISSION_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "absl/status/statusor.h"

namespace neurofeat::server {

class Admission {
 public:
  struct Options {
    int64_t budget_bytes = int64_t{1} << 30;
    int max_queue = 16;  // waiting requests beyond the running ones
    std::chrono::milliseconds max_wait{30000};
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

  explicit Admission(Options options) : options_(options) {}

  // Admit() blocks until `bytes` fit. `cancelled` is polled while waiting
  // (the client went away or its deadline passed: CANCELLED).
  absl::StatusOr<Ticket> Admit(int64_t bytes, const std::function<bool()>& cancelled);

  // Drain() refuses every later Admit() with UNAVAILABLE.
  void Drain();

  int in_flight() const;
  int waiting() const;
  int64_t bytes_in_use() const;
  const Options& options() const { return options_; }

 private:
  void Release(int64_t bytes);

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<uint64_t> queue_;  // waiting tickets, in arrival order
  uint64_t next_id_ = 0;
  int64_t in_use_ = 0;
  int in_flight_ = 0;
  bool draining_ = false;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_ADMISSION_H_
