#include "core/dataset/tsv.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace neurofeat {

std::optional<size_t> TsvTable::Column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return std::nullopt;
}

bool IsMissing(const std::string& value) { return value.empty() || value == "n/a"; }

absl::StatusOr<TsvTable> ParseTsv(const std::string& text, const std::string& name) {
  TsvTable table;
  int64_t line_number = 0;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // A UTF-8 byte order mark before the header is not part of a name.
    if (line_number == 1 && line.substr(0, 3) == "\xef\xbb\xbf") line.remove_prefix(3);
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (header) {
      std::set<std::string> seen;
      for (const std::string& c : fields) {
        if (c.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, ":", line_number, ": the header has an empty column name"));
        }
        if (!seen.insert(c).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, ":", line_number, ": column \"", c, "\" appears twice"));
        }
      }
      table.columns = std::move(fields);
      header = false;
      continue;
    }
    if (fields.size() != table.columns.size()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_number, ": ", fields.size(),
                                                     " fields, the header has ",
                                                     table.columns.size()));
    }
    table.rows.push_back(std::move(fields));
    table.lines.push_back(line_number);
  }
  if (header) return absl::InvalidArgumentError(absl::StrCat(name, ": no header row"));
  return table;
}

}  // namespace neurofeat
