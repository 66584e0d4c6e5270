#include "core/preprocess/finite_check.h"

#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

// A value is not finite exactly when its exponent bits are all ones; the
// integer test vectorises, unlike a floating-point reduction.
template <typename Bits>
bool AnyExponentAllOnes(const Bits* bits, int64_t n, Bits exponent_mask) {
  Bits hit = 0;
  for (int64_t i = 0; i < n; ++i)
    hit |= static_cast<Bits>((bits[i] & exponent_mask) == exponent_mask);
  return hit != 0;
}

template <typename T>
absl::Status Locate(const Traces& t, int64_t first_frame) {
  const T* x = t.data<T>();
  for (int64_t i = 0; i < t.size(); ++i) {
    if (!std::isfinite(x[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("input sample at frame ", first_frame + i / t.channels(), ", channel ",
                       i % t.channels(), " is ", std::isnan(x[i]) ? "NaN" : "infinite",
                       "; filters and references need finite samples"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFinite(const Traces& traces, int64_t first_frame) {
  switch (traces.type()) {
    case SampleType::kFloat32:
      if (!AnyExponentAllOnes(reinterpret_cast<const uint32_t*>(traces.bytes()), traces.size(),
                              uint32_t{0x7f800000})) {
        return absl::OkStatus();
      }
      return Locate<float>(traces, first_frame);
    case SampleType::kFloat64:
      if (!AnyExponentAllOnes(reinterpret_cast<const uint64_t*>(traces.bytes()), traces.size(),
                              uint64_t{0x7ff0000000000000})) {
        return absl::OkStatus();
      }
      return Locate<double>(traces, first_frame);
    case SampleType::kInt16:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
