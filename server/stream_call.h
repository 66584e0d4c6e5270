// File: stream_call.h
//
// StreamCall<Response>: a server-streaming RPC whose messages are computed on
// the compute arena, as gRPC's callback API wants it: no reaction blocks.
//
//   start ─► prepare (arena: validate, create the job, estimate memory)
//         ─► admission (asynchronous: at once, or when memory frees)
//         ─► produce batch 1 (arena) ─► write its messages one by one
//              produce batch 2 while batch 1 is written (up to
//              `batches_ahead` batches wait, bounded by the job's estimate)
//         ─► Finish(status)
//
// Flow control comes from the client: a batch is produced only when fewer
// than `batches_ahead` are waiting to be written, and a write completes only
// when the transport takes it, so a slow reader holds at most that many
// batches in memory. Cancellation (client or deadline) is polled by the job
// between windows or chunks; a cancelled call finishes as soon as the work
// in progress stops.
//
// Lifetime: gRPC owns the reactor until OnDone(), where it deletes itself.
// Arena tasks hold the shared State, never the reactor once the call has
// finished.
#ifndef NEUROFEAT_SERVER_STREAM_CALL_H_
#define NEUROFEAT_SERVER_STREAM_CALL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/exec/compute_arena.h"
#include "core/mutex.h"
#include "server/call_context.h"

namespace neurofeat::server {

template <typename Response>
class StreamCall final : public grpc::ServerWriteReactor<Response> {
 public:
  // One step of output: the messages of a block of rows or a chunk.
  struct Batch {
    std::vector<Response> messages;
    bool last = false;  // no batch follows
  };
  // Computes the next batch; runs on the arena, one at a time. `spares`
  // holds messages already written, which the producer may fill again
  // instead of building new ones (their buffers are warm).
  using Producer = std::function<absl::StatusOr<Batch>(std::vector<Response>& spares)>;
  struct Plan {
    int64_t working_set_bytes = 0;
    Producer producer;
    // Batches produced ahead of the one being written. Default 1: compute
    // the next while the current one is written.
    int batches_ahead = 1;
  };
  // Validates the request and creates its job (on the arena). `cancelled`
  // tells the job when to stop.
  using Prepare = std::function<absl::StatusOr<Plan>(std::function<bool()> cancelled)>;

  // Start() returns the reactor for the RPC method to return.
  static StreamCall* Start(const CallContext& env, grpc::CallbackServerContext* context,
                           const std::string& rpc, Prepare prepare) {
    auto* call = new StreamCall(env, context, rpc);
    call->state_->reactor = call;
    auto state = call->state_;
    SubmitToArena([state, prepare = std::move(prepare)] { Prepared(state, prepare); });
    return call;
  }

  // A copy of the state: finishing may end the reactor inside the call.
  void OnWriteDone(bool ok) override {
    const StatePtr s = state_;
    WriteDone(s, ok);
  }
  void OnCancel() override {
    const StatePtr s = state_;
    s->cancelled = true;
    uint64_t waiting = 0;
    {
      MutexLock lock(&s->mu);
      waiting = s->admission_id;
    }
    if (waiting != 0) s->env.admission->Cancel(waiting);
  }
  void OnDone() override {
    if (state_->timing.has_value()) state_->timing->Finish(done_status_);
    delete this;
  }

 private:
  struct Entry {
    Response message;
    bool ends_batch = false;
  };
  struct State {
    CallContext env;
    grpc::CallbackServerContext* context = nullptr;
    std::optional<ServerMetrics::Request> timing;
    // Shared with the job's cancellation poll, which must not hold the
    // State (the job is held by the producer the State holds).
    std::shared_ptr<std::atomic<bool>> cancel_flag = std::make_shared<std::atomic<bool>>(false);
    std::atomic<bool>& cancelled = *cancel_flag;
    Mutex mu;
    StreamCall* reactor ABSL_GUARDED_BY(mu) = nullptr;  // null once finished
    std::deque<Entry> queue ABSL_GUARDED_BY(mu);
    // Written messages kept for the producer to refill (at most one per
    // batch in flight, so they stay inside the admitted working set).
    std::vector<Response> spares ABSL_GUARDED_BY(mu);
    int batches_waiting ABSL_GUARDED_BY(mu) = 0;
    int batches_ahead ABSL_GUARDED_BY(mu) = 1;
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool producing ABSL_GUARDED_BY(mu) = false;
    bool done_producing ABSL_GUARDED_BY(mu) = false;
    uint64_t admission_id ABSL_GUARDED_BY(mu) = 0;
    absl::Status final_status ABSL_GUARDED_BY(mu);
    Producer producer;
    Admission::Ticket ticket;
    std::chrono::steady_clock::time_point queued_at;
    LiveCall live;
    explicit State(const CallContext& e) : env(e), live(e.live_calls) {}
  };
  using StatePtr = std::shared_ptr<State>;

  StreamCall(const CallContext& env, grpc::CallbackServerContext* context, const std::string& rpc)
      : state_(std::make_shared<State>(env)) {
    state_->context = context;
    if (env.metrics != nullptr) state_->timing.emplace(*env.metrics, rpc);
  }

