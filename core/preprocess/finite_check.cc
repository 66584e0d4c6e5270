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
bool AnyExponentAllOnesSerial(const Bits* bits, int64_t n, Bits exponent_mask) {
  Bits hit = 0;
  for (int64_t i = 0; i < n; ++i)
    hit |= static_cast<Bits>((bits[i] & exponent_mask) == exponent_mask);
  return hit != 0;
}

// Blocks scan in parallel in the caller's arena: a serial scan of every
// chunk was what kept a leading reference step from scaling with cores.
template <typename Bits>
bool AnyExponentAllOnes(const Bits* bits, int64_t n, Bits exponent_mask) {
  constexpr int64_t kBlock = int64_t{1} << 18;
  if (n <= kBlock) return AnyExponentAllOnesSerial(bits, n, exponent_mask);
  std::atomic<bool> hit{false};
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, n, kBlock), [&](const tbb::blocked_range<int64_t>& r) {
        if (AnyExponentAllOnesSerial(bits + r.begin(), r.end() - r.begin(), exponent_mask)) {
          hit.store(true, std::memory_order_relaxed);
        }
      });
  return hit.load();
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
