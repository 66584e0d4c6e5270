#include "core/io/brainvision_source.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenBrainVision(const std::string& path, const ReaderOptions&) {
  return absl::UnimplementedError(absl::StrCat(path, ": BrainVision is not read yet"));
}

}  // namespace neurofeat
