#include "core/dsp/pairwise_sum.h"

#include <cmath>
#include <vector>

namespace neurofeat {

float PairwiseSumFloat32(const float* a, int64_t n) {
  if (n < 8) {
    float res = 0.0f;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSumFloat32(a, n2) + PairwiseSumFloat32(a + n2, n - n2);
}

float MeanFloat32(const float* a, int64_t n) {
  return PairwiseSumFloat32(a, n) / static_cast<float>(n);
}

float StdFloat32(const float* a, int64_t n, int ddof) {
  const float mean = MeanFloat32(a, n);
  std::vector<float> sq(n);
  for (int64_t i = 0; i < n; ++i) {
    const float d = a[i] - mean;
    sq[i] = d * d;
  }
  const float var = PairwiseSumFloat32(sq.data(), n) / static_cast<float>(n - ddof);
  return std::sqrt(var);
}

}  // namespace neurofeat
