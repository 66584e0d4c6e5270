#include "tests/fuzz/fuzz_files.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace neurofeat::fuzz {

const std::string& FuzzDir() {
  static const std::string* dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "nf_fuzz_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    // Removed at exit; a fuzzer killed by a crash leaves it for inspection.
    static const std::string kept = pattern;
    std::atexit([] { std::filesystem::remove_all(kept); });
    return new std::string(pattern);
  }();
  return *dir;
}

std::string WriteFuzzFile(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = FuzzDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

void SplitInput(const uint8_t* data, size_t size, std::string* first, std::string* second) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const size_t at = all.find("\n--\n");
  if (at == std::string::npos) {
    *first = all;
    second->clear();
    return;
  }
  *first = all.substr(0, at + 1);
  *second = all.substr(at + 4);
}

}  // namespace neurofeat::fuzz
