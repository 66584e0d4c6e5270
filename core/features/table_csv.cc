#include "core/features/table_csv.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// Flushed to the file whenever it passes this size.
constexpr size_t kBlockBytes = size_t{4} << 20;

}  // namespace

void FormatCsvNumber(double value, bool integer, std::string* out) {
  if (std::isnan(value)) {
    out->append("nan");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "inf" : "-inf");
    return;
  }
  char buf[32];
  const auto [end, error] = integer && std::fabs(value) < 9.2e18
                                ? std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value))
                                : std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

absl::StatusOr<std::unique_ptr<FeatureCsvWriter>> FeatureCsvWriter::Create(
    const std::string& path, const std::vector<std::string>& feature_columns,
    const std::vector<std::string>& leading, const std::vector<std::string>& trailing) {
  auto w = std::unique_ptr<FeatureCsvWriter>(new FeatureCsvWriter());
  w->path_ = path;
  for (const std::string& name : leading) {
    w->leading_.push_back(name == "window"         ? Source::kWindow
                          : name == "start_sample" ? Source::kStartSample
                                                   : Source::kGiven);
  }
  w->trailing_count_ = trailing.size();
  w->feature_count_ = feature_columns.size();
  const std::string partial = path + ".partial";
  w->file_ = std::fopen(partial.c_str(), "wb");
  if (w->file_ == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", partial, ": ", std::strerror(errno)));
  }
  w->buffer_.reserve(kBlockBytes + (1 << 16));
  bool first = true;
  for (const auto* names : {&leading, &feature_columns, &trailing}) {
    for (const std::string& name : *names) {
      if (!first) w->buffer_ += ',';
      first = false;
      w->buffer_ += CsvField(name);
    }
  }
  w->buffer_ += '\n';
  return w;
}

FeatureCsvWriter::~FeatureCsvWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    if (!finished_) std::remove((path_ + ".partial").c_str());
  }
}

absl::Status FeatureCsvWriter::Flush() {
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    return absl::DataLossError(
        absl::StrCat("writing ", path_, ".partial failed: ", std::strerror(errno)));
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status FeatureCsvWriter::Append(const FeatureTable& table,
                                      const std::vector<std::string>& leading_values,
                                      const std::vector<std::string>& trailing_values) {
  if (table.columns.size() != feature_count_ || trailing_values.size() != trailing_count_) {
    return absl::InternalError("FeatureCsvWriter::Append: columns do not match the header");
  }
  std::vector<std::string> quoted_leading, quoted_trailing;
  for (const auto& v : leading_values) quoted_leading.push_back(CsvField(v));
  for (const auto& v : trailing_values) quoted_trailing.push_back(CsvField(v));
  const size_t cols = table.columns.size();
  char number[24];
  for (int64_t r = 0; r < table.rows; ++r) {
    size_t next_value = 0;
    bool first = true;
    for (const Source source : leading_) {
      if (!first) buffer_ += ',';
      first = false;
      if (source != Source::kGiven) {
        const int64_t v = source == Source::kWindow ? table.window_index[r] : table.start_sample[r];
        buffer_.append(number, std::to_chars(number, number + sizeof(number), v).ptr);
      } else if (next_value < quoted_leading.size()) {
        buffer_ += quoted_leading[next_value++];
      }
    }
    const double* row = table.values.data() + r * cols;
    for (size_t c = 0; c < cols; ++c) {
      if (!first) buffer_ += ',';
      first = false;
      FormatCsvNumber(row[c], table.integer_columns[c], &buffer_);
    }
    for (const std::string& v : quoted_trailing) {
      buffer_ += ',';
      buffer_ += v;
    }
    buffer_ += '\n';
    if (buffer_.size() >= kBlockBytes) NF_RETURN_IF_ERROR(Flush());
  }
  return absl::OkStatus();
}

absl::Status FeatureCsvWriter::Finish() {
  NF_RETURN_IF_ERROR(Flush());
  const int closed = std::fclose(file_);
  file_ = nullptr;
  const std::string partial = path_ + ".partial";
  if (closed != 0) {
    std::remove(partial.c_str());
    return absl::DataLossError(absl::StrCat("closing ", partial, " failed (disk full?)"));
  }
  if (std::rename(partial.c_str(), path_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", path_));
  }
  finished_ = true;
  return absl::OkStatus();
}

}  // namespace neurofeat
