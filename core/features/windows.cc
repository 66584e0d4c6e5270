#include "core/features/windows.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/status_macros.h"

namespace neurofeat {

absl::StatusOr<WindowGrid> WindowStarts(int64_t frames, const WindowSpec& spec) {
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
  WindowGrid grid;
  grid.stride_ = stride;
  grid.regular_ = (frames - spec.size) / stride + 1;
  grid.count_ = grid.regular_;
  const int64_t last_regular_end = (grid.regular_ - 1) * stride + spec.size;
  if (!spec.drop_last && last_regular_end < frames) {
    grid.last_start_ = frames - spec.size;
    ++grid.count_;
  }
  return grid;
}

WindowGrid WindowGrid::Explicit(std::vector<int64_t> starts) {
  WindowGrid grid;
  grid.count_ = static_cast<int64_t>(starts.size());
  grid.explicit_ = std::make_shared<const std::vector<int64_t>>(std::move(starts));
  return grid;
}

absl::StatusOr<WindowGrid> ExplicitWindowStarts(std::vector<int64_t> starts, int64_t size,
                                                int64_t frames, const std::string& field) {
  if (size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": windows must be >= 1 frame long, got ", size));
  }
  if (starts.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": no windows"));
  for (size_t i = 0; i < starts.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (starts[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": ", starts[i], " starts before the recording"));
    }
    if (starts[i] > frames - size) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", starts[i], " + ", size,
                                                     " frames ends past the recording (", frames,
                                                     " frames)"));
    }
    if (i > 0 && starts[i] < starts[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", starts[i],
                                                     " is before the previous start ",
                                                     starts[i - 1], " (starts must ascend)"));
    }
  }
  return WindowGrid::Explicit(std::move(starts));
}

WindowGrid WindowGrid::Epochs(int64_t n_windows, int64_t n_times) {
  WindowGrid grid;
  grid.stride_ = std::max<int64_t>(1, n_times);
  grid.regular_ = grid.count_ = std::max<int64_t>(0, n_windows);
  return grid;
}

absl::StatusOr<Windows> WindowsFromEpochs(SampleType type, const void* data, int64_t n_windows,
                                          int64_t channels, int64_t n_times, bool check_finite) {
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
      if (total > 0) std::memcpy(w.data.data(), data, total * sizeof(float));
      break;
    case SampleType::kFloat64:
      for (int64_t i = 0; i < total; ++i)
        w.data[i] = static_cast<float>(static_cast<const double*>(data)[i]);
      break;
    case SampleType::kInt16:
      for (int64_t i = 0; i < total; ++i) w.data[i] = static_cast<const int16_t*>(data)[i];
      break;
  }
  for (int64_t i = 0; check_finite && i < total; ++i) {
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

absl::StatusOr<EpochsFile> OpenEpochsFile(const std::string& path) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  NF_ASSIGN_OR_RETURN(NpyHeader h, ReadNpyHeader(file.fd.get(), file.size, path));
  if (h.shape.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": epochs are 3-D (n_windows, channels, ",
                                                   "n_times), got ", h.shape.size(),
                                                   " dimensions"));
  }
  EpochsFile f;
  f.path = path;
  f.fd = std::make_shared<const ScopedFd>(std::move(file.fd));
  switch (h.dtype) {
    case NpyDtype::kInt16:
      f.type = SampleType::kInt16;
      break;
    case NpyDtype::kFloat32:
      f.type = SampleType::kFloat32;
      break;
    case NpyDtype::kFloat64:
      f.type = SampleType::kFloat64;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": epochs must be int16, float32 or float64"));
  }
  f.n_windows = h.shape[0];
  f.channels = h.shape[1];
  f.n_times = h.shape[2];
  f.data_offset = h.data_offset;
  if (f.n_windows < 1 || f.channels < 1 || f.n_times < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": every dimension must be >= 1"));
  }
  if (f.channels > kMaxChannels) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", f.channels, " channels, more than ", kMaxChannels));
  }
  return f;
}

absl::StatusOr<Windows> ReadEpochs(const EpochsFile& file, int64_t first, int64_t count,
                                   bool check_finite) {
  const int64_t per = file.channels * file.n_times;
  const size_t item = SampleTypeSize(file.type);
  std::vector<std::byte> raw(static_cast<size_t>(count * per) * item);
  NF_RETURN_IF_ERROR(PreadFully(file.fd->get(), raw.data(), raw.size(),
                                file.data_offset + first * per * static_cast<int64_t>(item),
                                file.path));
  absl::StatusOr<Windows> w =
      WindowsFromEpochs(file.type, raw.data(), count, file.channels, file.n_times, check_finite);
  if (!w.ok())
    return absl::InvalidArgumentError(absl::StrCat(file.path, ": ", w.status().message()));
  for (int64_t k = 0; k < count; ++k) w->start_sample[k] = (first + k) * file.n_times;
  return w;
}

}  // namespace neurofeat
