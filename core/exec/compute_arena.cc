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

void Init(int threads) {
  ArenaState& s = State();
  std::call_once(s.once, [&] {
    s.threads = threads < 1 ? 1 : threads;
    s.control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      static_cast<size_t>(s.threads));
    s.arena = std::make_unique<tbb::task_arena>(s.threads);
  });
}

}  // namespace

void InitComputeArena(int threads) { Init(threads); }

int ComputeArenaThreads() {
  Init(DetectCpuLimits(CpuLimitInputs::FromSystem(std::nullopt)).threads);
  return State().threads;
}

void RunInArena(const std::function<void()>& fn) {
  ComputeArenaThreads();
  State().arena->execute(fn);
}

}  // namespace neurofeat
