// File: extract.h
//
// ExtractFeatures(): runs a feature tree over every window, windows in
// parallel on the calling arena, into a FeatureTable (one row per window,
// EEGDash's column names). WriteFeatureCsv()/WriteFeatureNpy() save it.
#ifndef NEUROFEAT_CORE_FEATURES_EXTRACT_H_
#define NEUROFEAT_CORE_FEATURES_EXTRACT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/features/feature_tree.h"
#include "core/features/windows.h"

namespace neurofeat {

struct FeatureTable {
  std::vector<std::string> columns;
  std::vector<bool> integer_columns;
  int64_t rows = 0;
  std::vector<double> values;  // rows x columns
  std::vector<int64_t> window_index;
  std::vector<int64_t> start_sample;
  EvalStats stats;  // summed over windows
  double at(int64_t row, int64_t col) const { return values[row * columns.size() + col]; }
};

struct ExtractOptions {
  // Called with (windows done, total) from one thread at a time.
  std::function<void(int64_t, int64_t)> progress;
  // Evaluate only part of the tree, with cached spectra (see BlockPlan);
  // columns of leaves not needed are left 0.
  const BlockPlan* plan = nullptr;
  // Polled before each window; once true, the remaining windows are skipped
  // and ExtractFeatures returns Cancelled (so nothing partial is used).
  std::function<bool()> cancelled;
};

// AppendRows() appends `block`'s rows to `table` (taking its columns when
// `table` is empty).
void AppendRows(const FeatureTable& block, FeatureTable* table);

// ExtractFeatures() REQUIRES windows.channels == tree channels and
// windows.n_times == tree.n_times() (checked: InvalidArgument otherwise).
absl::StatusOr<FeatureTable> ExtractFeatures(const FeatureTree& tree, const Windows& windows,
                                             const ExtractOptions& options = {});

// WriteFeatureCsv() writes the header (EEGDash column names; with metadata,
// "recording,window,start_sample" first) and one line per window. Floats are
// written in their shortest round-trip form, so they read back exactly
// (table_csv.h).
absl::Status WriteFeatureCsv(const std::string& path, const FeatureTable& table,
                             bool include_metadata, const std::string& recording);

// WriteFeatureNpy() writes the values as a (rows, columns) float64 array and
// the column names, one per line, to `path` + ".columns.txt".
absl::Status WriteFeatureNpy(const std::string& path, const FeatureTable& table);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_EXTRACT_H_
