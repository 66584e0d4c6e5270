// Fuzz target: EDF/EDF+/BDF headers, through EDFlib and the direct reader
// that takes over for files EDFlib refuses.
#include <cstddef>
#include <cstdint>

#include "core/io/edf_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string path = fuzz::WriteFuzzFile("x.edf", data, size);
  absl::StatusOr<std::unique_ptr<EdfSource>> source = EdfSource::Open(path);
  if (source.ok()) {
    const int64_t n = std::min<int64_t>((*source)->num_frames(), 64);
    (void)(*source)->GetTraces(0, n);
  }
  return 0;
}
