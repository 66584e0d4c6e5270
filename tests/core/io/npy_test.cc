#include "core/io/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::TestDataPath;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A header as numpy writes it, for hand-made malformed files.
std::string Npy(const std::string& dict, size_t data_bytes) {
  std::string d = dict;
  while ((10 + d.size() + 1) % 64 != 0) d.push_back(' ');
  d.push_back('\n');
  std::string s = "\x93NUMPY";
  s.push_back('\x01');
  s.push_back('\x00');
  s.push_back(static_cast<char>(d.size() & 0xff));
  s.push_back(static_cast<char>(d.size() >> 8));
  return s + d + std::string(data_bytes, '\0');
}

TEST(NpyTest, ReadsFilesWrittenByNumpy) {
  absl::StatusOr<NpyArray> a = ReadNpy(TestDataPath("scipy/x_i16_c2.npy"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->header.dtype, NpyDtype::kInt16);
  EXPECT_THAT(a->header.shape, ::testing::ElementsAre(60000, 2));
  absl::StatusOr<NpyArray> r = ReadNpy(TestDataPath("scipy/rows.npy"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.dtype, NpyDtype::kInt64);
  EXPECT_EQ(r->as<int64_t>()[4000], 28000);
}

TEST(NpyTest, WriterOutputIsByteIdenticalToNumpySave) {
  // x_f32_c2.npy was written by numpy.save; re-writing its content must give
  // the same bytes (header layout, padding, data).
  const std::string path = TestDataPath("scipy/x_f32_c2.npy");
  absl::StatusOr<NpyArray> a = ReadNpy(path);
  ASSERT_TRUE(a.ok());
  absl::StatusOr<Traces> t = NpyToTraces(*a, "x");
  ASSERT_TRUE(t.ok());
  TempDir dir;
  ASSERT_TRUE(WriteNpy(dir.File("copy.npy"), *t).ok());
  EXPECT_EQ(ReadAll(dir.File("copy.npy")), ReadAll(path));
}

TEST(NpyTest, TraceSourceReadsRowRangesWithoutLoadingTheFile) {
  auto src = NpyTraceSource::Open(TestDataPath("scipy/x_f32_c2.npy"), RecordingInfo{30000, {}, {}});
  ASSERT_TRUE(src.ok()) << src.status();
  absl::StatusOr<Traces> rows = (*src)->GetTraces(100, 103);
  ASSERT_TRUE(rows.ok());
  absl::StatusOr<NpyArray> all = ReadNpy(TestDataPath("scipy/x_f32_c2.npy"));
  EXPECT_EQ(0, std::memcmp(rows->bytes(), all->data.data() + 100 * 2 * 4, 3 * 2 * 4));
  EXPECT_THAT((*src)->GetTraces(59999, 60001), StatusIs(absl::StatusCode::kOutOfRange));
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  absl::StatusCode code;
  const char* message;
};

TEST(NpyTest, RefusesMalformedFilesWithAReason) {
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2), }";
  std::string good = Npy(ok_dict, 80);
  const MalformedCase cases[] = {
      {"empty", "", absl::StatusCode::kInvalidArgument, "shorter than the .npy preamble"},
      {"bad magic", "XNUMPY" + good.substr(6), absl::StatusCode::kInvalidArgument, "magic"},
      {"truncated data", good.substr(0, good.size() - 5), absl::StatusCode::kInvalidArgument,
       "truncated .npy: shape (10, 2) needs 80 bytes of data and the file has 75"},
      {"trailing bytes", good + "xx", absl::StatusCode::kInvalidArgument, "2 unexpected bytes"},
      {"fortran", Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (10, 2), }", 80),
       absl::StatusCode::kInvalidArgument, "fortran_order=True"},
      {"big endian", Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (10, 2), }", 80),
       absl::StatusCode::kInvalidArgument, "big-endian"},
      {"object dtype", Npy("{'descr': '|O', 'fortran_order': False, 'shape': (10, 2), }", 80),
       absl::StatusCode::kInvalidArgument, "unsupported .npy dtype '|O'"},
      {"overflowing shape",
       Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999999999, 999999999), }",
           8),
       absl::StatusCode::kInvalidArgument, "too large"},
      {"missing key", Npy("{'descr': '<f4', 'shape': (10, 2), }", 80),
       absl::StatusCode::kInvalidArgument, "lacks one of"},
      {"unknown key", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2), 'x': 1}", 80),
       absl::StatusCode::kInvalidArgument, "unknown header key 'x'"},
      {"header past end", good.substr(0, 20), absl::StatusCode::kInvalidArgument,
       "inside the header"},
      {"version 9", good.substr(0, 6) + "\x09" + good.substr(7), absl::StatusCode::kInvalidArgument,
       "version 9"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WriteFile(dir.File("bad.npy"), c.bytes);
    EXPECT_THAT(ReadNpy(dir.File("bad.npy")), StatusIs(c.code, HasSubstr(c.message)));
    EXPECT_THAT(ParseNpy(c.bytes), StatusIs(c.code, HasSubstr(c.message)));
  }
  EXPECT_THAT(ReadNpy(dir.File("missing.npy")), StatusIs(absl::StatusCode::kNotFound));
}

TEST(NpyTest, TraceSourceRefusesWrongRankAndDtype) {
  TempDir dir;
  WriteFile(dir.File("3d.npy"),
            Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", 32));
  EXPECT_THAT(
      NpyTraceSource::Open(dir.File("3d.npy"), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected (frames, channels)")));
  WriteFile(dir.File("i8.npy"),
            Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", 32));
  EXPECT_THAT(NpyTraceSource::Open(dir.File("i8.npy"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dtype <i8")));
}

}  // namespace
}  // namespace neurofeat
