// File: call_context.h
//
// CallContext: what every call of the service shares (admission, metrics,
// how errors are shown, the count of live calls the drain waits for), and
// helpers every reactor uses.
#ifndef NEUROFEAT_SERVER_CALL_CONTEXT_H_
#define NEUROFEAT_SERVER_CALL_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>

#include "absl/status/status.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/status_mapping.h"

namespace neurofeat::server {

struct CallContext {
  Admission* admission = nullptr;
  ServerMetrics* metrics = nullptr;  // may be null
  const StatusMapper* errors = nullptr;
  // Calls started and not yet done (the drain waits for zero).
  std::atomic<int>* live_calls = nullptr;
};

// Abandoned() is why a call stopped early: its deadline passed, or the
// client cancelled.
inline absl::Status Abandoned(const grpc::CallbackServerContext* context) {
  if (context->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed; it stopped computing");
  }
  return absl::CancelledError("the client cancelled the request; it stopped computing");
}

// RecordAdmission() counts an admission's answer in the metrics: the time
// an admitted request waited, or why it was refused.
inline void RecordAdmission(const CallContext& env,
                            std::chrono::steady_clock::time_point queued_at,
                            const absl::Status& answer) {
  if (env.metrics == nullptr) return;
  if (answer.ok()) {
    env.metrics->QueueWait(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - queued_at).count());
  } else {
    env.metrics->Rejected(answer);
  }
}

// LiveCall counts a call from its start to its end (OnDone).
class LiveCall {
 public:
  explicit LiveCall(std::atomic<int>* counter) : counter_(counter) {
    if (counter_ != nullptr) ++*counter_;
  }
  ~LiveCall() {
    if (counter_ != nullptr) --*counter_;
  }
  LiveCall(const LiveCall&) = delete;
  LiveCall& operator=(const LiveCall&) = delete;

 private:
  std::atomic<int>* counter_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_CALL_CONTEXT_H_
