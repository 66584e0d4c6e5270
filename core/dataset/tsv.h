// File: tsv.h
//
// TsvTable: a tab-separated table with a header row, as BIDS writes its
// participants.tsv, *_channels.tsv and *_events.tsv (UTF-8, "\n" or "\r\n"
// line ends, "n/a" for a missing value). Strict: every row has as many
// fields as the header, and errors name the file and the line.
//
// Example:
//   NF_ASSIGN_OR_RETURN(TsvTable t, ParseTsv(text, "sub-01_events.tsv"));
//   std::optional<size_t> onset = t.Column("onset");
#ifndef NEUROFEAT_CORE_DATASET_TSV_H_
#define NEUROFEAT_CORE_DATASET_TSV_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat {

struct TsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  // The 1-based line of each row in the file (for messages).
  std::vector<int64_t> lines;

  // Column() is the index of a column by name, if there is one.
  std::optional<size_t> Column(const std::string& name) const;
};

// ParseTsv() parses `text`; `name` is used in messages. Blank lines are
// skipped. Errors: InvalidArgument "<name>:<line>: 3 fields, the header has
// 4", an empty or duplicated column name, no header.
absl::StatusOr<TsvTable> ParseTsv(const std::string& text, const std::string& name);

// IsMissing() is true for BIDS's "n/a" and for an empty field.
bool IsMissing(const std::string& value);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DATASET_TSV_H_
