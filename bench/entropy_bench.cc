// Multiscale entropy's close-pair counts, the two ways, in one run: the
// sorted sweep (with its sort, as the feature ran it before) and
// MultiscalePairCounter (SIMD over candidate pairs), per series, for several
// series lengths. The
// counts are checked equal on every series timed.
//
//   build/bench/entropy_bench [--series 2000] [--rounds 5]
//
// Prints one JSON line per length: microseconds per series for each way
// (median of rounds, the two alternating) and the median of the per-round
// ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/features/entropy_counts.h"
#include "core/features/entropy_pairs.h"

namespace {

using ::neurofeat::bench::Median;
using ::neurofeat::bench::Now;

}  // namespace

int main(int argc, char** argv) {
  int series = 2000, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--series") == 0) series = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  const int64_t m = 2, l_max = 16;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal;
  std::vector<int64_t> lengths = {256, 1024, 4096, 8192, 16384};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--n") == 0) lengths = {std::atoll(argv[i + 1])};
  }
  for (int64_t n : lengths) {
    // Fewer series for the long ones: about the same samples in all.
    const int count = std::max<int>(4, static_cast<int>(series * 256 / n));
    std::vector<std::vector<double>> xs(count, std::vector<double>(n));
    std::vector<double> tol(count);
    for (auto& x : xs) {
      double s = 0, s2 = 0;
      for (double& v : x) {
        v = normal(rng);
        s += v;
        s2 += v * v;
      }
      const double mean = s / n;
      tol[&x - xs.data()] = 0.2 * std::sqrt(s2 / n - mean * mean);
    }
    // Built once per length, as the feature builds it per window length.
    const neurofeat::MultiscalePairCounter counter(n, m, l_max);
    std::vector<double> sweep_us, pairs_us, ratios;
    std::vector<int64_t> am(l_max), ap(l_max), sm(l_max), sp(l_max);
    int64_t checksum = 0;
    for (int r = 0; r < rounds; ++r) {
      double t0 = Now();
      for (int i = 0; i < count; ++i) {
        neurofeat::MultiscalePairCountsSweep(xs[i].data(), n, m, tol[i], l_max,
                                             neurofeat::SortedPositions(xs[i].data(), n), sm.data(),
                                             sp.data());
        checksum += sm[0];
      }
      sweep_us.push_back(1e6 * (Now() - t0) / count);
      t0 = Now();
      for (int i = 0; i < count; ++i) {
        counter.Count(xs[i].data(), tol[i], am.data(), ap.data());
        checksum -= am[0];
      }
      pairs_us.push_back(1e6 * (Now() - t0) / count);
      ratios.push_back(sweep_us.back() / pairs_us.back());
    }
    if (checksum != 0) {
      std::fprintf(stderr, "counts differ at n=%lld\n", static_cast<long long>(n));
      return 1;
    }
    std::printf(
        "{\"n\": %lld, \"series\": %d, \"sweep_us\": %.2f, \"counter_us\": %.2f, "
        "\"sweep_over_counter\": %.2f}\n",
        static_cast<long long>(n), count, Median(sweep_us), Median(pairs_us), Median(ratios));
  }
  // Per-vector counts (sample and approximate entropy), stride 1, n = 256.
  {
    const int64_t n = 256;
    const int count = series;
    std::vector<std::vector<double>> xs(count, std::vector<double>(n));
    for (auto& x : xs) {
      for (double& v : x) v = normal(rng);
    }
    std::vector<double> sweep_us, banded_us, ratios;
    std::vector<int32_t> sm, sp, bm, bp;
    int64_t differ = 0;
    for (int r = 0; r < rounds; ++r) {
      double t0 = Now();
      for (int i = 0; i < count; ++i) {
        neurofeat::CountNeighbours(xs[i].data(), n, m, 0.2, 1,
                                   neurofeat::SortedPositions(xs[i].data(), n), &sm, &sp);
      }
      sweep_us.push_back(1e6 * (Now() - t0) / count);
      t0 = Now();
      for (int i = 0; i < count; ++i) {
        neurofeat::CountNeighboursBanded(xs[i].data(), n, m, 0.2, 1, &bm, &bp);
      }
      banded_us.push_back(1e6 * (Now() - t0) / count);
      ratios.push_back(sweep_us.back() / banded_us.back());
      differ += sm != bm || sp != bp;
    }
    if (differ != 0) {
      std::fprintf(stderr, "per-vector counts differ\n");
      return 1;
    }
    std::printf(
        "{\"per_vector_counts_n\": %lld, \"sweep_us\": %.2f, \"banded_us\": %.2f, "
        "\"sweep_over_banded\": %.2f}\n",
        static_cast<long long>(n), Median(sweep_us), Median(banded_us), Median(ratios));
  }
  return 0;
}
