#include "client/cli/manifest.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/text_file.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

absl::StatusOr<std::optional<double>> Number(const std::string& text, const std::string& where) {
  if (absl::StripAsciiWhitespace(text).empty()) return std::optional<double>();
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v) || v <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": \"", text, "\" is not a positive number"));
  }
  return std::optional<double>(v);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("an unterminated quoted field");
  return fields;
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  NF_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "--manifest"));
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty manifest"));
  auto where = [&](int line, const std::string& column) {
    return absl::StrCat(path, ":", line, column.empty() ? "" : absl::StrCat(" (", column, ")"));
  };
  absl::StatusOr<std::vector<std::string>> header = SplitCsvLine(lines[0]);
  if (!header.ok())
    return absl::InvalidArgumentError(absl::StrCat(where(1, ""), ": ", header.status().message()));
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < header->size(); ++i) {
    const std::string key(absl::StripAsciiWhitespace((*header)[i]));
    if (!at.emplace(key, i).second) {
      return absl::InvalidArgumentError(absl::StrCat(where(1, key), ": a column appears twice"));
    }
  }
  Manifest m;
  m.remote = at.count("remote_path") > 0;
  if (at.count("input") == m.remote) {
    return absl::InvalidArgumentError(absl::StrCat(
        where(1, ""), ": the header needs exactly one of the columns input and remote_path"));
  }
  static const char* kKnown[] = {"input",    "remote_path", "fs",  "channels",
                                 "highpass", "lowpass",     "name"};
  for (const std::string& key : *header) {
    const std::string k(absl::StripAsciiWhitespace(key));
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
      m.description_keys.push_back(k);
    }
  }
  const std::string folder = std::filesystem::path(path).parent_path().string();
  for (size_t l = 1; l < lines.size(); ++l) {
    const int line = static_cast<int>(l) + 1;
    absl::StatusOr<std::vector<std::string>> fields = SplitCsvLine(lines[l]);
    if (!fields.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line, ""), ": ", fields.status().message()));
    }
    if (fields->size() != header->size()) {
      return absl::InvalidArgumentError(absl::StrCat(where(line, ""), ": ", fields->size(),
                                                     " fields, the header has ", header->size()));
    }
    auto field = [&](const std::string& key) -> std::string {
      auto it = at.find(key);
      return it == at.end() ? "" : std::string((*fields)[it->second]);
    };
    ManifestEntry e;
    e.line = line;
    e.path = field(m.remote ? "remote_path" : "input");
    if (e.path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line, m.remote ? "remote_path" : "input"), ": empty"));
    }
    if (!m.remote && e.path.front() != '/' && !folder.empty()) e.path = folder + "/" + e.path;
    e.name = field("name");
    if (e.name.empty()) e.name = std::filesystem::path(e.path).filename().string();
    NF_ASSIGN_OR_RETURN(e.fs, Number(field("fs"), where(line, "fs")));
    NF_ASSIGN_OR_RETURN(e.highpass, Number(field("highpass"), where(line, "highpass")));
    NF_ASSIGN_OR_RETURN(e.lowpass, Number(field("lowpass"), where(line, "lowpass")));
    const std::string channels = field("channels");
    if (!channels.empty()) {
      e.channels = absl::StrSplit(channels, absl::ByAnyChar(";,"), absl::SkipWhitespace());
    }
    for (const std::string& key : m.description_keys) e.description.push_back(field(key));
    m.entries.push_back(std::move(e));
  }
  if (m.entries.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no recordings"));
  return m;
}

}  // namespace neurofeat::client
