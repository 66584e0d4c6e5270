// The diagonal all-pairs counts of multiscale sample entropy against the
// definition (every pair of vectors at every stride, counted directly) and
// against the sorted sweep, on every SIMD target this build and CPU support.
#include "core/features/entropy_pairs.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/features/entropy_counts.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace neurofeat {
namespace {

// EEGDash's embedding at stride l: vectors of m consecutive samples starting
// at 0, l, 2l, ...; (n - m + 1) / l of dimension m, (n - m) / l of m + 1.
void DefinitionCounts(const std::vector<double>& x, int64_t m, double r, int64_t l_max,
                      std::vector<int64_t>* pm, std::vector<int64_t>* pp) {
  const int64_t n = static_cast<int64_t>(x.size());
  pm->assign(l_max, 0);
  pp->assign(l_max, 0);
  for (int64_t l = 1; l <= l_max; ++l) {
    for (int64_t dim : {m, m + 1}) {
      const int64_t count = (n - dim + 1) / l;
      int64_t pairs = 0;
      for (int64_t i = 0; i < count; ++i) {
        for (int64_t j = i + 1; j < count; ++j) {
          bool close = true;
          for (int64_t k = 0; k < dim; ++k) close &= std::fabs(x[i * l + k] - x[j * l + k]) <= r;
          pairs += close;
        }
      }
      (dim == m ? *pm : *pp)[l - 1] = pairs;
    }
  }
}

std::vector<double> Series(int64_t n, int kind, std::mt19937_64& rng) {
  std::vector<double> x(n);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> small(-3, 3);
  for (int64_t i = 0; i < n; ++i) {
    if (kind >= 3) {
      x[i] = normal(rng);
      continue;
    }
    // float32 noise (as windows are), integers with many ties, a sinusoid.
    x[i] = kind == 0   ? static_cast<double>(normal(rng))
           : kind == 1 ? small(rng)
                       : static_cast<double>(static_cast<float>(std::sin(0.3 * i)));
  }
  // Kind 3: noise with an outlier, which makes the value bins too coarse
  // (the exact sort's path).
  if (kind == 3) x[n / 2] = 1e6;
  // Kind 4: NaN and infinity (never close to anything; the scalar path).
  if (kind == 4) {
    x[n / 3] = std::numeric_limits<double>::quiet_NaN();
    x[n / 2] = std::numeric_limits<double>::infinity();
  }
  return x;
}

TEST(EntropyPairsTest, EveryTargetCountsAsTheDefinitionAndTheSweep) {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  std::mt19937_64 rng(7);
  int cases = 0;
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    for (int64_t n : {4, 9, 64, 65, 130, 256, 301}) {
      for (int kind = 0; kind < 5; ++kind) {
        const std::vector<double> x = Series(n, kind, rng);
        for (int64_t m : {1, 2, 3}) {
          if (n <= m + 1) continue;
          for (double r : {0.0, 0.2, 0.7, 1e300}) {
            const int64_t l_max = std::min<int64_t>(16, (n - m) / 2 + 1);
            SCOPED_TRACE(absl::StrCat(hwy::TargetName(target), " n ", n, " kind ", kind, " m ", m,
                                      " r ", r, " l_max ", l_max));
            std::vector<int64_t> want_m, want_p;
            DefinitionCounts(x, m, r, l_max, &want_m, &want_p);
            std::vector<int64_t> got_m(l_max, -1), got_p(l_max, -1);
            MultiscalePairCounter(n, m, l_max).Count(x.data(), r, got_m.data(), got_p.data());
            EXPECT_EQ(got_m, want_m);
            EXPECT_EQ(got_p, want_p);
            std::vector<int64_t> sweep_m(l_max, -1), sweep_p(l_max, -1);
            MultiscalePairCountsSweep(x.data(), n, m, r, l_max, SortedPositions(x.data(), n),
                                      sweep_m.data(), sweep_p.data());
            EXPECT_EQ(sweep_m, want_m);
            EXPECT_EQ(sweep_p, want_p);
            ++cases;
          }
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GT(cases, 100);
}

TEST(EntropyPairsTest, PerVectorCountsEqualTheSweepOnEveryTarget) {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  std::mt19937_64 rng(13);
  int cases = 0;
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    for (int64_t n : {9, 64, 257, 700}) {
      for (int kind = 0; kind < 5; ++kind) {
        const std::vector<double> x = Series(n, kind, rng);
        for (int64_t m : {1, 2, 3}) {
          for (int64_t l : {1, 2, 5}) {
            if ((n - m) / l < 1) continue;
            for (double r : {0.0, 0.2, 0.7}) {
              SCOPED_TRACE(absl::StrCat(hwy::TargetName(target), " n ", n, " kind ", kind, " m ", m,
                                        " l ", l, " r ", r));
              std::vector<int32_t> want_m, want_p, got_m, got_p;
              CountNeighbours(x.data(), n, m, r, l, SortedPositions(x.data(), n), &want_m, &want_p);
              CountNeighboursBanded(x.data(), n, m, r, l, &got_m, &got_p);
              EXPECT_EQ(got_m, want_m);
              EXPECT_EQ(got_p, want_p);
              // And the definition, for the first vector.
              int32_t first = 0;
              for (int64_t j = 0; j < (n - m + 1) / l; ++j) {
                bool close = true;
                for (int64_t k = 0; k < m; ++k) close &= std::fabs(x[k] - x[j * l + k]) <= r;
                first += close;
              }
              EXPECT_EQ(got_m[0], first);
              ++cases;
            }
          }
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GT(cases, 100);
}

TEST(EntropyPairsTest, LongSeriesAgreeWithTheSweepAtSixtyFourStrides) {
  std::mt19937_64 rng(11);
  const std::vector<double> x = Series(3000, 0, rng);
  std::vector<int64_t> a_m(64), a_p(64), s_m(64), s_p(64);
  MultiscalePairCounter(3000, 2, 64).Count(x.data(), 0.2, a_m.data(), a_p.data());
  MultiscalePairCountsSweep(x.data(), 3000, 2, 0.2, 64, SortedPositions(x.data(), 3000), s_m.data(),
                            s_p.data());
  EXPECT_EQ(a_m, s_m);
  EXPECT_EQ(a_p, s_p);
  EXPECT_GT(a_m[0], 1000);  // the case is not trivial
}

}  // namespace
}  // namespace neurofeat
