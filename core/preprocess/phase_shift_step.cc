#include "core/preprocess/phase_shift_step.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/preprocess/step_json_reader.h"
#include "core/preprocess/step_registry.h"
#include "core/status_macros.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace neurofeat {
namespace {

// A thread keeps its scratch between calls up to this size (page faults on
// fresh buffers cost more than the FFTs did); larger calls use their own.
constexpr size_t kScratchKeptBytes = size_t{48} << 20;
// The spectra of one chunk size are held at most this size (1 s of the
// viewer chain at 30 kHz with a Neuropixels 1.0 probe's 12 distinct shifts:
// 6.2 MB); above it each channel's rotation is made when it is used.
constexpr int64_t kMaxKernelBytes = int64_t{64} << 20;
constexpr size_t kKernelSetsKept = 4;

template <typename F>
void WithSampleType(SampleType type, F&& f) {
  switch (type) {
    case SampleType::kInt16:
      return f(int16_t{});
    case SampleType::kFloat32:
      return f(float{});
    case SampleType::kFloat64:
      return f(double{});
  }
}

template <typename T>
void Grow(FftBuffer<T>& b, size_t n) {
  if (b.size() < n) b = FftBuffer<T>(n);
}

// a[k] *= b[k] with the textbook formula (as numpy multiplies): std::complex's
// operator* checks every product for NaN (C99 Annex G) and cost more than
// the transforms. The same values for finite inputs.
void MultiplyInPlace(std::complex<double>* a, const std::complex<double>* b, int64_t n) {
  auto* x = reinterpret_cast<double*>(a);
  const auto* y = reinterpret_cast<const double*>(b);
  for (int64_t k = 0; k < n; ++k) {
    const double re = x[2 * k] * y[2 * k] - x[2 * k + 1] * y[2 * k + 1];
    const double im = x[2 * k] * y[2 * k + 1] + x[2 * k + 1] * y[2 * k];
    x[2 * k] = re;
    x[2 * k + 1] = im;
  }
}

// to[c * rows + r] = from[r * cols + c], by 64 x 64 tiles across the arena.
template <typename T>
void TransposeTiles(const T* from, int64_t rows, int64_t cols, T* to) {
  constexpr int64_t kTile = 64;
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  const int64_t col_tiles = (cols + kTile - 1) / kTile;
  tbb::parallel_for(int64_t{0}, row_tiles * col_tiles, [&](int64_t t) {
    const int64_t r0 = (t / col_tiles) * kTile;
    const int64_t c0 = (t % col_tiles) * kTile;
    const int64_t r1 = std::min(rows, r0 + kTile);
    const int64_t c1 = std::min(cols, c0 + kTile);
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t c = c0; c < c1; ++c) to[c * rows + r] = from[r * cols + c];
    }
  });
}

}  // namespace

absl::StatusOr<PhaseShiftOptions> ParsePhaseShiftOptions(const JsonValue& json,
                                                         const std::string& path) {
  StepJsonReader reader(json, path);
  PhaseShiftOptions options;
  NF_RETURN_IF_ERROR(reader.Number("margin_ms", &options.margin_ms));
  NF_RETURN_IF_ERROR(reader.Numbers("inter_sample_shift", &options.inter_sample_shift));
  NF_RETURN_IF_ERROR(reader.Finish());
  return options;
}

void RegisterPhaseShiftStep(StepRegistry& registry) {
  registry.Add(MakeStepRegistration<PhaseShiftOptions>("phase_shift", &ParsePhaseShiftOptions,
                                                       &PhaseShiftStep::Create));
}

int64_t PhaseShiftStep::ChunkBytes(int64_t frames) const {
  const auto in = static_cast<int64_t>(SampleTypeSize(parent_->sample_type()));
  const auto out = static_cast<int64_t>(SampleTypeSize(output_type_));
  return ChunkBytesFor(frames, {.input = in, .work = in + out, .output = out});
}

