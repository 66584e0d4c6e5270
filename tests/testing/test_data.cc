#include "tests/testing/test_data.h"

#include <google/protobuf/util/json_util.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace neurofeat::testing {

std::string TestDataPath(const std::string& relative) {
  return std::string(NF_TEST_DATA_DIR) + "/" + relative;
}

NpyArray LoadNpy(const std::string& relative) {
  absl::StatusOr<NpyArray> a = ReadNpy(TestDataPath(relative));
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : NpyArray{};
}

Traces LoadTraces(const std::string& relative) {
  absl::StatusOr<Traces> t = NpyToTraces(LoadNpy(relative), relative);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : Traces{};
}

google::protobuf::Struct LoadJson(const std::string& relative) {
  std::ifstream in(TestDataPath(relative));
  std::stringstream ss;
  ss << in.rdbuf();
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(ss.str(), &s);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return s;
}

double TimeScale() { return std::getenv("NF_SANITIZER") != nullptr ? 20.0 : 1.0; }

bool MemoryBoundsApply() { return std::getenv("NF_SANITIZER") == nullptr; }

std::vector<double> ToDoubles(const Traces& t) {
  Traces d = ConvertTraces(t, SampleType::kFloat64);
  return std::vector<double>(d.data<double>(), d.data<double>() + d.size());
}

Traces SelectRows(const Traces& t, const std::vector<int64_t>& rows) {
  Traces out = Traces::Uninitialized(t.type(), static_cast<int64_t>(rows.size()), t.channels());
  const size_t row_bytes = static_cast<size_t>(t.channels()) * SampleTypeSize(t.type());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.bytes() + i * row_bytes, t.bytes() + rows[i] * row_bytes, row_bytes);
  }
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "neurofeat_test_XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  EXPECT_NE(p, nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace neurofeat::testing
