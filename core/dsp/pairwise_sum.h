// File: pairwise_sum.h
//
// numpy's summation orders for float32, reproduced so that reductions over a
// window or a row give the same bits as numpy does: a float32 mean, variance
// or std computed here equals numpy's on a contiguous float32 axis.
#ifndef NEUROFEAT_CORE_DSP_PAIRWISE_SUM_H_
#define NEUROFEAT_CORE_DSP_PAIRWISE_SUM_H_

#include <cstdint>

namespace neurofeat {

// PairwiseSumFloat32() is numpy's pairwise summation of a contiguous float32
// array (blocks of 8 partial sums up to 128 elements, halving above).
float PairwiseSumFloat32(const float* a, int64_t n);

// MeanFloat32() is `a.mean()` for a contiguous float32 array of n >= 1.
float MeanFloat32(const float* a, int64_t n);

// StdFloat32() is `a.std(ddof=ddof)` for a contiguous float32 array: the
// mean, the squared deviations and their sum all in float32, as numpy does.
float StdFloat32(const float* a, int64_t n, int ddof = 0);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_PAIRWISE_SUM_H_
