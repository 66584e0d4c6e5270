#include "core/preprocess/phase_shift_step.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/status_macros.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

template <typename T>
void CopyColumnOf(const Traces& t, int64_t channel, double* out) {
  const T* x = t.data<T>() + channel;
  const int64_t stride = t.channels();
  for (int64_t f = 0; f < t.frames(); ++f) out[f] = static_cast<double>(x[f * stride]);
}

void CopyColumn(const Traces& t, int64_t channel, double* out) {
  switch (t.type()) {
    case SampleType::kInt16:
      return CopyColumnOf<int16_t>(t, channel, out);
    case SampleType::kFloat32:
      return CopyColumnOf<float>(t, channel, out);
    case SampleType::kFloat64:
      return CopyColumnOf<double>(t, channel, out);
  }
}

void Store(double v, int64_t i, Traces* out) {
  switch (out->type()) {
    case SampleType::kInt16:
      out->data<int16_t>()[i] = SaturatingRoundToInt16(v);
      break;
    case SampleType::kFloat32:
      out->data<float>()[i] = static_cast<float>(v);
      break;
    case SampleType::kFloat64:
      out->data<double>()[i] = v;
      break;
  }
}

}  // namespace

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
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ".inter_sample_shift: not given, and the recording has none (SpikeGLX .meta "
        "files of Neuropixels probes carry them); give one shift per channel, in samples"));
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
  step->output_type_ = output_type;
  step->canonical_ =
      absl::StrCat("phase_shift(margin_ms=", options.margin_ms, ",inter_sample_shift=[",
                   absl::StrJoin(step->shifts_, ","), "],dtype=", SampleTypeName(output_type), ")");
  step->parent_ = std::move(parent);
  return step;
}

absl::StatusOr<Traces> PhaseShiftStep::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  const int64_t frames = end - start;
  Traces out = Traces::Uninitialized(output_type_, frames, num_channels());
  if (frames == 0) return out;
  const int64_t m = margin_;
  const int64_t n = num_frames();
  const int64_t first = std::max<int64_t>(start - m, 0);
  const int64_t last = std::min(end + m, n);
  NF_ASSIGN_OR_RETURN(Traces in, parent_->GetTraces(first, last));
  // The buffer: [start - m, end + m), zeros outside the recording.
  const int64_t length = frames + 2 * m;
  const int64_t left_pad = first - (start - m);
  const int64_t bins = length / 2 + 1;
  const int64_t channels = num_channels();
  // The rotation exp(-1j * 2 pi f_k s), f_k = k * (1 / L) as numpy's
  // rfftfreq, once per distinct shift (a Neuropixels 1.0 probe has 12):
  // computing it per channel cost more than the FFTs.
  std::vector<double> distinct(shifts_);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::vector<std::complex<double>>> rotations(distinct.size());
  const double step = 1.0 / static_cast<double>(length);
  tbb::parallel_for(size_t{0}, distinct.size(), [&](size_t i) {
    rotations[i].resize(static_cast<size_t>(bins));
    for (int64_t k = 0; k < bins; ++k) {
      const double angle = -2.0 * std::numbers::pi * (static_cast<double>(k) * step) * distinct[i];
      rotations[i][k] = std::complex<double>(std::cos(angle), std::sin(angle));
    }
  });
  std::vector<const std::complex<double>*> rotation_of(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    rotation_of[c] =
        rotations[std::lower_bound(distinct.begin(), distinct.end(), shifts_[c]) - distinct.begin()]
            .data();
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, channels, 1), [&](const auto& range) {
    FftBuffer<double> buf(static_cast<size_t>(length));
    FftBuffer<std::complex<double>> spectrum(static_cast<size_t>(bins));
    for (int64_t c = range.begin(); c != range.end(); ++c) {
      std::fill(buf.data(), buf.data() + length, 0.0);
      CopyColumn(in, c, buf.data() + left_pad);
      for (int64_t k = 0; k < m; ++k) {
        buf[k] *= taper_[k];
        buf[length - 1 - k] *= taper_[k];
      }
      plans_.ForwardReal(buf.data(), spectrum.data(), length);
      const std::complex<double>* rot = rotation_of[c];
      for (int64_t k = 0; k < bins; ++k) spectrum[k] *= rot[k];
      plans_.BackwardReal(spectrum.data(), buf.data(), length);
      const double scale = 1.0 / static_cast<double>(length);
      for (int64_t f = 0; f < frames; ++f) Store(buf[m + f] * scale, f * channels + c, &out);
    }
  });
  return out;
}

}  // namespace neurofeat
