// Fuzz target: an Open Ephys structure.oebin (before "\n--\n") and its
// continuous.dat (after), in continuous/s0/ (the folder_name the seeds use).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/io/recording_readers.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string oebin, dat;
  fuzz::SplitInput(data, size, &oebin, &dat);
  std::filesystem::create_directories(fuzz::FuzzDir() + "/continuous/s0");
  fuzz::WriteFuzzFile("continuous/s0/continuous.dat", reinterpret_cast<const uint8_t*>(dat.data()),
                      dat.size());
  const std::string path = fuzz::WriteFuzzFile(
      "structure.oebin", reinterpret_cast<const uint8_t*>(oebin.data()), oebin.size());
  // Companion files stay inside the fuzz directory, as the server's data
  // roots confine them.
  ReaderOptions options;
  options.resolve = [](const std::string& p) -> absl::StatusOr<std::string> {
    if (p.find("..") != std::string::npos) return absl::PermissionDeniedError("outside");
    return p;
  };
  absl::StatusOr<OpenedRecording> opened =
      OpenRecordingFile(path, RecordingFormat::kOpenEphys, options);
  if (opened.ok()) {
    const int64_t n = std::min<int64_t>(opened->source->num_frames(), 64);
    (void)opened->source->GetTraces(0, n);
  }
  return 0;
}