absl::StatusOr<std::unique_ptr<PhaseShiftStep>> PhaseShiftStep::Create(
    const PhaseShiftOptions& options, std::shared_ptr<const TraceSource> parent,
    SampleType output_type, const std::string& path) {
  auto step = std::unique_ptr<PhaseShiftStep>(new PhaseShiftStep());
  const double fs = parent->info().sampling_rate_hz;
  // Every call allocates its chunk plus both margins: a bound keeps a
  // request from naming any size (SpikeInterface's default is 40 ms).
  constexpr double kMaxMarginMs = 10000;
  if (!std::isfinite(options.margin_ms) || options.margin_ms < 0 ||
      options.margin_ms > kMaxMarginMs) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".margin_ms=", options.margin_ms,
                                                   " must be in [0, ", kMaxMarginMs, "] ms"));
  }
  // SpikeInterface truncates: int(margin_ms * fs / 1000).
  NF_ASSIGN_OR_RETURN(step->margin_,
                      DoubleToCount(options.margin_ms * fs / 1000.0, path + ".margin_ms"));
  if (step->margin_ < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".margin_ms=", options.margin_ms, " is under one sample at ", fs,
                     " Hz; the taper needs a margin of at least 1 frame"));
  }
  const int64_t channels = parent->num_channels();
  std::string shift_source = "given";
  if (!options.inter_sample_shift.empty()) {
    step->shifts_ = options.inter_sample_shift;
  } else if (!parent->info().inter_sample_shift.empty()) {
    step->shifts_ = parent->info().inter_sample_shift;
    shift_source = "recording";
  } else {
    const std::string& note = parent->info().inter_sample_shift_note;
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".inter_sample_shift: not given, and the recording has none",
        note.empty() ? " (the SpikeGLX .meta or Open Ephys settings.xml of a Neuropixels 1.0 "
                       "probe carries them)"
                     : absl::StrCat(" (", note, ")"),
        "; give one shift per channel, in samples"));
  }
  if (static_cast<int64_t>(step->shifts_.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".inter_sample_shift has ",
                                                   step->shifts_.size(), " values (", shift_source,
                                                   "); the recording has ", channels, " channels"));
  }
  for (size_t i = 0; i < step->shifts_.size(); ++i) {
    if (!std::isfinite(step->shifts_[i]) || std::fabs(step->shifts_[i]) > 1e6) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ".inter_sample_shift[", i, "]=", step->shifts_[i], " is not a finite shift"));
    }
  }
  step->taper_.resize(static_cast<size_t>(step->margin_));
  for (int64_t k = 0; k < step->margin_; ++k) {
    step->taper_[k] = (1.0 - std::cos(static_cast<double>(k) / static_cast<double>(step->margin_) *
                                      std::numbers::pi)) /
                      2.0;
  }
  step->distinct_shifts_ = step->shifts_;
  std::sort(step->distinct_shifts_.begin(), step->distinct_shifts_.end());
  step->distinct_shifts_.erase(
      std::unique(step->distinct_shifts_.begin(), step->distinct_shifts_.end()),
      step->distinct_shifts_.end());
  for (double s : step->shifts_) {
    step->shift_index_.push_back(static_cast<size_t>(
        std::lower_bound(step->distinct_shifts_.begin(), step->distinct_shifts_.end(), s) -
        step->distinct_shifts_.begin()));
  }
  step->method_ = options.method;
  step->output_type_ = output_type;
  step->canonical_ =
      absl::StrCat("phase_shift(margin_ms=", options.margin_ms, ",inter_sample_shift=[",
                   absl::StrJoin(step->shifts_, ","), "],dtype=", SampleTypeName(output_type), ")");
  step->parent_ = std::move(parent);
  return step;
}

std::shared_ptr<const PhaseShiftKernels> PhaseShiftStep::KernelsFor(int64_t frames) const {
  using Kind = PhaseShiftKernels::Kind;
  using Method = PhaseShiftOptions::Method;
  const auto distinct = static_cast<int64_t>(distinct_shifts_.size());
  Kind kind = Kind::kSmoothLength;
  if (method_ == Method::kDirect ||
      (method_ == Method::kAuto && HasOnlySmallPrimeFactors(frames + 2 * margin_)) ||
      PhaseShiftKernels::BytesFor(kind, frames, margin_, distinct) > kMaxKernelBytes) {
    kind = Kind::kRotation;
  }
  if (PhaseShiftKernels::BytesFor(kind, frames, margin_, distinct) > kMaxKernelBytes) {
    return nullptr;
  }
  MutexLock lock(&kernels_mu_);
  for (auto it = kernels_.begin(); it != kernels_.end(); ++it) {
    if ((*it)->frames() == frames && (*it)->kind() == kind) {
      auto found = *it;
      kernels_.erase(it);
      kernels_.push_front(found);
      return found;
    }
  }
  // Built under the lock: concurrent calls of one new size wait for one
  // build instead of each making its own. Isolated: while this thread waits
  // for the build's parallel loop it must not take another call's task,
  // which could ask for this lock again.
  std::shared_ptr<const PhaseShiftKernels> built;
  tbb::this_task_arena::isolate(
      [&] { built = PhaseShiftKernels::Build(kind, frames, margin_, distinct_shifts_, &plans_); });
  kernels_.push_front(built);
  if (kernels_.size() > kKernelSetsKept) kernels_.pop_back();
  return built;
}

