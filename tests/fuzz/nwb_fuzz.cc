// Fuzz target: an NWB 2.x file: an ElectricalSeries in /acquisition.
#include <cstddef>
#include <cstdint>

#include "core/io/nwb_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string path = fuzz::WriteFuzzFile("x.nwb", data, size);
  absl::StatusOr<OpenedRecording> opened = OpenNwb(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = std::min<int64_t>(opened->source->num_frames(), 64);
    (void)opened->source->GetTraces(0, n);
  }
  return 0;
}
