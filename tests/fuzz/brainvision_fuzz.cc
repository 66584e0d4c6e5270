// Fuzz target: a BrainVision header (.vhdr) with its .vmrk and binary .eeg.
// One input holds the three files, cut at "\n--\n": header, then markers,
// then samples (the seeds name DataFile=x.eeg and MarkerFile=x.vmrk).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/brainvision_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string vhdr, rest, vmrk, eeg;
  fuzz::SplitInput(data, size, &vhdr, &rest);
  fuzz::SplitInput(reinterpret_cast<const uint8_t*>(rest.data()), rest.size(), &vmrk, &eeg);
  const std::string path =
      fuzz::WriteFuzzFile("x.vhdr", reinterpret_cast<const uint8_t*>(vhdr.data()), vhdr.size());
  fuzz::WriteFuzzFile("x.vmrk", reinterpret_cast<const uint8_t*>(vmrk.data()), vmrk.size());
  fuzz::WriteFuzzFile("x.eeg", reinterpret_cast<const uint8_t*>(eeg.data()), eeg.size());
  absl::StatusOr<OpenedRecording> opened = OpenBrainVision(path, ReaderOptions{});
  if (opened.ok()) {
    const TraceSource& s = *opened->source;
    const int64_t n = s.num_frames();
    (void)s.GetTraces(0, std::min<int64_t>(n, 64));
    (void)s.GetTraces(n / 2, std::min<int64_t>(n, n / 2 + 3));
    (void)s.GetTraces(std::max<int64_t>(0, n - 5), n);
  }
  return 0;
}
