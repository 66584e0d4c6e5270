#include "core/checked_math.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace neurofeat {
namespace {

absl::Status TooLarge(absl::string_view field, absl::string_view expression) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", expression,
                                                 " is out of range (sizes must be >= 0 and at "
                                                 "most 2^53)"));
}

}  // namespace

absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b, absl::string_view field) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out) || out > kMaxCount) {
    return TooLarge(field, absl::StrCat(a, " x ", b));
  }
  return out;
}

absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view field) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &out) || out > kMaxCount) {
    return TooLarge(field, absl::StrCat(a, " + ", b));
  }
  return out;
}

absl::StatusOr<int64_t> CheckedProduct(const int64_t* factors, size_t n, absl::string_view field) {
  int64_t out = 1;
  bool bad = false;
  for (size_t i = 0; i < n; ++i) {
    if (factors[i] < 0 || __builtin_mul_overflow(out, factors[i], &out) || out > kMaxCount) {
      bad = true;
      break;
    }
  }
  if (bad) return TooLarge(field, absl::StrJoin(factors, factors + n, " x "));
  return out;
}

absl::StatusOr<int64_t> CheckedProduct(std::initializer_list<int64_t> factors,
                                       absl::string_view field) {
  return CheckedProduct(factors.begin(), factors.size(), field);
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out) || out > kMaxCount) return kMaxCount;
  return out;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &out) || out > kMaxCount) return kMaxCount;
  return out;
}

absl::StatusOr<int64_t> DoubleToCount(double value, absl::string_view field) {
  if (!std::isfinite(value) || value < 0 || value > static_cast<double>(kMaxCount)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value,
                                                   std::isfinite(value)
                                                       ? " is out of range (a count in [0, 2^53])"
                                                       : " is not a finite number"));
  }
  return static_cast<int64_t>(value);
}

absl::Status CheckCount(int64_t value, int64_t min_value, int64_t max_value,
                        absl::string_view field) {
  if (value < min_value || value > max_value) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value, " is not in [", min_value, ", ", max_value, "]"));
  }
  return absl::OkStatus();
}

absl::Status CheckFinite(double value, absl::string_view field) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value, " is not a finite number"));
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
