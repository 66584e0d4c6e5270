#include "core/io/fif_source.h"

#include "absl/strings/str_cat.h"

namespace neurofeat {

absl::StatusOr<OpenedRecording> OpenFif(const std::string& path, const ReaderOptions&) {
  return absl::UnimplementedError(absl::StrCat(path, ": Fif is not read yet"));
}

}  // namespace neurofeat
