#include "core/features/windows.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace neurofeat {
namespace {

float SampleAt(const Traces& t, int64_t frame, int64_t channel) {
  switch (t.type()) {
    case SampleType::kInt16:
      return static_cast<float>(t.row<int16_t>(frame)[channel]);
    case SampleType::kFloat32:
      return t.row<float>(frame)[channel];
    case SampleType::kFloat64:
      return static_cast<float>(t.row<double>(frame)[channel]);
  }
  return 0.0f;
}

}  // namespace

absl::StatusOr<Windows> CutWindows(const Traces& traces, const WindowSpec& spec) {
  const int64_t frames = traces.frames();
  const int64_t stride = spec.stride == 0 ? spec.size : spec.stride;
  if (spec.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("window.size_samples: must be >= 1, got ", spec.size));
  }
  if (stride < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("window.stride_samples: must be >= 1, got ", stride));
  }
  if (frames < spec.size) {
    return absl::InvalidArgumentError(absl::StrCat("window.size_samples: ", spec.size,
                                                   " samples is longer than the recording (",
                                                   frames, " samples)"));
  }
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + spec.size <= frames; s += stride) starts.push_back(s);
  if (!spec.drop_last && starts.back() + spec.size < frames) starts.push_back(frames - spec.size);
  Windows w;
  w.n_windows = static_cast<int64_t>(starts.size());
  w.channels = traces.channels();
  w.n_times = spec.size;
  w.start_sample = starts;
  w.data.resize(w.n_windows * w.channels * w.n_times);
  for (int64_t k = 0; k < w.n_windows; ++k) {
    float* dst = w.data.data() + k * w.channels * w.n_times;
    for (int64_t t = 0; t < w.n_times; ++t) {
      for (int64_t c = 0; c < w.channels; ++c) {
        dst[c * w.n_times + t] = SampleAt(traces, starts[k] + t, c);
      }
    }
  }
  return w;
}

absl::StatusOr<Windows> WindowsFromEpochs(SampleType type, const void* data, int64_t n_windows,
                                          int64_t channels, int64_t n_times) {
  if (n_windows < 1 || channels < 1 || n_times < 1) {
    return absl::InvalidArgumentError(absl::StrCat("epochs must have shape (n_windows, channels, ",
                                                   "n_times) with every size >= 1, got (",
                                                   n_windows, ", ", channels, ", ", n_times, ")"));
  }
  Windows w;
  w.n_windows = n_windows;
  w.channels = channels;
  w.n_times = n_times;
  const int64_t total = n_windows * channels * n_times;
  w.data.resize(total);
  switch (type) {
    case SampleType::kFloat32:
      std::memcpy(w.data.data(), data, total * sizeof(float));
      break;
    case SampleType::kFloat64:
      for (int64_t i = 0; i < total; ++i)
        w.data[i] = static_cast<float>(static_cast<const double*>(data)[i]);
      break;
    case SampleType::kInt16:
      for (int64_t i = 0; i < total; ++i) w.data[i] = static_cast<const int16_t*>(data)[i];
      break;
  }
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(w.data[i])) {
      const int64_t per = channels * n_times;
      return absl::InvalidArgumentError(absl::StrCat("epochs: sample ", w.data[i], " at window ",
                                                     i / per, ", channel ", (i % per) / n_times,
                                                     ", time ", i % n_times, " is not finite"));
    }
  }
  w.start_sample.resize(n_windows);
  for (int64_t k = 0; k < n_windows; ++k) w.start_sample[k] = k * n_times;
  return w;
}

}  // namespace neurofeat
