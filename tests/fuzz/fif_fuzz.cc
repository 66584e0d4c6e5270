// Fuzz target: a FIF raw file as mne.io.Raw.save writes it, with its -1.fif, -2.fif ... parts.
#include <cstddef>
#include <cstdint>

#include "core/io/fif_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string path = fuzz::WriteFuzzFile("x.fif", data, size);
  absl::StatusOr<OpenedRecording> opened = OpenFif(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = std::min<int64_t>(opened->source->num_frames(), 64);
    (void)opened->source->GetTraces(0, n);
  }
  return 0;
}
