// Fuzz target: an Open Ephys settings.xml (before "\n--\n") and the stream
// name to find shifts for (after).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/openephys_settings.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  std::string settings, stream;
  fuzz::SplitInput(data, size, &settings, &stream);
  for (const double fs : {30000.0, 2500.0}) {
    absl::StatusOr<OpenEphysShifts> s =
        NeuropixelsShiftsFromOpenEphysSettings(settings, "settings.xml", stream, 384, fs);
    if (s.ok() && !s->shifts.empty() && s->shifts.size() != 384) __builtin_trap();
  }
  return 0;
}
