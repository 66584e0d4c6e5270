// File: table_csv.h
//
// FeatureCsvWriter: feature tables as CSV, EEGDash's column names in the
// header, one line per window, optionally with leading columns (recording,
// window, start_sample and a dataset's description) and trailing ones
// (EEGDash puts `target` last). Numbers are written in their shortest form
// that reads back to the same double (std::to_chars), counts as integers,
// into a large buffer flushed in blocks; the file is written as
// OUT.partial and renamed when complete.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto w, FeatureCsvWriter::Create("out.csv", table.columns,
//                                                        {"recording", "window", "start_sample"},
//                                                        {}));
//   NF_RETURN_IF_ERROR(w->Append(table, {"sub-01"}, {}));
//   NF_RETURN_IF_ERROR(w->Finish());
#ifndef NEUROFEAT_CORE_FEATURES_TABLE_CSV_H_
#define NEUROFEAT_CORE_FEATURES_TABLE_CSV_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/extract.h"

namespace neurofeat {

class FeatureCsvWriter {
 public:
  // `leading`: column names before the features; "window" and
  // "start_sample" are filled from the table, others from Append()'s
  // `leading_values`. `trailing`: names after the features.
  static absl::StatusOr<std::unique_ptr<FeatureCsvWriter>> Create(
      const std::string& path, const std::vector<std::string>& feature_columns,
      const std::vector<std::string>& leading, const std::vector<std::string>& trailing);
  ~FeatureCsvWriter();

  // Append() writes the table's rows. `leading_values` holds one text per
  // leading column that is not window or start_sample, in order;
  // `trailing_values` one per trailing column. Texts are quoted when they
  // hold commas, quotes or line breaks.
  absl::Status Append(const FeatureTable& table, const std::vector<std::string>& leading_values,
                      const std::vector<std::string>& trailing_values);
  // Finish() flushes, closes and renames OUT.partial to OUT.
  absl::Status Finish();

 private:
  FeatureCsvWriter() = default;
  absl::Status Flush();
  absl::Status Write(const char* data, size_t size);
  struct RowFormat;

  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  // Per leading column, where its value comes from (decided once in Create,
  // not per row).
  enum class Source { kWindow, kStartSample, kGiven };
  std::vector<Source> leading_;
  size_t trailing_count_ = 0;
  size_t feature_count_ = 0;
  bool finished_ = false;
};

// FormatCsvNumber() appends a value as the writer does: the shortest text
// that reads back to the same double; counts as integers; nan, inf, -inf.
void FormatCsvNumber(double value, bool integer, std::string* out);

// CsvField() is `text` quoted for CSV when it needs to be (RFC 4180).
std::string CsvField(const std::string& text);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_TABLE_CSV_H_
