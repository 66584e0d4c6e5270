// File: fuzz_files.h
//
// Helpers for fuzz targets that need files: a private directory made once
// per process, and writing an input's bytes to a name in it (the readers
// under test take paths, as a server's data root gives them).
#ifndef NEUROFEAT_TESTS_FUZZ_FUZZ_FILES_H_
#define NEUROFEAT_TESTS_FUZZ_FUZZ_FILES_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace neurofeat::fuzz {

// FuzzDir() is a directory that lives as long as the process.
const std::string& FuzzDir();
// WriteFuzzFile() writes `size` bytes to FuzzDir()/name; returns the path.
std::string WriteFuzzFile(const std::string& name, const uint8_t* data, size_t size);
// SplitInput() cuts an input in two at its first "\n--\n" (a .meta and a
// .bin, a structure.oebin and a continuous.dat); no marker: all is `first`.
void SplitInput(const uint8_t* data, size_t size, std::string* first, std::string* second);

}  // namespace neurofeat::fuzz

#endif  // NEUROFEAT_TESTS_FUZZ_FUZZ_FILES_H_
