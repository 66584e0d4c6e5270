// File: row_median.h
//
// Exact medians of small arrays with numpy.median's semantics: the middle
// element for odd counts; for even counts the mean of the two middle
// elements, computed in float32 for float32 data ((a + b) / 2 rounded to
// float32, as numpy's mean of a float32 pair) and in float64 for int16 data.
// Selection is exact (no approximation), so a common median reference is
// bit-identical to SpikeInterface's.
//
// Example:
//   std::vector<float> scratch(MedianScratchFloats(n));
//   float m = MedianFloat32(row, n, scratch.data());
#ifndef NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_
#define NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_

#include <cstdint>

namespace neurofeat {

// MedianScratchFloats() is the scratch size the functions below need.
int MedianScratchFloats(int n);

// MedianFloat32() returns the median of values[0..n) (values untouched).
// `scratch` holds MedianScratchFloats(n) floats. A vectorised quickselect:
// runtime-dispatched SIMD partition passes, then insertion sort of the last
// few. REQUIRES: n >= 1, no NaN. Thread-compatible.
float MedianFloat32(const float* values, int n, float* scratch);

// MedianInt16() returns the median of values[0..n) in float64 (exact).
// `scratch` holds MedianScratchFloats(n) floats. REQUIRES: n >= 1.
double MedianInt16(const int16_t* values, int n, float* scratch);

// RowMedianTracker computes exact medians of consecutive rows faster than
// MedianFloat32() by bracketing each around the previous row's median (one
// vectorised pass, then a few dozen values). Results are identical to
// MedianFloat32(); only the speed depends on how close successive medians
// are. One tracker per thread; scratch as for MedianFloat32().
class RowMedianTracker {
 public:
  float Median(const float* values, int n, float* scratch);

 private:
  float state_[2] = {0.0f, 0.0f};  // centre, half width (0: unknown)
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_
