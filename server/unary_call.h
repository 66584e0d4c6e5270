// File: unary_call.h
//
// UnaryJobCall<Response>: a unary RPC whose answer is computed on the
// compute arena after the request is admitted against the memory budget,
// as Extract and Preprocess are (stream_call.h), for requests that answer
// in one message (Fit):
//
//   start ─► prepare (arena: validate, create the job, estimate memory)
//         ─► admission (asynchronous: at once, or when memory frees; a
//            request larger than the whole budget is refused at once)
//         ─► run (arena) ─► Finish(status)
//
// The client's cancellation (or deadline) cancels a waiting admission and
// is polled by the job; no reaction blocks. gRPC owns the reactor until
// OnDone(), where it deletes itself; arena tasks hold the shared state.
#ifndef NEUROFEAT_SERVER_UNARY_CALL_H_
#define NEUROFEAT_SERVER_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/exec/compute_arena.h"
#include "core/mutex.h"
#include "server/call_context.h"

namespace neurofeat::server {

template <typename Response>
class UnaryJobCall final : public grpc::ServerUnaryReactor {
 public:
  struct Plan {
    int64_t working_set_bytes = 0;
    // Computes the answer; runs on the arena once, after admission.
    std::function<absl::StatusOr<Response>()> run;
  };
  using Prepare = std::function<absl::StatusOr<Plan>(std::function<bool()> cancelled)>;

  // Start() returns the reactor for the RPC method to return. `response`
  // is gRPC's, filled before Finish().
  static UnaryJobCall* Start(const CallContext& env, grpc::CallbackServerContext* context,
                             const std::string& rpc, Response* response, Prepare prepare) {
    auto* call = new UnaryJobCall(env, context, rpc, response);
    auto state = call->state_;
    SubmitToArena([state, prepare = std::move(prepare)] { Prepared(state, prepare); });
    return call;
  }

  void OnCancel() override {
    const StatePtr s = state_;
    s->cancel_flag->store(true);
    uint64_t waiting = 0;
    {
      MutexLock lock(&s->mu);
      waiting = s->admission_id;
    }
    if (waiting != 0) s->env.admission->Cancel(waiting);
  }
  void OnDone() override {
    if (state_->timing.has_value()) state_->timing->Finish(state_->final_status);
    delete this;
  }

 private:
  struct State {
    CallContext env;
    grpc::CallbackServerContext* context = nullptr;
    UnaryJobCall* reactor = nullptr;  // finished at most once, through Finish()
    Response* response = nullptr;
    std::optional<ServerMetrics::Request> timing;
    std::shared_ptr<std::atomic<bool>> cancel_flag = std::make_shared<std::atomic<bool>>(false);
    Mutex mu;
    uint64_t admission_id ABSL_GUARDED_BY(mu) = 0;
    bool answered ABSL_GUARDED_BY(mu) = false;
    absl::Status final_status;
    std::function<absl::StatusOr<Response>()> run;
    std::chrono::steady_clock::time_point queued_at;
    LiveCall live;
    explicit State(const CallContext& e) : env(e), live(e.live_calls) {}
  };
  using StatePtr = std::shared_ptr<State>;

  UnaryJobCall(const CallContext& env, grpc::CallbackServerContext* context,
               const std::string& rpc, Response* response)
      : state_(std::make_shared<State>(env)) {
    state_->context = context;
    state_->reactor = this;
    state_->response = response;
    if (env.metrics != nullptr) state_->timing.emplace(*env.metrics, rpc);
  }

  static void Answer(const StatePtr& s, absl::Status status) {
    s->final_status = status;
    s->reactor->Finish(s->env.errors->ToGrpc(status, s->context));
  }

  static void Prepared(const StatePtr& s, const Prepare& prepare) {
    if (s->cancel_flag->load()) return Answer(s, Abandoned(s->context));
    absl::StatusOr<Plan> plan = prepare([flag = s->cancel_flag] { return flag->load(); });
    if (!plan.ok()) return Answer(s, plan.status());
    s->run = std::move(plan->run);
    s->queued_at = std::chrono::steady_clock::now();
    const uint64_t id = s->env.admission->AdmitAsync(
        plan->working_set_bytes,
        [s](absl::StatusOr<Admission::Ticket> ticket) { Admitted(s, std::move(ticket)); });
    MutexLock lock(&s->mu);
    // Still waiting (the answer did not come at once): OnCancel may cancel it.
    if (!s->answered) s->admission_id = id;
  }

  static void Admitted(const StatePtr& s, absl::StatusOr<Admission::Ticket> ticket) {
    {
      MutexLock lock(&s->mu);
      s->admission_id = 0;
      s->answered = true;
    }
    RecordAdmission(s->env, s->queued_at, ticket.status());
    if (!ticket.ok()) return Answer(s, ticket.status());
    // The answer may come on the thread that freed memory: run on the
    // arena, holding the ticket until the job is done.
    auto held = std::make_shared<Admission::Ticket>(*std::move(ticket));
    SubmitToArena([s, held] {
      if (s->cancel_flag->load()) return Answer(s, Abandoned(s->context));
      absl::StatusOr<Response> result = s->run();
      if (!result.ok() && s->cancel_flag->load()) result = Abandoned(s->context);
      if (result.ok()) *s->response = *std::move(result);
      s->run = nullptr;  // the job's memory goes before the ticket does
      Answer(s, result.status());
    });
  }

  StatePtr state_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UNARY_CALL_H_
