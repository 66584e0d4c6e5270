#include "core/exec/compute_arena.h"

#include <memory>
#include <mutex>

#include "core/exec/cpu_limits.h"
#include "tbb/global_control.h"
#include "tbb/task_arena.h"

namespace neurofeat {
namespace {

struct ArenaState {
  std::once_flag once;
  std::unique_ptr<tbb::global_control> control;
  std::unique_ptr<tbb::task_arena> arena;
  int threads = 1;
};

// The one sanctioned process-wide object: the compute arena.
ArenaState& State() {
  static ArenaState state;
  return state;
}

void Init(int threads, ArenaMode mode) {
  ArenaState& s = State();
  std::call_once(s.once, [&] {
    s.threads = threads < 1 ? 1 : threads;
    // oneTBB counts the calling thread in max_allowed_parallelism; with no
    // caller slot the market must allow one more thread for `threads`
    // workers to exist.
    const bool workers_only = mode == ArenaMode::kWorkersOnly;
    s.control = std::make_unique<tbb::global_control>(
        tbb::global_control::max_allowed_parallelism,
        static_cast<size_t>(s.threads + (workers_only ? 1 : 0)));
    s.arena = std::make_unique<tbb::task_arena>(s.threads, workers_only ? 0 : 1);
  });
}

}  // namespace

void InitComputeArena(int threads, ArenaMode mode) { Init(threads, mode); }

int ComputeArenaThreads() {
  Init(DetectCpuLimits(CpuLimitInputs::FromSystem(std::nullopt)).threads, ArenaMode::kJoinCaller);
  return State().threads;
}

void RunInArena(const std::function<void()>& fn) {
  ComputeArenaThreads();
  State().arena->execute(fn);
}

std::future<void> SubmitToArena(std::function<void()> fn) {
  ComputeArenaThreads();
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  State().arena->enqueue([promise, fn = std::move(fn)] {
    try {
      fn();
      promise->set_value();
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  return done;
}

}  // namespace neurofeat
