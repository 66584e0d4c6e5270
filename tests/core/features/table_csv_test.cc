// FeatureCsvWriter: every value reads back to the same double (strtod), in
// order, whether the rows are formatted in order (outside an arena) or in
// parallel pieces (inside one); texts are quoted; the file appears only
// when complete.
#include "core/features/table_csv.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tbb/task_arena.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;

uint64_t Bits(double v) {
  uint64_t u;
  std::memcpy(&u, &v, sizeof(u));
  return u;
}

FeatureTable Table(int64_t rows) {
  FeatureTable t;
  t.columns = {"ch0_a", "ch0_b", "count"};
  t.integer_columns = {false, false, true};
  const std::vector<double> special = {0.0,
                                       -0.0,
                                       1.0,
                                       0.1,
                                       1.0 / 3.0,
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::min(),
                                       std::numeric_limits<double>::denorm_min(),
                                       -std::numeric_limits<double>::denorm_min(),
                                       5e-324 * 3,
                                       1e22,
                                       9007199254740993.0,
                                       123456789012345678.0,
                                       -2.2250738585072009e-308,
                                       std::nextafter(1.0, 2.0),
                                       std::nextafter(1.0, 0.0)};
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<uint64_t> any;
  t.rows = rows;
  for (int64_t r = 0; r < rows; ++r) {
    double v = 0;
    if (r < static_cast<int64_t>(special.size())) {
      v = special[r];
    } else {
      // Any finite double, every bit pattern alike.
      do {
        const uint64_t u = any(rng);
        std::memcpy(&v, &u, sizeof(v));
      } while (!std::isfinite(v));
    }
    t.values.push_back(v);
    t.values.push_back(-v / 7.0);
    t.values.push_back(static_cast<double>(r * 1000003 % 99991));
    t.window_index.push_back(r);
    t.start_sample.push_back(r * 256);
  }
  return t;
}

void CheckReadsBack(const FeatureTable& t, const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  ASSERT_EQ(static_cast<int64_t>(lines.size()), t.rows + 1);
  EXPECT_EQ(lines[0], "recording,window,start_sample,ch0_a,ch0_b,count,target");
  int64_t mismatches = 0;
  for (int64_t r = 0; r < t.rows; ++r) {
    // The last field is quoted and holds a comma: split at the first six.
    std::vector<std::string> f = absl::StrSplit(lines[r + 1], absl::MaxSplits(',', 6));
    ASSERT_EQ(f.size(), 7u) << lines[r + 1];
    EXPECT_EQ(f[0], "sub-01");
    EXPECT_EQ(std::stoll(f[1]), r);
    EXPECT_EQ(std::stoll(f[2]), r * 256);
    for (int c = 0; c < 3; ++c) {
      const double back = std::strtod(f[3 + c].c_str(), nullptr);
      mismatches += Bits(back) != Bits(t.values[r * 3 + c]);
    }
    EXPECT_EQ(f[5].find_first_of(".e"), std::string::npos) << "a count is an integer";
    EXPECT_EQ(f[6], "\"left, \"\"eyes\"\" closed\"");
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(FeatureCsvWriterTest, EveryValueReadsBackBitExactlyInOrderAndInParallel) {
  for (const bool parallel : {false, true}) {
    for (const int64_t rows : {int64_t{5}, int64_t{20000}}) {
      SCOPED_TRACE(::testing::Message() << "parallel " << parallel << " rows " << rows);
      const FeatureTable t = Table(rows);
      TempDir dir;
      const std::string path = dir.File("f.csv");
      auto write = [&] {
        auto w = FeatureCsvWriter::Create(path, t.columns, {"recording", "window", "start_sample"},
                                          {"target"});
        ASSERT_TRUE(w.ok()) << w.status();
        ASSERT_TRUE((*w)->Append(t, {"sub-01"}, {"left, \"eyes\" closed"}).ok());
        EXPECT_FALSE(std::filesystem::exists(path)) << "only OUT.partial until Finish";
        ASSERT_TRUE((*w)->Finish().ok());
      };
      if (parallel) {
        tbb::task_arena(2).execute(write);
      } else {
        write();
      }
      CheckReadsBack(t, ReadFile(path));
    }
  }
}

TEST(FeatureCsvWriterTest, NonFiniteValuesAreSpelledOut) {
  std::string out;
  FormatCsvNumber(std::nan(""), false, &out);
  out += ' ';
  FormatCsvNumber(std::numeric_limits<double>::infinity(), false, &out);
  out += ' ';
  FormatCsvNumber(-std::numeric_limits<double>::infinity(), false, &out);
  out += ' ';
  FormatCsvNumber(0.1, false, &out);
  out += ' ';
  FormatCsvNumber(42.0, true, &out);
  EXPECT_EQ(out, "nan inf -inf 0.1 42");
}

}  // namespace
}  // namespace neurofeat
