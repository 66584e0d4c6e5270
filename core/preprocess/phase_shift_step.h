// File: phase_shift_step.h
//
// PhaseShiftStep: undoes the per-channel sampling delay of multiplexed ADCs
// (Neuropixels probes sample their channels a fraction of a sample apart),
// as SpikeInterface's phase_shift (PhaseShiftRecording). Each GetTraces()
// call is computed on its own, exactly as SpikeInterface's get_traces:
//   margin = int(margin_ms * fs / 1000) frames on both sides, zero-padded
//   outside the recording; a float64 buffer of L = frames + 2 * margin;
//   a cosine taper (1 - cos(k / margin * pi)) / 2 over both margins; a
//   real FFT of length L; each bin k times exp(-2 pi i k s / L) for the
//   channel's shift s (a positive shift delays: x(t - s)); the inverse
//   FFT (the Nyquist bin's real part only); the margins cropped.
// So output computed in chunks differs from whole-segment output everywhere
// (the fractional-delay tail decays like 1/distance), not only at seams.
//
// Output: float32 (rounded from float64) or int16 (rounded half to even and,
// unlike SpikeInterface, which wraps modulo 2^16, saturated at the int16
// range as every other step here). Channels run in parallel on the arena;
// FFTW plans are cached per length. When L has a prime factor above 13 the
// same sums are computed at a 5-smooth length instead (PhaseShiftKernels),
// with the kernel spectra cached per chunk size.
//
// Example:
//   PhaseShiftOptions opt;
//   opt.inter_sample_shift = {0.0, 1.0 / 13, 2.0 / 13};
//   NF_ASSIGN_OR_RETURN(auto step, PhaseShiftStep::Create(opt, parent,
//       SampleType::kFloat32, "preprocess[0].phase_shift"));
#ifndef NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_STEP_H_
#define NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_STEP_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/dsp/fft.h"
#include "core/mutex.h"
#include "core/preprocess/phase_shift_kernels.h"
#include "core/preprocess/preprocess_step.h"
#include "core/source/trace_source.h"
#include "core/util/json.h"
#include "tbb/enumerable_thread_specific.h"

namespace neurofeat {

struct PhaseShiftOptions {
  // Margin on each side of a chunk, ms. Default 40 (SpikeInterface's).
  double margin_ms = 40.0;
  // One shift per channel, in samples. Empty: the recording's own
  // (RecordingInfo::inter_sample_shift, e.g. from a SpikeGLX .meta).
  std::vector<double> inter_sample_shift;
  // How the circular convolution is computed (same sums either way; tests
  // force each). Not part of the pipeline JSON.
  enum class Method { kAuto, kDirect, kSmoothLength };
  Method method = Method::kAuto;

  std::string step_name() const { return "phase_shift"; }
};

// ParsePhaseShiftOptions() reads a v1 PhaseShiftStep from JSON (margin_ms,
// inter_sample_shift), with the defaults above.
// Errors: InvalidArgument naming `path`, the field and the value.
absl::StatusOr<PhaseShiftOptions> ParsePhaseShiftOptions(const JsonValue& json,
                                                         const std::string& path);

class PhaseShiftStep final : public PreprocessStep {
 public:
  // Errors (InvalidArgument, naming `path` and the field): margin_ms not
  // finite or giving a margin under 1 frame; shifts neither given nor in the
  // recording; a shift count other than the channel count; a shift that is
  // not finite.
  static absl::StatusOr<std::unique_ptr<PhaseShiftStep>> Create(
      const PhaseShiftOptions& options, std::shared_ptr<const TraceSource> parent,
      SampleType output_type, const std::string& path);

  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return output_type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

  int64_t margin_samples() const override { return margin_; }
  const std::string& canonical() const override { return canonical_; }
  // ChunkBytes(): the parent's block with margins, channel-major copies of
  // it and of the output, the output (the float64 transform buffers, one
  // per thread, are small).
  int64_t ChunkBytes(int64_t frames) const override;

 private:
  PhaseShiftStep() = default;
  // Per-thread buffers kept between calls (see kScratchKeptBytes).
  struct Scratch {
    FftBuffer<double> buf;
    FftBuffer<double> inverse;
    FftBuffer<std::complex<double>> spectrum;
    FftBuffer<std::complex<double>> rotation;
  };
  // The spectra for `frames`-frame calls (cached), or null when even the
  // rotations would exceed their memory bound: each channel then makes its
  // own.
  std::shared_ptr<const PhaseShiftKernels> KernelsFor(int64_t frames) const;
  template <typename In, typename Out>
  void ShiftChannels(const Traces& in, int64_t left_pad, int64_t frames,
                     const PhaseShiftKernels* kernels, Traces* out) const;

  std::shared_ptr<const TraceSource> parent_;
  std::vector<double> shifts_;
  std::vector<double> distinct_shifts_;  // sorted
  std::vector<size_t> shift_index_;      // channel -> index in distinct_shifts_
  PhaseShiftOptions::Method method_ = PhaseShiftOptions::Method::kAuto;
  std::vector<double> taper_;  // margin_ values
  int64_t margin_ = 0;
  SampleType output_type_ = SampleType::kFloat32;
  std::string canonical_;
  // Plans are cached per buffer length; execution is thread-safe.
  mutable FftPlans plans_;
  mutable Mutex kernels_mu_;
  // The most recent chunk sizes first; a viewer or a chunked run reuses one.
  mutable std::deque<std::shared_ptr<const PhaseShiftKernels>> kernels_
      ABSL_GUARDED_BY(kernels_mu_);
  mutable tbb::enumerable_thread_specific<Scratch> scratch_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_PHASE_SHIFT_STEP_H_
