// File: bench_timing.h
//
// The clock and the summary the C++ benchmarks share.
#ifndef NEUROFEAT_BENCH_BENCH_TIMING_H_
#define NEUROFEAT_BENCH_BENCH_TIMING_H_

#include <algorithm>
#include <chrono>
#include <vector>

namespace neurofeat::bench {

// Seconds on the steady clock.
inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The median of `v` (the upper one for an even count).
inline double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace neurofeat::bench

#endif  // NEUROFEAT_BENCH_BENCH_TIMING_H_
