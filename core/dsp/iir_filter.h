// File: iir_filter.h
//
// Applying a designed IIR filter to traces the way scipy does:
// sosfiltfilt/filtfilt (odd padding computed in the input's dtype,
// steady-state initial conditions scaled by the first padded sample), or a
// single forward or backward pass from rest (sosfilt/lfilter). Channels are
// processed in stripes of kSosStripeLanes in parallel inside the current
// oneTBB arena; each stripe keeps float64 state.
//
// Example:
//   IirFilter f = IirFilter::FromSos(*DesignButterworth(...));
//   Traces out = Traces::Uninitialized(SampleType::kFloat32, n, c);
//   NF_RETURN_IF_ERROR(ApplyIirFilter(f, FilterDirection::kForwardBackward,
//                                     in, 0, n, &out));
#ifndef NEUROFEAT_CORE_DSP_IIR_FILTER_H_
#define NEUROFEAT_CORE_DSP_IIR_FILTER_H_

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "core/dsp/iir_design.h"
#include "core/traces.h"

namespace neurofeat {

enum class FilterDirection { kForwardBackward, kForward, kBackward };

// IirFilter: coefficients plus what applying them needs (initial conditions,
// padding), computed once.
class IirFilter {
 public:
  static IirFilter FromSos(SosFilter sos);
  static IirFilter FromBa(BaFilter ba);

  bool is_sos() const { return is_sos_; }
  const SosFilter& sos() const { return sos_; }
  const BaFilter& ba() const { return ba_; }
  // padlen() is scipy's default padding for the zero-phase form.
  int padlen() const { return padlen_; }

  // Flattened, normalized coefficients used by the kernels.
  const std::vector<double>& sos_flat() const { return sos_flat_; }
  const std::vector<double>& zi_flat() const { return zi_flat_; }

 private:
  bool is_sos_ = true;
  SosFilter sos_;
  BaFilter ba_;
  int padlen_ = 0;
  std::vector<double> sos_flat_;
  std::vector<double> zi_flat_;
};

// ApplyIirFilter() filters every channel of `in` (any SampleType) and writes
// rows [keep_begin, keep_end) of the result into `out`, which must have
// keep_end - keep_begin frames, in.channels() channels and type float32,
// float64 or int16 (rounded half to even, saturated).
// Errors: InvalidArgument if the direction is forward-backward and
// in.frames() <= padlen() (scipy's "input must be longer than padlen").
// If `input_finite` is given, it is set to false when a NaN or infinite
// sample of `in` reached the filter (the output is then meaningless): the
// check costs nothing, as the filter's final state tells.
// Runs in parallel in the calling thread's oneTBB arena.
absl::Status ApplyIirFilter(const IirFilter& filter, FilterDirection direction, const Traces& in,
                            int64_t keep_begin, int64_t keep_end, Traces* out,
                            bool* input_finite = nullptr);

// ApplyIirFilterTaskBytes() is the scratch one parallel task of
// ApplyIirFilter() holds for an input of `in_frames` frames: float64
// stripes of one group of channels over the padded frames. Tasks running at
// once hold one each; the rest of the filter works in place in `out`.
int64_t ApplyIirFilterTaskBytes(const IirFilter& filter, FilterDirection direction,
                                int64_t in_frames);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_IIR_FILTER_H_
