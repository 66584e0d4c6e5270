// File: edf_writer.h
//
// WriteEdfForTest(): a small EDF+ recording written with EDFlib, for tests
// that need a file naming its channels, stating its rate and band and
// holding annotations. Link edflib::edflib.
//
// Example:
//   EdfForTest edf;
//   edf.labels = {"Fp1", "Fp2"};
//   edf.value = [](int64_t frame, int channel) { return 10.0 * frame + channel; };
//   ASSERT_TRUE(WriteEdfForTest(dir.File("x.edf"), edf).ok());
#ifndef NEUROFEAT_TESTS_TESTING_EDF_WRITER_H_
#define NEUROFEAT_TESTS_TESTING_EDF_WRITER_H_

#include <edflib.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace neurofeat::testing {

struct EdfForTest {
  std::vector<std::string> labels = {"Fp1", "Fp2"};
  // Samples per second (one-second data records) and records.
  int rate_hz = 256;
  int records = 4;
  // Every signal's prefiltering field ("HP:0.5Hz LP:40Hz"); "" for none.
  std::string prefilter;
  // Sample (frame, channel) in µV, within +-3000 (the physical range).
  std::function<double(int64_t, int)> value = [](int64_t, int) { return 0.0; };
  // EDF+ annotations: onset and duration in seconds, text.
  struct Annotation {
    double onset_s = 0;
    double duration_s = 0;
    std::string text;
  };
  std::vector<Annotation> annotations;
};

// WriteEdfForTest() writes `edf` to `path` (EDF+, 16-bit, µV).
inline absl::Status WriteEdfForTest(const std::string& path, const EdfForTest& edf) {
  const int signals = static_cast<int>(edf.labels.size());
  const int h = edfopen_file_writeonly_with_params(path.c_str(), EDFLIB_FILETYPE_EDFPLUS, signals,
                                                   edf.rate_hz, 3000.0, "uV");
  if (h < 0) return absl::InternalError(absl::StrCat("edflib cannot write ", path, ": ", h));
  for (int s = 0; s < signals; ++s) {
    if (edf_set_label(h, s, edf.labels[s].c_str()) != 0 ||
        (!edf.prefilter.empty() && edf_set_prefilter(h, s, edf.prefilter.c_str()) != 0)) {
      edfclose_file(h);
      return absl::InternalError(absl::StrCat("edflib: signal ", s, " of ", path));
    }
  }
  std::vector<double> buf(static_cast<size_t>(edf.rate_hz));
  for (int r = 0; r < edf.records; ++r) {
    for (int s = 0; s < signals; ++s) {
      for (int i = 0; i < edf.rate_hz; ++i) {
        buf[static_cast<size_t>(i)] = edf.value(int64_t{r} * edf.rate_hz + i, s);
      }
      if (edfwrite_physical_samples(h, buf.data()) != 0) {
        edfclose_file(h);
        return absl::InternalError(absl::StrCat("edflib: record ", r, " of ", path));
      }
    }
  }
  for (const EdfForTest::Annotation& a : edf.annotations) {
    // EDFlib counts annotation times in units of 100 µs.
    if (edfwrite_annotation_utf8(h, std::llround(a.onset_s * 10000),
                                 std::llround(a.duration_s * 10000), a.text.c_str()) != 0) {
      edfclose_file(h);
      return absl::InternalError(absl::StrCat("edflib: annotation ", a.text));
    }
  }
  if (edfclose_file(h) != 0) return absl::InternalError(absl::StrCat("edflib: closing ", path));
  return absl::OkStatus();
}

}  // namespace neurofeat::testing

#endif  // NEUROFEAT_TESTS_TESTING_EDF_WRITER_H_