  // What to do after a change, decided under the lock, done outside it.
  struct Action {
    StreamCall* write_on = nullptr;
    const Response* message = nullptr;
    StreamCall* finish_on = nullptr;
    absl::Status finish_status;
    bool produce = false;
  };

  static Action NextLocked(const StatePtr& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
    Action a;
    if (s->reactor == nullptr) return a;
    // A failed call writes nothing more.
    if (!s->final_status.ok() && !s->writing) s->queue.clear();
    if (!s->writing && !s->queue.empty()) {
      s->writing = true;
      a.write_on = s->reactor;
      a.message = &s->queue.front().message;
    } else if (!s->writing && s->queue.empty() && s->done_producing && !s->producing) {
      a.finish_on = s->reactor;
      a.finish_status = s->final_status;
      s->reactor = nullptr;
    }
    if (!s->done_producing && !s->producing && s->batches_waiting < s->batches_ahead &&
        s->ticket.bytes() > 0) {
      s->producing = true;
      a.produce = true;
    }
    return a;
  }

  static void Act(const StatePtr& s, const Action& a) {
    if (a.write_on != nullptr) a.write_on->StartWrite(a.message);
    if (a.finish_on != nullptr) {
      a.finish_on->done_status_ = a.finish_status;
      a.finish_on->Finish(s->env.errors->ToGrpc(a.finish_status, s->context));
    }
    if (a.produce) SubmitToArena([s] { Produce(s); });
  }

  // Ends the call with `status` once nothing is in progress.
  static void Fail(const StatePtr& s, absl::Status status) {
    Action a;
    {
      MutexLock lock(&s->mu);
      if (s->final_status.ok()) s->final_status = std::move(status);
      s->done_producing = true;
      a = NextLocked(s);
    }
    Act(s, a);
  }

  static void Prepared(const StatePtr& s, const Prepare& prepare) {
    if (s->cancelled) return Fail(s, Abandoned(s->context));
    absl::StatusOr<Plan> plan = prepare([flag = s->cancel_flag] { return flag->load(); });
    if (!plan.ok()) return Fail(s, plan.status());
    s->producer = std::move(plan->producer);
    {
      MutexLock lock(&s->mu);
      s->batches_ahead = std::max(1, plan->batches_ahead);
    }
    s->queued_at = std::chrono::steady_clock::now();
    const uint64_t id = s->env.admission->AdmitAsync(
        plan->working_set_bytes,
        [s](absl::StatusOr<Admission::Ticket> ticket) { Admitted(s, std::move(ticket)); });
    MutexLock lock(&s->mu);
    // Still waiting (the answer did not come at once): OnCancel may cancel it.
    if (s->ticket.bytes() == 0 && !s->done_producing) s->admission_id = id;
  }

  static void Admitted(const StatePtr& s, absl::StatusOr<Admission::Ticket> ticket) {
    {
      MutexLock lock(&s->mu);
      s->admission_id = 0;
    }
    RecordAdmission(s->env, s->queued_at, ticket.status());
    if (!ticket.ok()) return Fail(s, ticket.status());
    if (s->cancelled) return Fail(s, Abandoned(s->context));
    Action a;
    {
      MutexLock lock(&s->mu);
      s->ticket = *std::move(ticket);
      a = NextLocked(s);
    }
    Act(s, a);
  }

  static void Produce(const StatePtr& s) {
    std::vector<Response> spares;
    {
      MutexLock lock(&s->mu);
      spares.swap(s->spares);
    }
    absl::StatusOr<Batch> batch =
        s->cancelled ? absl::StatusOr<Batch>(Abandoned(s->context)) : s->producer(spares);
    if (!batch.ok() && s->cancelled) batch = Abandoned(s->context);
    Action a;
    {
      MutexLock lock(&s->mu);
      s->producing = false;
      if (!batch.ok()) {
        if (s->final_status.ok()) s->final_status = batch.status();
        s->done_producing = true;
      } else {
        if (!batch->messages.empty()) {
          for (Response& m : batch->messages) s->queue.push_back({std::move(m), false});
          s->queue.back().ends_batch = true;
          ++s->batches_waiting;
        }
        if (batch->last) s->done_producing = true;
      }
      a = NextLocked(s);
    }
    Act(s, a);
  }

  static void WriteDone(const StatePtr& s, bool ok) {
    Action a;
    {
      MutexLock lock(&s->mu);
      s->writing = false;
      if (!s->queue.empty()) {
        if (s->queue.front().ends_batch) --s->batches_waiting;
        if (ok && static_cast<int>(s->spares.size()) <= s->batches_ahead) {
          s->spares.push_back(std::move(s->queue.front().message));
        }
        s->queue.pop_front();
      }
      if (!ok) {
        // The stream is broken (the client went away): stop.
        s->cancelled = true;
        if (s->final_status.ok()) s->final_status = Abandoned(s->context);
        s->done_producing = true;
        s->queue.clear();
      }
      a = NextLocked(s);
    }
    Act(s, a);
  }

  StatePtr state_;
  absl::Status done_status_;  // what the call finished with (for metrics)
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_STREAM_CALL_H_
