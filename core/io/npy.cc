#include "core/io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/source/in_memory_source.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMaxHeaderBytes = 1 << 20;

absl::Status Malformed(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed .npy: ", what));
}

// A tiny parser for the header's Python dict literal.
class DictParser {
 public:
  explicit DictParser(const std::string& s) : s_(s) {}

  absl::StatusOr<NpyHeader> Parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    Skip();
    if (!Eat('{')) return Malformed("header does not start with '{'");
    while (true) {
      Skip();
      if (Eat('}')) break;
      NF_ASSIGN_OR_RETURN(std::string key, String());
      Skip();
      if (!Eat(':')) return Malformed(absl::StrCat("expected ':' after key '", key, "'"));
      Skip();
      if (key == "descr") {
        if (have_descr) return Malformed("duplicate key 'descr'");
        have_descr = true;
        NF_ASSIGN_OR_RETURN(std::string descr, String());
        NF_ASSIGN_OR_RETURN(h.dtype, Dtype(descr));
      } else if (key == "fortran_order") {
        if (have_order) return Malformed("duplicate key 'fortran_order'");
        have_order = true;
        if (Word("False")) {
        } else if (Word("True")) {
          return absl::InvalidArgumentError(
              "unsupported .npy: fortran_order=True; save a C-ordered array "
              "(numpy.ascontiguousarray)");
        } else {
          return Malformed("fortran_order is neither True nor False");
        }
      } else if (key == "shape") {
        if (have_shape) return Malformed("duplicate key 'shape'");
        have_shape = true;
        NF_ASSIGN_OR_RETURN(h.shape, Shape());
      } else {
        return Malformed(absl::StrCat("unknown header key '", key, "'"));
      }
      Skip();
      if (Eat(',')) continue;
      Skip();
      if (Eat('}')) break;
      return Malformed("expected ',' or '}' in header");
    }
    if (!have_descr || !have_order || !have_shape) {
      return Malformed("header lacks one of 'descr', 'fortran_order', 'shape'");
    }
    return h;
  }

 private:
  void Skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Word(const std::string& w) {
    if (s_.compare(pos_, w.size(), w) == 0) {
      pos_ += w.size();
      return true;
    }
    return false;
  }
  absl::StatusOr<std::string> String() {
    if (!Eat('\'')) return Malformed("expected a quoted string in header");
    size_t end = s_.find('\'', pos_);
    if (end == std::string::npos) return Malformed("unterminated string in header");
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  absl::StatusOr<NpyDtype> Dtype(const std::string& d) {
    if (d.size() < 2) return Malformed(absl::StrCat("descr '", d, "'"));
    if (d[0] == '>') {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported .npy dtype '", d, "': big-endian data"));
    }
    if (d[0] != '<' && d[0] != '|' && d[0] != '=')
      return Malformed(absl::StrCat("descr '", d, "'"));
    std::string t = d.substr(1);
    if (t == "i2") return NpyDtype::kInt16;
    if (t == "i4") return NpyDtype::kInt32;
    if (t == "i8") return NpyDtype::kInt64;
    if (t == "f4") return NpyDtype::kFloat32;
    if (t == "f8") return NpyDtype::kFloat64;
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported .npy dtype '", d, "' (supported: int16, int32, int64, float32, float64)"));
  }
  absl::StatusOr<std::vector<int64_t>> Shape() {
    if (!Eat('(')) return Malformed("shape is not a tuple");
    std::vector<int64_t> shape;
    while (true) {
      Skip();
      if (Eat(')')) break;
      size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == start || pos_ - start > 18)
        return Malformed("shape holds a non-integer or huge dimension");
      shape.push_back(std::stoll(s_.substr(start, pos_ - start)));
      Skip();
      if (Eat(',')) continue;
      Skip();
      if (Eat(')')) break;
      return Malformed("expected ',' or ')' in shape");
    }
    return shape;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

absl::Status IoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<NpyHeader> ReadHeader(int fd, int64_t size, const std::string& path) {
  std::string prefix(static_cast<size_t>(std::min<int64_t>(size, 4096)), '\0');
  NF_RETURN_IF_ERROR(PreadFully(fd, prefix.data(), prefix.size(), 0, path));
  absl::StatusOr<NpyHeader> h = ParseNpyHeader(prefix, size);
  if (!h.ok() && absl::IsOutOfRange(h.status())) {
    // The header is longer than the first read: read it whole.
    prefix.resize(static_cast<size_t>(std::min<int64_t>(size, kMaxHeaderBytes + 12)));
    NF_RETURN_IF_ERROR(PreadFully(fd, prefix.data(), prefix.size(), 0, path));
    h = ParseNpyHeader(prefix, size);
  }
  if (!h.ok()) {
    return absl::Status(
        absl::IsOutOfRange(h.status()) ? absl::StatusCode::kInvalidArgument : h.status().code(),
        absl::StrCat(path, ": ", h.status().message()));
  }
  return h;
}

}  // namespace

size_t NpyDtypeSize(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kInt16:
      return 2;
    case NpyDtype::kInt32:
    case NpyDtype::kFloat32:
      return 4;
    case NpyDtype::kInt64:
    case NpyDtype::kFloat64:
      return 8;
  }
  return 0;
}

