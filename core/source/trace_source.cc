#include "core/source/trace_source.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::Status CheckFrameRange(int64_t start, int64_t end, int64_t num_frames) {
  if (start < 0 || end > num_frames || start > end) {
    return absl::OutOfRangeError(absl::StrCat(
        "frame range [", start, ", ", end, ") is not inside the recording [0, ", num_frames, ")"));
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
