// Feature-table CSV output, in one run: extract's earlier writer
// (absl::StrFormat("%.17g") per value, a line string per row into an
// std::ofstream), reproduced here, and FeatureCsvWriter
// (shortest round-trip text, one large buffer). The two alternate, rounds
// times; the median per side and the median of the per-round ratios are
// printed. Both files are read back and compared value by value.
//
//   build/bench/csv_bench [--rows 15360] [--cols 24] [--rounds 9] [--threads 2]
//
// The writer runs inside a --threads arena, as `neurofeat extract` runs it
// inside its compute arena (pieces of rows are formatted in parallel there).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_timing.h"
#include "core/features/table_csv.h"
#include "tbb/task_arena.h"

namespace {

using ::neurofeat::bench::Median;
using ::neurofeat::bench::Now;

// extract.cc's earlier writer.
void WriteFilingTime(const neurofeat::FeatureTable& table, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  std::string line = "recording,window,start_sample";
  for (const auto& c : table.columns) line += "," + c;
  out << line << "\n";
  const size_t cols = table.columns.size();
  for (int64_t r = 0; r < table.rows; ++r) {
    line = absl::StrCat("rec", ",", table.window_index[r], ",", table.start_sample[r]);
    for (size_t c = 0; c < cols; ++c) {
      line += ",";
      const double v = table.values[r * cols + c];
      line += table.integer_columns[c] ? absl::StrCat(static_cast<int64_t>(v))
                                       : absl::StrFormat("%.17g", v);
    }
    out << line << "\n";
  }
}

// Values of a data line after the three leading columns.
std::vector<double> ReadValues(const std::string& path) {
  std::vector<double> v;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::string text;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), f)) > 0;) text.append(buf, n);
  std::fclose(f);
  size_t pos = text.find('\n') + 1;
  while (pos < text.size()) {
    const size_t eol = text.find('\n', pos);
    int field = 0;
    for (size_t a = pos; a <= eol; ++field) {
      size_t b = text.find(',', a);
      if (b == std::string::npos || b > eol) b = eol;
      if (field >= 3) v.push_back(std::strtod(text.c_str() + a, nullptr));
      a = b + 1;
    }
    pos = eol + 1;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 15360, cols = 24;
  int rounds = 9;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--cols") == 0) cols = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  tbb::task_arena arena(threads);
  // Feature-like values: variances, entropies, band powers over many decades.
  neurofeat::FeatureTable table;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  std::uniform_int_distribution<int> exponent(-14, 3);
  for (int64_t c = 0; c < cols; ++c) {
    table.columns.push_back(absl::StrCat("ch", c % 6, "_feature", c / 6));
    table.integer_columns.push_back(false);
  }
  table.rows = rows;
  for (int64_t i = 0; i < rows * cols; ++i) {
    table.values.push_back(mantissa(rng) * std::pow(10.0, exponent(rng)));
  }
  for (int64_t r = 0; r < rows; ++r) {
    table.window_index.push_back(r);
    table.start_sample.push_back(r * 256);
  }
  const std::string dir = std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp";
  const std::string old_path = dir + "/nf_csv_bench_old.csv";
  const std::string new_path = dir + "/nf_csv_bench_new.csv";
  std::vector<double> old_s, new_s, append_s, ratios;
  for (int r = 0; r < rounds; ++r) {
    // Each side writes a new file (replacing one costs the old one's pages).
    std::remove(old_path.c_str());
    std::remove(new_path.c_str());
    double t0 = Now();
    WriteFilingTime(table, old_path);
    old_s.push_back(Now() - t0);
    bool ok = false;
    t0 = Now();
    arena.execute([&] {
      auto w = neurofeat::FeatureCsvWriter::Create(new_path, table.columns,
                                                   {"recording", "window", "start_sample"}, {});
      const double a0 = Now();
      ok = w.ok() && (*w)->Append(table, {"rec"}, {}).ok();
      append_s.push_back(Now() - a0);
      ok = ok && (*w)->Finish().ok();
    });
    new_s.push_back(Now() - t0);
    if (!ok) {
      std::fprintf(stderr, "FeatureCsvWriter failed\n");
      return 1;
    }
    ratios.push_back(old_s.back() / new_s.back());
  }
  const std::vector<double> a = ReadValues(old_path), b = ReadValues(new_path);
  int64_t differ = 0;
  for (size_t i = 0; i < table.values.size(); ++i) {
    differ += i >= a.size() || i >= b.size() || a[i] != table.values[i] || b[i] != table.values[i];
  }
  std::printf(
      "{\"rows\": %lld, \"cols\": %lld, \"threads\": %d, \"earlier_writer_ms\": %.2f, "
      "\"writer_ms\": "
      "%.2f, \"of_which_append_ms\": %.2f, "
      "\"ratio_median_of_rounds\": %.2f, \"values_not_read_back_exactly\": %lld}\n",
      static_cast<long long>(rows), static_cast<long long>(cols), threads, 1e3 * Median(old_s),
      1e3 * Median(new_s), 1e3 * Median(append_s), Median(ratios), static_cast<long long>(differ));
  std::remove(old_path.c_str());
  std::remove(new_path.c_str());
  return differ == 0 ? 0 : 1;
}