absl::StatusOr<Traces> PhaseShiftStep::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  const int64_t frames = end - start;
  Traces out = Traces::Uninitialized(output_type_, frames, num_channels());
  if (frames == 0) return out;
  const int64_t m = margin_;
  const int64_t first = std::max<int64_t>(start - m, 0);
  const int64_t last = std::min(end + m, num_frames());
  NF_ASSIGN_OR_RETURN(Traces in, parent_->GetTraces(first, last));
  // The buffer: [start - m, end + m), zeros outside the recording.
  const int64_t left_pad = first - (start - m);
  const std::shared_ptr<const PhaseShiftKernels> kernels = KernelsFor(frames);
  WithSampleType(in.type(), [&]<typename In>(In) {
    WithSampleType(output_type_, [&]<typename Out>(Out) {
      ShiftChannels<In, Out>(in, left_pad, frames, kernels.get(), &out);
    });
  });
  return out;
}

template <typename In, typename Out>
void PhaseShiftStep::ShiftChannels(const Traces& in, int64_t left_pad, int64_t frames,
                                   const PhaseShiftKernels* kernels, Traces* out) const {
  const int64_t m = margin_;
  const int64_t length = frames + 2 * m;
  const int64_t n = kernels != nullptr ? kernels->fft_length() : length;
  const int64_t bins = n / 2 + 1;
  const double scale = kernels != nullptr ? kernels->output_scale() : 1.0 / length;
  const int64_t channels = num_channels();
  const int64_t rows = in.frames();
  // Channel-major copies of the input and of the results, made by tiles: a
  // channel's column read straight from the frame-major block touches one
  // cache line per frame, and reading 384 columns so cost more than the
  // transforms.
  // (Pooled buffers: fresh pages cost their zeroing on every call.)
  Traces columns_block = Traces::Uninitialized(in.type(), channels, rows);
  Traces results_block = Traces::Uninitialized(out->type(), channels, frames);
  const In* columns = columns_block.data<In>();
  Out* results = results_block.data<Out>();
  TransposeTiles(in.data<In>(), rows, channels, columns_block.data<In>());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, channels, 1), [&](const auto& range) {
    Scratch own;
    Scratch* s = &scratch_.local();
    const size_t needed = 2 * static_cast<size_t>(n) * sizeof(double) +
                          static_cast<size_t>(bins) * 2 * sizeof(std::complex<double>);
    if (needed > kScratchKeptBytes) s = &own;
    Grow(s->buf, static_cast<size_t>(n));
    Grow(s->spectrum, static_cast<size_t>(bins));
    if (kernels == nullptr) Grow(s->rotation, static_cast<size_t>(bins));
    Grow(s->inverse, static_cast<size_t>(n));
    double* buf = s->buf.data();
    double* inverse = s->inverse.data();
    std::complex<double>* spectrum = s->spectrum.data();
    // Past L the buffer holds zeros for every channel of this range: the
    // forward transform leaves its input as it was and the inverse writes
    // elsewhere, so they are written once, not per channel (half of N).
    std::fill(buf + length, buf + n, 0.0);
    for (int64_t c = range.begin(); c != range.end(); ++c) {
      std::fill(buf, buf + left_pad, 0.0);
      const In* column = columns + c * rows;
      for (int64_t r = 0; r < rows; ++r) buf[left_pad + r] = static_cast<double>(column[r]);
      std::fill(buf + left_pad + rows, buf + length, 0.0);
      for (int64_t k = 0; k < m; ++k) {
        buf[k] *= taper_[k];
        buf[length - 1 - k] *= taper_[k];
      }
      plans_.ForwardReal(buf, spectrum, n);
      const std::complex<double>* kernel = nullptr;
      if (kernels != nullptr) {
        kernel = kernels->spectrum(shift_index_[c]);
      } else {
        PhaseShiftRotation(shifts_[c], length, s->rotation.data());
        kernel = s->rotation.data();
      }
      MultiplyInPlace(spectrum, kernel, bins);
      plans_.BackwardReal(spectrum, inverse, n);
      Out* result = results + c * frames;
      for (int64_t f = 0; f < frames; ++f) result[f] = CastSample<Out>(inverse[m + f] * scale);
    }
  });
  TransposeTiles(results, channels, frames, out->data<Out>());
}

}  // namespace neurofeat
