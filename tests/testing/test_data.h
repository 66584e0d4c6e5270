// File: test_data.h
//
// Access to the files under tests/data (copied and trimmed from the golden
// reference set; see tests/data/README.md) and small helpers to compare
// traces against them.
#ifndef NEUROFEAT_TESTS_TESTING_TEST_DATA_H_
#define NEUROFEAT_TESTS_TESTING_TEST_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/npy.h"
#include "core/traces.h"
#include "google/protobuf/struct.pb.h"

namespace neurofeat::testing {

// TestDataPath("scipy/x_f32_c2.npy") is the absolute path of that file.
std::string TestDataPath(const std::string& relative);

// LoadNpy() reads a test file or fails the test (returns an empty array).
NpyArray LoadNpy(const std::string& relative);
// LoadTraces() reads a 2-D test file as Traces.
Traces LoadTraces(const std::string& relative);
// LoadJson() parses a JSON test file into a Struct.
google::protobuf::Struct LoadJson(const std::string& relative);

// ToDoubles() widens any Traces to float64 values, row-major.
std::vector<double> ToDoubles(const Traces& t);

// SelectRows() returns the given rows of `t`.
Traces SelectRows(const Traces& t, const std::vector<int64_t>& rows);

// A temporary directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Sanitizer runs (scripts/sanitize.sh sets NF_SANITIZER): code runs 5-20x
// slower and resident memory includes the sanitizer's shadow memory.
// TimeScale() stretches time bounds (1 otherwise); MemoryBoundsApply() is
// false there: memory bounds are the regular suite's to check.
double TimeScale();
bool MemoryBoundsApply();

// WriteFile() writes bytes to a file or fails the test.
void WriteFile(const std::string& path, const std::string& bytes);
// ReadFile() is a whole file's bytes ("" when it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace neurofeat::testing

#endif  // NEUROFEAT_TESTS_TESTING_TEST_DATA_H_
