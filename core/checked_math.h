// File: checked_math.h
//
// Checked arithmetic for every size, count and offset computed from a
// request's or a file's fields. A shape of (2^62 + 30000, 4) float32 must not
// wrap to 480,000 bytes, and a sampling rate of 1e300 must not become an
// out-of-range frame number: each of these returns InvalidArgument naming
// the field and the values instead. Use these, never bare `*`, `+` or
// `static_cast<int64_t>(double)`, on numbers a client or a file chose.
//
// Example:
//   NF_ASSIGN_OR_RETURN(int64_t bytes,
//                       CheckedProduct({frames, channels, item}, "recording.samples.shape"));
//   NF_ASSIGN_OR_RETURN(int64_t margin,
//                       DoubleToCount(margin_ms * fs / 1000, "preprocess[0].bandpass.margin_ms"));
#ifndef NEUROFEAT_CORE_CHECKED_MATH_H_
#define NEUROFEAT_CORE_CHECKED_MATH_H_

#include <cstdint>
#include <initializer_list>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace neurofeat {

// kMaxCount is the largest count (frames, samples, bytes) any size check
// accepts: 2^53, the largest integer a double holds exactly, so a count can
// go through a double (rates x durations) and back without loss, and sums
// of a few counts stay far from int64 overflow.
inline constexpr int64_t kMaxCount = int64_t{1} << 53;

// kMaxChannels bounds a channel count from a request or a file header. The
// largest probes save a few thousand channels; 65,536 leaves room while
// keeping per-channel metadata (names, gains) small whatever a header says.
inline constexpr int64_t kMaxChannels = int64_t{1} << 16;

// kMaxSamplingRateHz bounds every sampling rate a request or a file states.
// No neural recorder samples at a gigahertz; the bound keeps one second of
// frames, margins and windows given in seconds far inside kMaxCount.
inline constexpr double kMaxSamplingRateHz = 1e9;

// CheckedMul() / CheckedAdd(): a * b or a + b for non-negative operands,
// or InvalidArgument "<field>: a x b overflows" when the result exceeds
// kMaxCount (or an operand is negative).
absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b, absl::string_view field);
absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view field);

// CheckedProduct() multiplies sizes (a shape, or shape x item size); each
// must be >= 0. Errors name `field` and every factor.
absl::StatusOr<int64_t> CheckedProduct(std::initializer_list<int64_t> factors,
                                       absl::string_view field);
absl::StatusOr<int64_t> CheckedProduct(const int64_t* factors, size_t n, absl::string_view field);

// SaturatingMul() / SaturatingAdd(): for estimates that are compared with a
// budget (a working set, a message size): results that would exceed
// kMaxCount are kMaxCount, which no budget admits. Negative operands count
// as kMaxCount too, so a corrupt size can never shrink an estimate.
int64_t SaturatingMul(int64_t a, int64_t b);
int64_t SaturatingAdd(int64_t a, int64_t b);

// DoubleToCount() converts a non-negative finite double to an integer count
// in [0, kMaxCount], rounding toward zero (as int() in Python, which
// SpikeInterface and EEGDash use). NaN, infinity, negatives and values above
// kMaxCount are InvalidArgument naming `field` and the value.
absl::StatusOr<int64_t> DoubleToCount(double value, absl::string_view field);

// CheckCount() checks an integer count from a request or file:
// min_value <= value <= max_value, else InvalidArgument naming `field`.
absl::Status CheckCount(int64_t value, int64_t min_value, int64_t max_value,
                        absl::string_view field);

// CheckFinite() is InvalidArgument naming `field` for NaN or infinity.
absl::Status CheckFinite(double value, absl::string_view field);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CHECKED_MATH_H_
