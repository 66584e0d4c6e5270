#include "core/io/nwb_source.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenNwb(const std::string& path, const ReaderOptions&) {
  return absl::UnimplementedError(absl::StrCat(path, ": Nwb is not read yet"));
}

}  // namespace neurofeat
