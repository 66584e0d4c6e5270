#include "core/dsp/row_median.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace neurofeat {
namespace {

// numpy.median, written out: sort, take the middle or the float32 mean of
// the middle pair.
float SortedMedian(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0f;
}

TEST(RowMedianTest, MatchesSortedMedianForAllSizesUpTo400) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 30.0f);
  std::uniform_int_distribution<int> small(-3, 3);
  std::vector<float> scratch(MedianScratchFloats(400));
  for (int n = 1; n <= 400; ++n) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> v(n);
      // Half the trials carry many ties, the hard case for selection.
      for (float& x : v) x = trial % 2 ? noise(rng) : static_cast<float>(small(rng));
      const float want = SortedMedian(v);
      const float got = MedianFloat32(v.data(), n, scratch.data());
      ASSERT_EQ(got, want) << "n=" << n << " trial=" << trial;
    }
  }
}

// The tracker's bracket misses whenever the median jumps; the answer must
// stay exact through slow drift, sudden jumps and ties.
TEST(RowMedianTest, TrackerIsExactThroughDriftJumpsAndTies) {
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.0f, 10.0f);
  RowMedianTracker tracker;
  std::vector<float> scratch(MedianScratchFloats(384));
  float drift = 0;
  for (int row = 0; row < 3000; ++row) {
    drift += row % 500 == 0 ? 1000.0f : 0.01f;
    std::vector<float> v(row % 7 == 0 ? 383 : 384);
    for (float& x : v) x = row % 11 == 0 ? std::round(noise(rng) / 10) : drift + noise(rng);
    ASSERT_EQ(tracker.Median(v.data(), static_cast<int>(v.size()), scratch.data()), SortedMedian(v))
        << "row " << row;
  }
}

// Brackets of up to 64 values are ranked by counting; every row size up to
// twice that, runs of tied values and slowly moving medians keep the bracket
// small, so this exercises that path on every rank it can be asked for.
TEST(RowMedianTest, TrackerIsExactForEverySizeWithTiesAndSmallBrackets) {
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 10.0f);
  std::uniform_int_distribution<int> small(-4, 4);
  for (int n = 1; n <= 140; ++n) {
    RowMedianTracker tracker;
    std::vector<float> scratch(MedianScratchFloats(n));
    for (int row = 0; row < 120; ++row) {
      std::vector<float> v(n);
      const bool ties = (row / 20) % 2 == 1;
      for (float& x : v) {
        x = ties ? static_cast<float>(small(rng)) : 0.05f * static_cast<float>(row) + noise(rng);
      }
      ASSERT_EQ(tracker.Median(v.data(), n, scratch.data()), SortedMedian(v))
          << "n=" << n << " row " << row;
    }
  }
}

TEST(RowMedianTest, EvenCountAveragesInFloat32) {
  // (a + b) / 2 in float32 differs from the float64 mean rounded: pick a
  // pair where they disagree.
  const float a = 16777216.0f, b = 16777218.0f;  // 2^24 and 2^24 + 2
  std::vector<float> v = {b, a};
  std::vector<float> scratch(MedianScratchFloats(8));
  EXPECT_EQ(MedianFloat32(v.data(), 2, scratch.data()), (a + b) / 2.0f);
}

TEST(RowMedianTest, Int16MedianIsExactHalfInteger) {
  const int16_t v[4] = {3, -2, 10, 4};
  std::vector<float> scratch(MedianScratchFloats(8));
  EXPECT_EQ(MedianInt16(v, 4, scratch.data()), 3.5);
  const int16_t w[3] = {-32768, 32767, 0};
  EXPECT_EQ(MedianInt16(w, 3, scratch.data()), 0.0);
  const int16_t x[2] = {32767, 32766};
  EXPECT_EQ(MedianInt16(x, 2, scratch.data()), 32766.5);
}

}  // namespace
}  // namespace neurofeat
