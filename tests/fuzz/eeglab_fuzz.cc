// Fuzz target: an EEGLAB .set (MAT v5 or v7.3), data inside it or in a .fdt.
#include <cstddef>
#include <cstdint>

#include "core/io/eeglab_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string path = fuzz::WriteFuzzFile("x.set", data, size);
  absl::StatusOr<OpenedRecording> opened = OpenEeglab(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = std::min<int64_t>(opened->source->num_frames(), 64);
    (void)opened->source->GetTraces(0, n);
  }
  return 0;
}
