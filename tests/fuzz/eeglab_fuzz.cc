// Fuzz target: an EEGLAB .set (MAT v5 or v7.3), data inside it or in a .fdt.
// The input is the .set, optionally followed by "\n--\n" and the x.fdt that
// the corpus sets name in EEG.data.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/eeglab_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string set, fdt;
  fuzz::SplitInput(data, size, &set, &fdt);
  const std::string path =
      fuzz::WriteFuzzFile("x.set", reinterpret_cast<const uint8_t*>(set.data()), set.size());
  // Always rewritten, so no .fdt of an earlier input lingers.
  fuzz::WriteFuzzFile("x.fdt", reinterpret_cast<const uint8_t*>(fdt.data()), fdt.size());
  absl::StatusOr<OpenedRecording> opened = OpenEeglab(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = opened->source->num_frames();
    (void)opened->source->GetTraces(0, std::min<int64_t>(n, 64));
    (void)opened->source->GetTraces(n / 2, std::min<int64_t>(n, n / 2 + 64));
  }
  return 0;
}
