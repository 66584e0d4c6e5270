// Fuzz target: a SpikeGLX .meta (before "\n--\n") next to a .bin (after).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/recording_readers.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string meta, bin;
  fuzz::SplitInput(data, size, &meta, &bin);
  fuzz::WriteFuzzFile("x.ap.meta", reinterpret_cast<const uint8_t*>(meta.data()), meta.size());
  const std::string path =
      fuzz::WriteFuzzFile("x.ap.bin", reinterpret_cast<const uint8_t*>(bin.data()), bin.size());
  absl::StatusOr<OpenedRecording> opened =
      OpenRecordingFile(path, RecordingFormat::kSpikeGlx, ReaderOptions{});
  if (opened.ok()) {
    const int64_t n = std::min<int64_t>(opened->source->num_frames(), 64);
    (void)opened->source->GetTraces(0, n);
  }
  return 0;
}
