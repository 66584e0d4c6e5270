#include "core/io/eeglab_source.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenEeglab(const std::string& path, const ReaderOptions&) {
  return absl::UnimplementedError(absl::StrCat(path, ": Eeglab is not read yet"));
}

}  // namespace neurofeat
