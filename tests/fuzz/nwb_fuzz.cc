// Fuzz target: an NWB 2.x file (HDF5): the ElectricalSeries in
// /acquisition, its electrodes table, rate and scaling, then reads at both
// ends of the series (chunks, fill values, the direct gzip/shuffle path).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/io/nwb_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string path = fuzz::WriteFuzzFile("x.nwb", data, size);
  absl::StatusOr<OpenedRecording> opened = OpenNwb(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = opened->source->num_frames();
    (void)opened->source->GetTraces(0, std::min<int64_t>(n, 64));
    (void)opened->source->GetTraces(std::max<int64_t>(0, n - 64), n);
  }
  return 0;
}
