#include "core/features/table_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"
#include "tbb/task_group.h"

namespace neurofeat {
namespace {

// Flushed to the file whenever it passes this size.
constexpr size_t kBlockBytes = size_t{4} << 20;

// The longest text FormatCsvNumber writes (to_chars of a double: 24).
constexpr size_t kMaxNumberChars = 32;

char* WriteNumber(double value, bool integer, char* p) {
  if (std::isnan(value)) return std::copy_n("nan", 3, p);
  if (std::isinf(value)) return value > 0 ? std::copy_n("inf", 3, p) : std::copy_n("-inf", 4, p);
  if (integer && std::fabs(value) < 9.2e18) {
    return std::to_chars(p, p + kMaxNumberChars, static_cast<int64_t>(value)).ptr;
  }
  return std::to_chars(p, p + kMaxNumberChars, value).ptr;
}

}  // namespace

void FormatCsvNumber(double value, bool integer, std::string* out) {
  char buf[kMaxNumberChars];
  out->append(buf, WriteNumber(value, integer, buf));
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

namespace {

// Rows formatted per piece when pieces run in parallel; pieces formatted at
// once at most (so the texts held stay bounded whatever the table's size).
constexpr int64_t kRowsPerPiece = 1024;
constexpr int64_t kPiecesAtOnce = 8;

// A growable byte buffer written through a pointer: std::string's append
// checked its capacity per field and cost more than the number formatting.
class CharSink {
 public:
  // Room for `n` more bytes; returns where they go.
  char* Reserve(size_t n) {
    if (size_ + n > capacity_) {
      const size_t capacity = std::max(2 * capacity_, size_ + n + (size_t{1} << 16));
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void Append(const std::string& s) {
    char* p = Reserve(s.size());
    std::memcpy(p, s.data(), s.size());
    size_ += s.size();
  }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace

// One piece of rows into `sink`.
struct FeatureCsvWriter::RowFormat {
  const FeatureTable& table;
  const std::vector<Source>& leading;
  const std::vector<std::string>& quoted_leading;
  const std::vector<std::string>& quoted_trailing;
  std::vector<char> integer;  // per column (std::vector<bool> is slow to index)
  size_t fixed_bytes = 0;     // the quoted texts of a row

  void Rows(int64_t begin, int64_t end, CharSink* sink) const {
    const size_t cols = table.columns.size();
    const size_t row_bytes =
        fixed_bytes + (leading.size() + cols + quoted_trailing.size() + 1) * (kMaxNumberChars + 1);
    for (int64_t r = begin; r < end; ++r) {
      char* p = sink->Reserve(row_bytes);
      size_t next_value = 0;
      bool first = true;
      for (const Source source : leading) {
        if (!first) *p++ = ',';
        first = false;
        if (source != Source::kGiven) {
          const int64_t v =
              source == Source::kWindow ? table.window_index[r] : table.start_sample[r];
          p = std::to_chars(p, p + kMaxNumberChars, v).ptr;
        } else if (next_value < quoted_leading.size()) {
          const std::string& t = quoted_leading[next_value++];
          p = std::copy(t.begin(), t.end(), p);
        }
      }
      const double* row = table.values.data() + r * cols;
      for (size_t c = 0; c < cols; ++c) {
        if (!first) *p++ = ',';
        first = false;
        p = WriteNumber(row[c], integer[c] != 0, p);
      }
      for (const std::string& t : quoted_trailing) {
        *p++ = ',';
        p = std::copy(t.begin(), t.end(), p);
      }
      *p++ = '\n';
      sink->Commit(p);
    }
  }
};

absl::Status FeatureCsvWriter::Append(const FeatureTable& table,
                                      const std::vector<std::string>& leading_values,
                                      const std::vector<std::string>& trailing_values) {
  if (table.columns.size() != feature_count_ || trailing_values.size() != trailing_count_) {
    return absl::InternalError("FeatureCsvWriter::Append: columns do not match the header");
  }
  std::vector<std::string> quoted_leading, quoted_trailing;
  for (const auto& v : leading_values) quoted_leading.push_back(CsvField(v));
  for (const auto& v : trailing_values) quoted_trailing.push_back(CsvField(v));
  RowFormat format{table, leading_, quoted_leading, quoted_trailing, {}, 0};
  format.integer.assign(table.integer_columns.begin(), table.integer_columns.end());
  for (const auto& t : quoted_leading) format.fixed_bytes += t.size();
  for (const auto& t : quoted_trailing) format.fixed_bytes += t.size();
  // Pieces of rows are formatted in parallel when the caller runs in an
  // arena (whose size the process's limits set); outside one, in order
  // here (a loop here would otherwise start TBB's default arena of every
  // core).
  const bool in_arena =
      tbb::this_task_arena::current_thread_index() != tbb::task_arena::not_initialized;
  if (!in_arena || table.rows < 2 * kRowsPerPiece) {
    CharSink sink;
    for (int64_t r = 0; r < table.rows; r += kRowsPerPiece) {
      format.Rows(r, std::min(table.rows, r + kRowsPerPiece), &sink);
      NF_RETURN_IF_ERROR(Write(sink.data(), sink.size()));
      sink.Clear();
    }
    return absl::OkStatus();
  }
  // Groups of pieces: while one group is written (a task), the next is
  // formatted by the arena's other threads.
  const int64_t pieces = (table.rows + kRowsPerPiece - 1) / kRowsPerPiece;
  const int64_t group = std::min<int64_t>(
      kPiecesAtOnce, std::max<int64_t>(2, tbb::this_task_arena::max_concurrency()));
  std::vector<CharSink> formatting(static_cast<size_t>(group)), writing(static_cast<size_t>(group));
  auto format_group = [&](int64_t first, std::vector<CharSink>* texts) {
    const int64_t count = std::min(group, pieces - first);
    tbb::parallel_for(int64_t{0}, count, [&](int64_t i) {
      const int64_t begin = (first + i) * kRowsPerPiece;
      (*texts)[i].Clear();
      format.Rows(begin, std::min(table.rows, begin + kRowsPerPiece), &(*texts)[i]);
    });
    return count;
  };
  int64_t ready = format_group(0, &formatting);
  absl::Status written;
  for (int64_t first = 0; first < pieces; first += group) {
    std::swap(formatting, writing);
    tbb::task_group io;
    io.run([&, count = ready] {
      for (int64_t i = 0; i < count && written.ok(); ++i) {
        written = Write(writing[i].data(), writing[i].size());
      }
    });
    if (first + group < pieces) ready = format_group(first + group, &formatting);
    io.wait();
    NF_RETURN_IF_ERROR(written);
  }
  return absl::OkStatus();
}

absl::Status FeatureCsvWriter::Write(const char* data, size_t size) {
  // Small texts gather in the block buffer; large ones go straight out.
  if (buffer_.size() + size > kBlockBytes) NF_RETURN_IF_ERROR(Flush());
  if (size >= kBlockBytes) {
    if (std::fwrite(data, 1, size, file_) != size) {
      return absl::DataLossError(
          absl::StrCat("writing ", path_, ".partial failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  buffer_.append(data, size);
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