const char* NpyDtypeDescr(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kInt16:
      return "<i2";
    case NpyDtype::kInt32:
      return "<i4";
    case NpyDtype::kInt64:
      return "<i8";
    case NpyDtype::kFloat32:
      return "<f4";
    case NpyDtype::kFloat64:
      return "<f8";
  }
  return "?";
}

int64_t NpyHeader::num_items() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<NpyHeader> ParseNpyHeader(const std::string& prefix, int64_t file_size) {
  if (file_size < 10 || prefix.size() < 10)
    return Malformed("file is shorter than the .npy preamble");
  if (prefix.compare(0, 6, kMagic, 6) != 0) return Malformed("missing \\x93NUMPY magic");
  const uint8_t major = static_cast<uint8_t>(prefix[6]);
  int64_t header_len = 0;
  int64_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(prefix[8]) | (static_cast<uint8_t>(prefix[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (prefix.size() < 12) return Malformed("file is shorter than the .npy preamble");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<int64_t>(static_cast<uint8_t>(prefix[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return Malformed(absl::StrCat("unsupported format version ", major));
  }
  if (header_len > kMaxHeaderBytes)
    return Malformed(absl::StrCat("header of ", header_len, " bytes is too long"));
  if (header_start + header_len > file_size) return Malformed("file ends inside the header");
  if (header_start + header_len > static_cast<int64_t>(prefix.size())) {
    return absl::OutOfRangeError("header longer than the bytes read");
  }
  std::string dict =
      prefix.substr(static_cast<size_t>(header_start), static_cast<size_t>(header_len));
  NF_ASSIGN_OR_RETURN(NpyHeader h, DictParser(dict).Parse());
  h.data_offset = header_start + header_len;
  const int64_t item = static_cast<int64_t>(NpyDtypeSize(h.dtype));
  int64_t items = 1;
  for (int64_t d : h.shape) {
    if (d < 0) return Malformed("negative dimension");
    if (d != 0 && items > std::numeric_limits<int64_t>::max() / item / d) {
      return Malformed(absl::StrCat("shape (", absl::StrJoin(h.shape, ", "), ") is too large"));
    }
    items *= d;
  }
  const int64_t want = items * item;
  const int64_t have = file_size - h.data_offset;
  if (have < want) {
    return absl::InvalidArgumentError(absl::StrCat("truncated .npy: shape (",
                                                   absl::StrJoin(h.shape, ", "), ") needs ", want,
                                                   " bytes of data and the file has ", have));
  }
  if (have > want) {
    return Malformed(absl::StrCat(have - want, " unexpected bytes after the data of shape (",
                                  absl::StrJoin(h.shape, ", "), ")"));
  }
  return h;
}

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes) {
  NF_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes, static_cast<int64_t>(bytes.size())));
  NpyArray a;
  a.header = h;
  a.data.resize(bytes.size() - static_cast<size_t>(h.data_offset));
  // memcpy's pointers must not be null even for zero bytes (an empty array).
  if (!a.data.empty()) std::memcpy(a.data.data(), bytes.data() + h.data_offset, a.data.size());
  return a;
}

absl::StatusOr<NpyArray> ReadNpy(const std::string& path) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  NF_ASSIGN_OR_RETURN(NpyHeader h, ReadHeader(file.fd.get(), file.size, path));
  NpyArray a;
  a.header = h;
  // The header was checked against the file's size: the data are there.
  a.data.resize(static_cast<size_t>(file.size - h.data_offset));
  NF_RETURN_IF_ERROR(PreadFully(file.fd.get(), a.data.data(), a.data.size(), h.data_offset, path));
  return a;
}

absl::StatusOr<Traces> NpyToTraces(const NpyArray& array, const std::string& what) {
  const auto& h = array.header;
  if (h.shape.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " has shape (", absl::StrJoin(h.shape, ", "), "); expected (frames, channels)"));
  }
  SampleType type;
  switch (h.dtype) {
    case NpyDtype::kInt16:
      type = SampleType::kInt16;
      break;
    case NpyDtype::kFloat32:
      type = SampleType::kFloat32;
      break;
    case NpyDtype::kFloat64:
      type = SampleType::kFloat64;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ", NpyDtypeDescr(h.dtype),
                                                     "; expected int16, float32 or float64"));
  }
  Traces t = Traces::Uninitialized(type, h.shape[0], h.shape[1]);
  if (t.size_bytes() > 0) std::memcpy(t.bytes(), array.data.data(), t.size_bytes());
  return t;
}

