// File: compute_arena.h
//
// The process-wide oneTBB arena all compute runs in. Its concurrency comes
// from DetectCpuLimits(); nested parallel loops (chunks outside, channel
// stripes and time blocks inside) share it by work stealing, so one request
// can use every core and many requests never oversubscribe.
//
// Example:
//   InitComputeArena(limits.threads);   // once, in main()
//   RunInArena([&] { status = RunChunked(...); });
#ifndef NEUROFEAT_CORE_EXEC_COMPUTE_ARENA_H_
#define NEUROFEAT_CORE_EXEC_COMPUTE_ARENA_H_

#include <functional>
#include <future>

namespace neurofeat {

// InitComputeArena() sizes the arena; later calls are ignored (the first
// size wins). Thread-safe.
//
// kJoinCaller (the CLI): RunInArena's caller takes one of the `threads`
// slots and computes. kWorkersOnly (the server): all `threads` slots belong
// to the arena's own workers and callers only submit and wait, so gRPC
// threads never compute and requests never add threads beyond the limit.
enum class ArenaMode { kJoinCaller, kWorkersOnly };
void InitComputeArena(int threads, ArenaMode mode = ArenaMode::kJoinCaller);

// ComputeArenaThreads() is the arena's concurrency (initialising it from the
// detected limits if nobody did).
int ComputeArenaThreads();

// RunInArena() runs `fn` inside the arena and waits for it.
void RunInArena(const std::function<void()>& fn);

// SubmitToArena() queues `fn` for the arena's workers and returns at once;
// the future becomes ready when `fn` has run (exceptions are rethrown by
// get()).
std::future<void> SubmitToArena(std::function<void()> fn);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_EXEC_COMPUTE_ARENA_H_
