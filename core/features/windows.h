// File: windows.h
//
// Windows: the (n_windows, channels, n_times) float32 array the feature tree
// reads, either given as pre-cut epochs or cut from continuous (frames,
// channels) traces (StreamingExtractor) with a size, a stride and drop_last,
// as braindecode's create_fixed_length_windows does.
#ifndef NEUROFEAT_CORE_FEATURES_WINDOWS_H_
#define NEUROFEAT_CORE_FEATURES_WINDOWS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/grid_iterator.h"
#include "core/io/regular_file.h"
#include "core/traces.h"

namespace neurofeat {

struct Windows {
  int64_t n_windows = 0;
  int64_t channels = 0;
  int64_t n_times = 0;
  std::vector<float> data;            // n_windows x channels x n_times
  std::vector<int64_t> start_sample;  // per window
  const float* window(int64_t w) const { return data.data() + w * channels * n_times; }
};

struct WindowSpec {
  int64_t size = 0;
  int64_t stride = 0;  // 0: size
  // Drop a last window that would run past the end; when false, a last
  // window ending at the last sample is added (braindecode's behaviour).
  bool drop_last = true;
};

// Pre-cut epochs (n_windows, channels, n_times) in an .npy file, read a
// block of windows at a time.
struct EpochsFile {
  std::string path;
  // Open for the file's lifetime in the request: what was checked is what
  // is read.
  std::shared_ptr<const ScopedFd> fd;
  SampleType type = SampleType::kFloat32;
  int64_t n_windows = 0;
  int64_t channels = 0;
  int64_t n_times = 0;
  int64_t data_offset = 0;
};

// OpenEpochsFile() reads the header of a 3-D int16/float32/float64 .npy.
absl::StatusOr<EpochsFile> OpenEpochsFile(const std::string& path);
// ReadEpochs() reads windows [first, first + count) as float32 (finite
// values only); start samples are window * n_times.
// `check_finite` false leaves the check to the caller (a fit that names
// the channels in its message).
absl::StatusOr<Windows> ReadEpochs(const EpochsFile& file, int64_t first, int64_t count,
                                   bool check_finite = true);

class WindowGrid;
absl::StatusOr<WindowGrid> WindowStarts(int64_t frames, const WindowSpec& spec);

// WindowGrid: the first frame of every window of a recording, computed on
// demand (never materialized: its size is chosen by a request's stride).
// Windows start every stride while a whole window fits, plus (without
// drop_last) a last window ending at the last frame.
class WindowGrid {
 public:
  using value_type = int64_t;
  using const_iterator = GridIterator<WindowGrid>;
  using iterator = const_iterator;

  // Epochs() is the grid of n_windows back-to-back windows of n_times.
  static WindowGrid Epochs(int64_t n_windows, int64_t n_times);
  // Explicit() is the grid of the given starts (windows cut around events).
  // REQUIRES: ascending (ExplicitWindowStarts checks them).
  static WindowGrid Explicit(std::vector<int64_t> starts);
  // explicit_starts(): the starts of an Explicit() grid, else null.
  const std::vector<int64_t>* explicit_starts() const { return explicit_.get(); }

  int64_t size() const { return count_; }
  int64_t operator[](int64_t k) const {
    if (explicit_ != nullptr) return (*explicit_)[static_cast<size_t>(k)];
    return k < regular_ ? k * stride_ : last_start_;
  }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  friend absl::StatusOr<WindowGrid> WindowStarts(int64_t frames, const WindowSpec& spec);
  int64_t stride_ = 1;
  int64_t regular_ = 0;     // windows on the stride grid
  int64_t count_ = 0;       // regular_, plus one without drop_last
  int64_t last_start_ = 0;  // of the extra window
  std::shared_ptr<const std::vector<int64_t>> explicit_;
};

// ExplicitWindowStarts() checks windows of `size` frames at `starts` in a
// recording of `frames` frames (ascending, each inside the recording) and
// makes their grid. Errors name `field` and the index:
// "window_starts[3]: 1200 + 256 frames ends past the recording (1400)".
absl::StatusOr<WindowGrid> ExplicitWindowStarts(std::vector<int64_t> starts, int64_t size,
                                                int64_t frames, const std::string& field);

// WindowStarts() is the grid of windows of a recording of `frames` frames.
// Errors name the window field: sizes below 1, or a window longer than
// the recording.
absl::StatusOr<WindowGrid> WindowStarts(int64_t frames, const WindowSpec& spec);

// WindowsFromEpochs() takes (n_windows, channels, n_times) samples in C order
// (float32, float64 or int16) and makes float32 windows.
absl::StatusOr<Windows> WindowsFromEpochs(SampleType type, const void* data, int64_t n_windows,
                                          int64_t channels, int64_t n_times,
                                          bool check_finite = true);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_WINDOWS_H_