absl::StatusOr<std::unique_ptr<NpyWriter>> NpyWriter::Create(const std::string& path,
                                                             NpyDtype dtype,
                                                             std::vector<int64_t> shape) {
  std::string dims = absl::StrJoin(shape, ", ");
  if (shape.size() == 1) dims += ",";
  std::string dict = absl::StrCat("{'descr': '", NpyDtypeDescr(dtype),
                                  "', 'fortran_order': False, 'shape': (", dims, "), }");
  // numpy pads so that the data starts on a 64-byte boundary.
  size_t total = 10 + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict.push_back('\n');
  std::string header(kMagic, 6);
  header.push_back('\x01');
  header.push_back('\x00');
  header.push_back(static_cast<char>(dict.size() & 0xff));
  header.push_back(static_cast<char>((dict.size() >> 8) & 0xff));
  header += dict;
  auto w = std::unique_ptr<NpyWriter>(new NpyWriter());
  w->path_ = path;
  w->dtype_ = dtype;
  std::vector<int64_t> factors = shape;
  factors.push_back(static_cast<int64_t>(NpyDtypeSize(dtype)));
  NF_ASSIGN_OR_RETURN(w->expected_bytes_, CheckedProduct(factors.data(), factors.size(),
                                                         absl::StrCat(path, ": shape")));
  w->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return IoError("cannot create", path);
  NF_RETURN_IF_ERROR(w->AppendBytes(header.data(), header.size()));
  w->written_bytes_ = 0;
  return w;
}

NpyWriter::~NpyWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status NpyWriter::AppendBytes(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd_, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path_);
    }
    p += n;
    bytes -= static_cast<size_t>(n);
    written_bytes_ += n;
  }
  return absl::OkStatus();
}

absl::Status NpyWriter::Append(const Traces& traces) {
  return AppendBytes(traces.bytes(), traces.size_bytes());
}

absl::Status NpyWriter::Finish() {
  if (written_bytes_ != expected_bytes_) {
    return absl::InternalError(
        absl::StrCat(path_, ": wrote ", written_bytes_, " data bytes, expected ", expected_bytes_));
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    return IoError("cannot close", path_);
  }
  fd_ = -1;
  return absl::OkStatus();
}

absl::Status WriteNpy(const std::string& path, const Traces& traces) {
  NpyDtype dtype = traces.type() == SampleType::kInt16     ? NpyDtype::kInt16
                   : traces.type() == SampleType::kFloat32 ? NpyDtype::kFloat32
                                                           : NpyDtype::kFloat64;
  NF_ASSIGN_OR_RETURN(auto w, NpyWriter::Create(path, dtype, {traces.frames(), traces.channels()}));
  NF_RETURN_IF_ERROR(w->Append(traces));
  return w->Finish();
}

absl::StatusOr<std::unique_ptr<NpyTraceSource>> NpyTraceSource::Open(const std::string& path,
                                                                     RecordingInfo info) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  auto src = std::unique_ptr<NpyTraceSource>(new NpyTraceSource());
  NF_ASSIGN_OR_RETURN(src->header_, ReadHeader(file.fd.get(), file.size, path));
  src->fd_ = std::move(file.fd);
  src->path_ = path;
  const auto& shape = src->header_.shape;
  if (shape.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(path, " has shape (", absl::StrJoin(shape, ", "),
                                                   "); expected (frames, channels)"));
  }
  if (shape[0] < 1 || shape[1] < 1 || shape[1] > kMaxChannels) {
    const char* what = shape[1] < 1   ? "zero channels"
                       : shape[0] < 1 ? "zero frames"
                                      : "too many channels";
    return absl::InvalidArgumentError(absl::StrCat(path, " has shape (", absl::StrJoin(shape, ", "),
                                                   "): ", what, " (a recording has 1 to ",
                                                   kMaxChannels, " channels and >= 1 frame)"));
  }
  switch (src->header_.dtype) {
    case NpyDtype::kInt16:
      src->type_ = SampleType::kInt16;
      break;
    case NpyDtype::kFloat32:
      src->type_ = SampleType::kFloat32;
      break;
    case NpyDtype::kFloat64:
      src->type_ = SampleType::kFloat64;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(path, " has dtype ",
                                                     NpyDtypeDescr(src->header_.dtype),
                                                     "; expected int16, float32 or float64"));
  }
  if (info.channel_ids.empty()) {
    info.channel_ids = DefaultChannelIds(shape[1]);
  } else if (static_cast<int64_t>(info.channel_ids.size()) != shape[1]) {
    return absl::InvalidArgumentError(absl::StrCat(info.channel_ids.size(),
                                                   " channel ids given for ", path, ", which has ",
                                                   shape[1], " channels"));
  }
  src->info_ = std::move(info);
  return src;
}

NpyTraceSource::~NpyTraceSource() = default;

absl::StatusOr<Traces> NpyTraceSource::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  Traces t = Traces::Uninitialized(type_, end - start, header_.shape[1]);
  const int64_t row_bytes = header_.shape[1] * static_cast<int64_t>(SampleTypeSize(type_));
  NF_RETURN_IF_ERROR(PreadFully(fd_.get(), t.bytes(), t.size_bytes(),
                                header_.data_offset + start * row_bytes, path_));
  return t;
}

absl::StatusOr<NpyHeader> ReadNpyHeader(const std::string& path) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  return ReadHeader(file.fd.get(), file.size, path);
}

absl::StatusOr<NpyHeader> ReadNpyHeader(int fd, int64_t size, const std::string& path) {
  return ReadHeader(fd, size, path);
}

}  // namespace neurofeat
