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
//   std::vector<float> scratch(n);
//   float m = MedianFloat32(row, n, scratch.data());
#ifndef NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_
#define NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_

#include <cstdint>

namespace neurofeat {

// MedianFloat32() returns the median of values[0..n). `scratch` holds at
// least n + 16 floats and is overwritten. REQUIRES: n >= 1, no NaN.
float MedianFloat32(const float* values, int n, float* scratch);

// MedianInt16() returns the median of values[0..n) in float64 (exact).
// `scratch` holds at least n + 16 floats. REQUIRES: n >= 1.
double MedianInt16(const int16_t* values, int n, float* scratch);

// MedianFloat32Reference() is the plain std::nth_element version, for tests.
float MedianFloat32Reference(const float* values, int n);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_ROW_MEDIAN_H_
