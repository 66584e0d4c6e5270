// Fuzz target: a FIF raw file as mne.io.Raw.save writes it, with its -1.fif,
// -2.fif ... parts. The input is x_raw.fif, optionally followed by "\n--\n"
// and x_raw-1.fif (the next part, when x_raw.fif's FIFFB_REF names it);
// the second file is always rewritten (empty when absent) so no part of an
// earlier input is ever read.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/fif_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string first, second;
  fuzz::SplitInput(data, size, &first, &second);
  const std::string path = fuzz::WriteFuzzFile(
      "x_raw.fif", reinterpret_cast<const uint8_t*>(first.data()), first.size());
  fuzz::WriteFuzzFile("x_raw-1.fif", reinterpret_cast<const uint8_t*>(second.data()),
                      second.size());
  absl::StatusOr<OpenedRecording> opened = OpenFif(path, ReaderOptions{});
  if (opened.ok()) {
    const int64_t frames = opened->source->num_frames();
    const int64_t n = std::min<int64_t>(frames, 64);
    (void)opened->source->GetTraces(0, n);
    (void)opened->source->GetTraces(frames - n, frames);
    (void)opened->source->GetTraces(frames / 2, std::min(frames, frames / 2 + 64));
  }
  return 0;
}
