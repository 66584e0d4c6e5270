// Fuzz target: the NPY header parser and reader (files under a data root and
// uploads are .npy). Any input must give a value or an error, never a crash,
// an overflow or an allocation sized by a header field.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/npy.h"
#include "core/source/trace_source.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)ParseNpyHeader(bytes, static_cast<int64_t>(bytes.size()));
  (void)ParseNpy(bytes);
  const std::string path = fuzz::WriteFuzzFile("x.npy", data, size);
  RecordingInfo info;
  info.sampling_rate_hz = 1000;
  absl::StatusOr<std::unique_ptr<NpyTraceSource>> source = NpyTraceSource::Open(path, info);
  if (source.ok()) {
    const int64_t n = std::min<int64_t>((*source)->num_frames(), 64);
    (void)(*source)->GetTraces(0, n);
  }
  return 0;
}
