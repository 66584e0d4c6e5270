// File: feature_testing.h
//
// Helpers for feature tests: build a tree from pipeline JSON text, run it on
// windows, and read EEGDash CSV goldens.
#ifndef NEUROFEAT_TESTS_TESTING_FEATURE_TESTING_H_
#define NEUROFEAT_TESTS_TESTING_FEATURE_TESTING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/extract.h"

namespace neurofeat::testing {

// A CSV as EEGDash writes it: a header, then numbers ("nan", "inf" allowed).
struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  int Column(const std::string& name) const;  // -1 if absent
};
// LoadCsv() reads a file under tests/data, or an absolute path.
CsvTable LoadCsv(const std::string& relative);
absl::StatusOr<CsvTable> ParseCsv(const std::string& text);

// BuildTree() parses pipeline JSON and builds its feature tree.
absl::StatusOr<FeatureTree> BuildTree(const std::string& pipeline_json, const SignalInfo& info,
                                      int64_t n_times);

// Extract() runs `pipeline_json` on windows (n_windows x channels x n_times,
// channel-major per window) in the compute arena.
absl::StatusOr<FeatureTable> Extract(const std::string& pipeline_json, const SignalInfo& info,
                                     const std::vector<float>& windows, int64_t n_windows,
                                     int64_t n_times);

// A one-feature pipeline: {"features": [{"name": "f", "fn": fn, "params": params}]}.
std::string LeafPipeline(const std::string& fn, const std::string& params_json = "{}");
// A group with a preprocessor and one leaf: columns "g_f_<...>".
std::string GroupPipeline(const std::string& pre_fn, const std::string& pre_params,
                          const std::string& fn, const std::string& params_json = "{}");

// RunLeaf() compiles the bank's feature `fn` with `params_json` against
// `shape` and computes it on `value`: for testing a leaf on a hand-made
// spectrum, coherency or phase value.
absl::StatusOr<std::vector<double>> RunLeaf(const std::string& fn, const std::string& params_json,
                                            const NodeShape& shape, const NodeValue& value,
                                            const SignalInfo& info);

// Column values of `table`, by column name (the test fails if it is absent).
std::vector<double> ColumnValues(const FeatureTable& table, const std::string& name);

// SignalInfo for channels named c0..c{n-1}.
SignalInfo InfoFor(double fs, int channels, std::optional<double> highpass = std::nullopt,
                   std::optional<double> lowpass = std::nullopt);

}  // namespace neurofeat::testing

#endif  // NEUROFEAT_TESTS_TESTING_FEATURE_TESTING_H_
