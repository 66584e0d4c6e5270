#include "core/dsp/row_median.h"

#include <algorithm>
#include <vector>

namespace neurofeat {

float MedianFloat32Reference(const float* values, int n) {
  std::vector<float> v(values, values + n);
  const int k = n / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  const float hi = v[k];
  if (n % 2 == 1) return hi;
  const float lo = *std::max_element(v.begin(), v.begin() + k);
  return (lo + hi) / 2.0f;
}

float MedianFloat32(const float* values, int n, float* scratch) {
  std::copy(values, values + n, scratch);
  const int k = n / 2;
  std::nth_element(scratch, scratch + k, scratch + n);
  const float hi = scratch[k];
  if (n % 2 == 1) return hi;
  const float lo = *std::max_element(scratch, scratch + k);
  return (lo + hi) / 2.0f;
}

double MedianInt16(const int16_t* values, int n, float* scratch) {
  // int16 values are exact in float32; the pair's mean is taken in float64.
  for (int i = 0; i < n; ++i) scratch[i] = static_cast<float>(values[i]);
  const int k = n / 2;
  std::nth_element(scratch, scratch + k, scratch + n);
  const double hi = scratch[k];
  if (n % 2 == 1) return hi;
  const double lo = *std::max_element(scratch, scratch + k);
  return (lo + hi) / 2.0;
}

}  // namespace neurofeat
