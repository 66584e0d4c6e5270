#include "core/io/eeglab_source.h"

#include <hdf5.h>
#include <matio.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/mutex.h"
#include "core/status_macros.h"
#include "core/traces.h"
#include "core/util/json.h"

namespace neurofeat {
namespace {

// MNE scales EEGLAB's µV with CAL = 1e-6 (mne/io/eeglab/eeglab.py):
// volts = float64(sample) * CAL, for samples in the .set and in a .fdt.
constexpr double kCal = 1e-6;
// Bounds on metadata, so that no header makes us (or matio) allocate
// without limit: one field's value, the events, the top-level variables.
constexpr int64_t kMaxValueBytes = int64_t{16} << 20;
constexpr int64_t kMaxEvents = int64_t{1} << 22;
constexpr int kMaxVariables = 1 << 16;
// One pread / H5Dread and conversion step of GetTraces().
constexpr int64_t kReadChunkBytes = int64_t{8} << 20;

// ----------------------------------------------------------------- matio

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using MatPtr = std::unique_ptr<mat_t, MatCloser>;
using VarPtr = std::unique_ptr<matvar_t, VarFreer>;

bool IsNumericClass(matio_classes c) { return c >= MAT_C_DOUBLE && c <= MAT_C_UINT64; }
// The same for a class number read from a file (not yet known to be one).
bool IsNumericClassNumber(uint32_t c) { return c >= MAT_C_DOUBLE && c <= MAT_C_UINT64; }

const char* ClassText(matio_classes c) {
  switch (c) {
    case MAT_C_CELL:
      return "cell";
    case MAT_C_STRUCT:
      return "struct";
    case MAT_C_OBJECT:
      return "object";
    case MAT_C_CHAR:
      return "char";
    case MAT_C_SPARSE:
      return "sparse";
    case MAT_C_DOUBLE:
      return "double";
    case MAT_C_SINGLE:
      return "single";
    case MAT_C_INT8:
      return "int8";
    case MAT_C_UINT8:
      return "uint8";
    case MAT_C_INT16:
      return "int16";
    case MAT_C_UINT16:
      return "uint16";
    case MAT_C_INT32:
      return "int32";
    case MAT_C_UINT32:
      return "uint32";
    case MAT_C_INT64:
      return "int64";
    case MAT_C_UINT64:
      return "uint64";
    case MAT_C_FUNCTION:
      return "function";
    default:
      return "unknown-class";
  }
}

bool DimsValid(const matvar_t* v) {
  return v->rank >= 0 && v->rank <= 32 && (v->rank == 0 || v->dims != nullptr);
}

// DimsText() is "4 x 100" ("?" for dims matio could not read).
std::string DimsText(const matvar_t* v) {
  if (!DimsValid(v) || v->rank == 0) return "?";
  std::vector<std::string> parts;
  for (int i = 0; i < v->rank; ++i) parts.push_back(absl::StrCat(v->dims[i]));
  return absl::StrJoin(parts, " x ");
}

// Describe() is "a 1 x 2 double" (complex and logical said so).
std::string Describe(const matvar_t* v) {
  return absl::StrCat("a ", DimsText(v), v->isComplex ? " complex " : " ",
                      v->isLogical ? "logical" : ClassText(v->class_type));
}

absl::StatusOr<int64_t> Numel(const matvar_t* v, const std::string& what) {
  if (!DimsValid(v)) return absl::InvalidArgumentError(absl::StrCat(what, " has unreadable dims"));
  int64_t n = 1;
  for (int i = 0; i < v->rank; ++i) {
    if (v->dims[i] > static_cast<size_t>(kMaxCount)) {
      return absl::InvalidArgumentError(absl::StrCat(what, " is ", DimsText(v), ": too large"));
    }
    NF_ASSIGN_OR_RETURN(n, CheckedMul(n, static_cast<int64_t>(v->dims[i]), what));
  }
  return n;
}

// StructField() is field `name` of element `index` of the struct `s`, or
// null. Unlike Mat_VarGetStructFieldByName() it first checks the arrays
// matio filled: a damaged file can leave them missing or short.
matvar_t* StructField(matvar_t* s, const char* name, int64_t index) {
  if (s == nullptr || s->class_type != MAT_C_STRUCT || s->data == nullptr || !DimsValid(s) ||
      s->data_size != static_cast<int>(sizeof(matvar_t*))) {
    return nullptr;
  }
  const int64_t nfields = Mat_VarGetNumberOfFields(s);
  char* const* names = Mat_VarGetStructFieldnames(s);
  int64_t numel = 1;
  for (int i = 0; i < s->rank; ++i) {
    numel = SaturatingMul(numel, static_cast<int64_t>(std::min<size_t>(s->dims[i], kMaxCount)));
  }
  if (nfields == 0 || names == nullptr || index < 0 || index >= numel ||
      static_cast<int64_t>(s->nbytes / sizeof(matvar_t*)) < SaturatingMul(numel, nfields)) {
    return nullptr;
  }
  for (int64_t f = 0; f < nfields; ++f) {
    if (names[f] != nullptr && std::strcmp(names[f], name) == 0) {
      return static_cast<matvar_t**>(s->data)[index * nfields + f];
    }
  }
  return nullptr;
}

// LoadValue() reads a metadata value (numbers, chars) that matio has only
// the info of, after checking its size: at most kMaxValueBytes. `mat` is
// null for MAT v7.3, whose values are read when the tree is built.
absl::Status LoadValue(mat_t* mat, matvar_t* v, const std::string& path, const std::string& what) {
  if (v->data != nullptr) return absl::OkStatus();
  NF_ASSIGN_OR_RETURN(const int64_t n, Numel(v, absl::StrCat(path, ": ", what)));
  if (n == 0) return absl::OkStatus();
  if (n > kMaxValueBytes / 8) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " is ", Describe(v), ", too large for a field read here"));
  }
  if (mat == nullptr || Mat_VarReadDataAll(mat, v) != 0 || v->data == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " (", Describe(v), ") cannot be read: the file is damaged"));
  }
  return absl::OkStatus();
}

// ElementAsDouble() is element i of a loaded numeric value.
double ElementAsDouble(const matvar_t* v, int64_t i) {
  const void* d = v->data;
  switch (v->class_type) {
    case MAT_C_DOUBLE:
      return static_cast<const double*>(d)[i];
    case MAT_C_SINGLE:
      return static_cast<const float*>(d)[i];
    case MAT_C_INT8:
      return static_cast<const int8_t*>(d)[i];
    case MAT_C_UINT8:
      return static_cast<const uint8_t*>(d)[i];
    case MAT_C_INT16:
      return static_cast<const int16_t*>(d)[i];
    case MAT_C_UINT16:
      return static_cast<const uint16_t*>(d)[i];
    case MAT_C_INT32:
      return static_cast<const int32_t*>(d)[i];
    case MAT_C_UINT32:
      return static_cast<const uint32_t*>(d)[i];
    case MAT_C_INT64:
      return static_cast<double>(static_cast<const int64_t*>(d)[i]);
    case MAT_C_UINT64:
      return static_cast<double>(static_cast<const uint64_t*>(d)[i]);
    default:
      return std::nan("");
  }
}

// LoadedNumber() loads a numeric scalar, or says why `v` is not one.
absl::StatusOr<const matvar_t*> LoadedNumber(mat_t* mat, matvar_t* v, const std::string& path,
                                             const std::string& what) {
  if (!IsNumericClass(v->class_type) || v->isComplex) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " is ", Describe(v), ", not a number"));
  }
  NF_ASSIGN_OR_RETURN(const int64_t n, Numel(v, absl::StrCat(path, ": ", what)));
  if (n != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " is ", Describe(v), ", not one number"));
  }
  NF_RETURN_IF_ERROR(LoadValue(mat, v, path, what));
  return v;
}

// DecodeChars() is a loaded char value as UTF-8: UTF-8 as stored, 8-bit
// chars as Latin-1, 16-bit as UTF-16 (MATLAB), 32-bit as code points.
std::string DecodeChars(const matvar_t* v, int64_t n) {
  std::string out;
  const auto put = [&out](uint32_t cp) {
    AppendUtf8(cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFD : cp, &out);
  };
  switch (v->data_type) {
    case MAT_T_UTF8:
      out.assign(static_cast<const char*>(v->data), std::min<size_t>(v->nbytes, kMaxValueBytes));
      break;
    case MAT_T_INT8:
    case MAT_T_UINT8:
      for (int64_t i = 0; i < n && static_cast<size_t>(i) < v->nbytes; ++i) {
        put(static_cast<const uint8_t*>(v->data)[i]);
      }
      break;
    case MAT_T_INT16:
    case MAT_T_UINT16:
    case MAT_T_UTF16: {
      const auto* u = static_cast<const uint16_t*>(v->data);
      const int64_t units = std::min<int64_t>(n, static_cast<int64_t>(v->nbytes / 2));
      for (int64_t i = 0; i < units; ++i) {
        uint32_t cp = u[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units && u[i + 1] >= 0xDC00 &&
            u[i + 1] <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00);
          ++i;
        }
        put(cp);
      }
      break;
    }
    default: {  // 32-bit chars
      const auto* u = static_cast<const uint32_t*>(v->data);
      const int64_t units = std::min<int64_t>(n, static_cast<int64_t>(v->nbytes / 4));
      for (int64_t i = 0; i < units; ++i) put(u[i]);
      break;
    }
  }
  return out;
}

// ReadText() is a value as Python's str when scipy.io.loadmat(...,
// squeeze_me=True) would give a str (a non-empty 1 x N char array), else
// nullopt (MNE then sees an array, not a name).
absl::StatusOr<std::optional<std::string>> ReadText(mat_t* mat, matvar_t* v,
                                                    const std::string& path,
                                                    const std::string& what) {
  if (v->class_type != MAT_C_CHAR) return std::nullopt;
  NF_ASSIGN_OR_RETURN(const int64_t n, Numel(v, absl::StrCat(path, ": ", what)));
  if (n == 0 || v->rank != 2 || v->dims[0] != 1) return std::nullopt;
  NF_RETURN_IF_ERROR(LoadValue(mat, v, path, what));
  return DecodeChars(v, n);
}

// ------------------------------------------------------ Python's printing

// PythonFloatText() is Python's str() of a float: the shortest digits that
// round-trip, positional for 1e-4 <= |x| < 1e16 (and 0) with at least one
// decimal ("3.0"), else scientific with a two-digit exponent at least
// ("1e-05", "1e+16").
std::string PythonFloatText(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  std::string out;
  if (s[0] == '-') {
    out = "-";
    s.erase(0, 1);
  }
  const size_t e = s.find('e');
  int exp10 = 0;
  if (e == std::string::npos || !absl::SimpleAtoi(s.substr(e + 1), &exp10)) return s;
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const double a = std::fabs(x);
  if (a == 0 || (a >= 1e-4 && a < 1e16)) {
    const int n = static_cast<int>(digits.size());
    if (exp10 >= 0) {
      const int int_digits = exp10 + 1;
      if (n <= int_digits) {
        absl::StrAppend(&out, digits, std::string(int_digits - n, '0'), ".0");
      } else {
        absl::StrAppend(&out, digits.substr(0, int_digits), ".", digits.substr(int_digits));
      }
    } else {
      absl::StrAppend(&out, "0.", std::string(-exp10 - 1, '0'), digits);
    }
    return out;
  }
  absl::StrAppend(&out, digits.substr(0, 1));
  if (digits.size() > 1) absl::StrAppend(&out, ".", digits.substr(1));
  absl::StrAppend(&out, "e", exp10 < 0 ? "-" : "+", std::abs(exp10) < 10 ? "0" : "",
                  std::abs(exp10));
  return out;
}

// MneDescription() is str(event.type) as MNE computes it from scipy's
// value: the text of a char row; a number as Python prints it, since
// loadmat(squeeze_me=True) makes 1 x 1 values Python ints and floats
// (single precision widened: 0.1f prints as 0.10000000149011612; logicals
// stay uint8: 1); "[]" for any empty value. Arrays print as numpy arrays:
// not supported.
absl::StatusOr<std::string> MneDescription(mat_t* mat, matvar_t* v, const std::string& path,
                                           const std::string& what) {
  NF_ASSIGN_OR_RETURN(const int64_t n, Numel(v, absl::StrCat(path, ": ", what)));
  if (n == 0) return std::string("[]");
  NF_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadText(mat, v, path, what));
  if (text) return *std::move(text);
  if (n == 1 && IsNumericClass(v->class_type) && !v->isComplex) {
    NF_RETURN_IF_ERROR(LoadValue(mat, v, path, what));
    const void* d = v->data;
    switch (v->class_type) {
      case MAT_C_DOUBLE:
      case MAT_C_SINGLE:
        return PythonFloatText(ElementAsDouble(v, 0));
      case MAT_C_INT64:
        return absl::StrCat(static_cast<const int64_t*>(d)[0]);
      case MAT_C_UINT64:
        return absl::StrCat(static_cast<const uint64_t*>(d)[0]);
      default:  // smaller integers: exact in a double
        return absl::StrCat(static_cast<int64_t>(ElementAsDouble(v, 0)));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": ", what, " is ", Describe(v),
      "; MNE would describe the event by numpy's printing of it, which is not supported"));
}

// ----------------------------------------------------- Python's os.path

std::string PyDirname(const std::string& p) {
  const size_t slash = p.rfind('/');
  std::string head = slash == std::string::npos ? "" : p.substr(0, slash + 1);
  if (head.find_first_not_of('/') != std::string::npos) {
    while (!head.empty() && head.back() == '/') head.pop_back();
  }
  return head;
}

std::string PyJoin(const std::string& a, const std::string& b) {
  if (!b.empty() && b[0] == '/') return b;
  if (a.empty() || a.back() == '/') return a + b;
  return absl::StrCat(a, "/", b);
}

// PySplitext() is os.path.splitext(): the extension starts at the last dot
// of the last component, leading dots not counting.
std::pair<std::string, std::string> PySplitext(const std::string& p) {
  const size_t slash = p.rfind('/');
  const size_t start = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = p.rfind('.');
  if (dot != std::string::npos && dot >= start) {
    for (size_t i = start; i < dot; ++i) {
      if (p[i] != '.') return {p.substr(0, dot), p.substr(dot)};
    }
  }
  return {p, ""};
}

// -------------------------------------------------------------- samples

// How samples are stored (MAT classes and MAT v5 storage types).
enum class Elem {
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat32,
  kFloat64
};

int64_t ElemSize(Elem e) {
  switch (e) {
    case Elem::kInt8:
    case Elem::kUInt8:
      return 1;
    case Elem::kInt16:
    case Elem::kUInt16:
      return 2;
    case Elem::kInt32:
    case Elem::kUInt32:
    case Elem::kFloat32:
      return 4;
    default:
      return 8;
  }
}

std::optional<Elem> ElemOfClass(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE:
      return Elem::kFloat64;
    case MAT_C_SINGLE:
      return Elem::kFloat32;
    case MAT_C_INT8:
      return Elem::kInt8;
    case MAT_C_UINT8:
      return Elem::kUInt8;
    case MAT_C_INT16:
      return Elem::kInt16;
    case MAT_C_UINT16:
      return Elem::kUInt16;
    case MAT_C_INT32:
      return Elem::kInt32;
    case MAT_C_UINT32:
      return Elem::kUInt32;
    case MAT_C_INT64:
      return Elem::kInt64;
    case MAT_C_UINT64:
      return Elem::kUInt64;
    default:
      return std::nullopt;
  }
}

// MAT v5 storage type numbers (matio_types uses the same numbers).
std::optional<Elem> ElemOfStorage(uint32_t t) {
  switch (t) {
    case MAT_T_INT8:
      return Elem::kInt8;
    case MAT_T_UINT8:
      return Elem::kUInt8;
    case MAT_T_INT16:
      return Elem::kInt16;
    case MAT_T_UINT16:
      return Elem::kUInt16;
    case MAT_T_INT32:
      return Elem::kInt32;
    case MAT_T_UINT32:
      return Elem::kUInt32;
    case MAT_T_INT64:
      return Elem::kInt64;
    case MAT_T_UINT64:
      return Elem::kUInt64;
    case MAT_T_SINGLE:
      return Elem::kFloat32;
    case MAT_T_DOUBLE:
      return Elem::kFloat64;
    default:
      return std::nullopt;
  }
}

template <typename T>
void ToVoltsT(const std::byte* src, int64_t n, bool swap, double* dst) {
  if (swap) {
    for (int64_t i = 0; i < n; ++i) {
      unsigned char b[sizeof(T)];
      std::memcpy(b, src + i * sizeof(T), sizeof(T));
      std::reverse(b, b + sizeof(T));
      T v;
      std::memcpy(&v, b, sizeof(T));
      dst[i] = static_cast<double>(v) * kCal;
    }
    return;
  }
  // memcpy per element: no alignment assumed, and still a vectorised loop.
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<double>(v) * kCal;
  }
}

// ToVolts() converts n stored samples to volts as MNE does.
void ToVolts(Elem e, const std::byte* src, int64_t n, bool swap, double* dst) {
  switch (e) {
    case Elem::kInt8:
      return ToVoltsT<int8_t>(src, n, swap, dst);
    case Elem::kUInt8:
      return ToVoltsT<uint8_t>(src, n, swap, dst);
    case Elem::kInt16:
      return ToVoltsT<int16_t>(src, n, swap, dst);
    case Elem::kUInt16:
      return ToVoltsT<uint16_t>(src, n, swap, dst);
    case Elem::kInt32:
      return ToVoltsT<int32_t>(src, n, swap, dst);
    case Elem::kUInt32:
      return ToVoltsT<uint32_t>(src, n, swap, dst);
    case Elem::kInt64:
      return ToVoltsT<int64_t>(src, n, swap, dst);
    case Elem::kUInt64:
      return ToVoltsT<uint64_t>(src, n, swap, dst);
    case Elem::kFloat32:
      return ToVoltsT<float>(src, n, swap, dst);
    case Elem::kFloat64:
      return ToVoltsT<double>(src, n, swap, dst);
  }
}

// ------------------------------------------------------ MAT v5 layout

// Where the samples of an uncompressed MAT v5 variable are, found by
// walking the file's data elements (matio does not tell the offset).
struct V5Context {
  int fd = -1;
  int64_t size = 0;
  bool swap = false;
  std::string path;
};

uint32_t V5Word(const V5Context& c, const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return c.swap ? __builtin_bswap32(v) : v;
}

absl::Status V5Malformed(const V5Context& c, int64_t pos, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat(c.path, ": malformed MAT v5 data element at byte ", pos, ": ", what));
}

// A data element's tag: its type, its byte count, where its bytes start
// and where the next element starts (`padded`: sub-elements are padded to
// 8 bytes; top-level ones are not). The element may run past the file end;
// callers compare with c.size.
struct V5Tag {
  uint32_t type = 0;
  int64_t nbytes = 0;
  int64_t data = 0;
  int64_t next = 0;
};

absl::StatusOr<V5Tag> ReadV5Tag(const V5Context& c, int64_t pos, bool padded) {
  if (pos < 0 || pos > c.size - 8) {
    return absl::DataLossError(absl::StrCat(c.path, " is truncated: a MAT data element at byte ",
                                            pos, " is missing (the file has ", c.size, " bytes)"));
  }
  unsigned char b[8];
  NF_RETURN_IF_ERROR(PreadFully(c.fd, b, 8, pos, c.path));
  const uint32_t w0 = V5Word(c, b);
  V5Tag t;
  if ((w0 >> 16) != 0) {  // small data element: up to 4 bytes in the tag
    t.type = w0 & 0xFFFF;
    t.nbytes = w0 >> 16;
    if (t.nbytes > 4) return V5Malformed(c, pos, "a small element of more than 4 bytes");
    t.data = pos + 4;
    t.next = pos + 8;
    return t;
  }
  t.type = w0;
  t.nbytes = V5Word(c, b + 4);
  t.data = pos + 8;
  t.next = t.data + (padded ? (t.nbytes + 7) / 8 * 8 : t.nbytes);
  return t;
}

absl::Status ReadV5Bytes(const V5Context& c, const V5Tag& t, void* out) {
  if (t.data + t.nbytes > c.size) {
    return absl::DataLossError(absl::StrCat(c.path, " is truncated: a MAT data element at byte ",
                                            t.data, " needs ", t.nbytes, " bytes, the file has ",
                                            c.size));
  }
  return PreadFully(c.fd, out, t.nbytes, t.data, c.path);
}

// The header of an miMATRIX element.
struct V5Matrix {
  uint32_t klass = MAT_C_EMPTY;
  bool complex = false;
  std::vector<int64_t> dims;
  std::string name;
  int64_t body = 0;  // after the name: the class's own sub-elements
  int64_t end = 0;   // end of the element's bytes
};

absl::StatusOr<V5Matrix> ReadV5Matrix(const V5Context& c, const V5Tag& tag) {
  V5Matrix m;
  m.end = tag.data + tag.nbytes;
  if (tag.nbytes == 0) {  // an empty value (MATLAB writes [] fields so)
    m.dims = {0, 0};
    m.body = tag.data;
    return m;
  }
  NF_ASSIGN_OR_RETURN(const V5Tag flags, ReadV5Tag(c, tag.data, true));
  if (flags.type != MAT_T_UINT32 || flags.nbytes != 8) {
    return V5Malformed(c, tag.data, "array flags expected");
  }
  unsigned char f[8];
  NF_RETURN_IF_ERROR(ReadV5Bytes(c, flags, f));
  const uint32_t w = V5Word(c, f);
  m.klass = w & 0xFF;
  m.complex = (w & 0x800) != 0;
  NF_ASSIGN_OR_RETURN(const V5Tag dims, ReadV5Tag(c, flags.next, true));
  if (dims.type != MAT_T_INT32 || dims.nbytes < 8 || dims.nbytes > 32 * 4 || dims.nbytes % 4 != 0) {
    return V5Malformed(c, flags.next, "dimensions expected");
  }
  unsigned char d[32 * 4];
  NF_RETURN_IF_ERROR(ReadV5Bytes(c, dims, d));
  for (int64_t i = 0; i < dims.nbytes / 4; ++i) {
    const auto v = static_cast<int32_t>(V5Word(c, d + 4 * i));
    if (v < 0) return V5Malformed(c, dims.data, "a negative dimension");
    m.dims.push_back(v);
  }
  NF_ASSIGN_OR_RETURN(const V5Tag name, ReadV5Tag(c, dims.next, true));
  if (name.type != MAT_T_INT8 || name.nbytes > 4096) {
    return V5Malformed(c, dims.next, "array name expected");
  }
  m.name.resize(name.nbytes);
  NF_RETURN_IF_ERROR(ReadV5Bytes(c, name, m.name.data()));
  m.name = m.name.substr(0, m.name.find('\0'));
  m.body = name.next;
  return m;
}

// V5StructField() is the tag of field `field` of a 1 x 1 struct.
absl::StatusOr<V5Tag> V5StructField(const V5Context& c, const V5Matrix& s,
                                    const std::string& field) {
  NF_ASSIGN_OR_RETURN(const V5Tag len_tag, ReadV5Tag(c, s.body, true));
  if (len_tag.type != MAT_T_INT32 || len_tag.nbytes != 4) {
    return V5Malformed(c, s.body, "field name length expected");
  }
  unsigned char lb[4];
  NF_RETURN_IF_ERROR(ReadV5Bytes(c, len_tag, lb));
  const uint32_t len = V5Word(c, lb);
  NF_ASSIGN_OR_RETURN(const V5Tag names_tag, ReadV5Tag(c, len_tag.next, true));
  if (len == 0 || len > 4096 || names_tag.type != MAT_T_INT8 || names_tag.nbytes % len != 0 ||
      names_tag.nbytes > (int64_t{1} << 20)) {
    return V5Malformed(c, len_tag.next, "field names expected");
  }
  std::string names(names_tag.nbytes, '\0');
  NF_RETURN_IF_ERROR(ReadV5Bytes(c, names_tag, names.data()));
  int64_t index = -1;
  for (int64_t i = 0; i * len < names_tag.nbytes; ++i) {
    std::string n = names.substr(i * len, len);
    if (n.substr(0, n.find('\0')) == field) {
      index = i;
      break;
    }
  }
  if (index < 0) return V5Malformed(c, s.body, absl::StrCat("no field ", field));
  int64_t pos = names_tag.next;
  for (int64_t i = 0;; ++i) {
    NF_ASSIGN_OR_RETURN(const V5Tag t, ReadV5Tag(c, pos, true));
    if (t.type != MAT_T_MATRIX) return V5Malformed(c, pos, "a struct field expected");
    if (i == index) return t;
    pos = t.next;
  }
}

// Where EEG.data's samples are in an uncompressed MAT v5 file, by its path
// of names ({"EEG", "data"}, {"data"}, ...).
struct V5Samples {
  int64_t offset = 0;
  Elem stored = Elem::kFloat64;
  std::vector<int64_t> dims;
  uint32_t klass = MAT_C_EMPTY;
};

absl::StatusOr<V5Samples> LocateV5Samples(const V5Context& c, const std::vector<std::string>& names,
                                          const std::string& what) {
  const auto not_found = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(c.path, ": the samples of ", what, " cannot be located in the file"));
  };
  int64_t pos = 128;
  while (pos <= c.size - 8) {
    NF_ASSIGN_OR_RETURN(const V5Tag tag, ReadV5Tag(c, pos, false));
    if (tag.type == MAT_T_COMPRESSED) {
      pos = tag.next;
      continue;
    }
    if (tag.type != MAT_T_MATRIX) return not_found();
    NF_ASSIGN_OR_RETURN(V5Matrix m, ReadV5Matrix(c, tag));
    if (m.name != names[0]) {
      pos = tag.next;
      continue;
    }
    for (size_t i = 1; i < names.size(); ++i) {
      int64_t numel = 1;
      for (int64_t d : m.dims) numel = SaturatingMul(numel, d);
      if (m.klass != MAT_C_STRUCT || numel != 1) return not_found();
      NF_ASSIGN_OR_RETURN(const V5Tag field, V5StructField(c, m, names[i]));
      NF_ASSIGN_OR_RETURN(m, ReadV5Matrix(c, field));
    }
    NF_ASSIGN_OR_RETURN(const V5Tag real, ReadV5Tag(c, m.body, true));
    const std::optional<Elem> stored = ElemOfStorage(real.type);
    if (!IsNumericClassNumber(m.klass) || m.complex || !stored || m.dims.size() < 2) {
      return not_found();
    }
    NF_ASSIGN_OR_RETURN(const int64_t count, CheckedProduct(m.dims.data(), m.dims.size(), what));
    NF_ASSIGN_OR_RETURN(const int64_t bytes, CheckedMul(count, ElemSize(*stored), what));
    if (real.nbytes != bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.path, ": ", what, " is ", absl::StrJoin(m.dims, " x "), " but holds ",
                       real.nbytes, " bytes of samples, not ", bytes));
    }
    const int64_t frame_bytes = m.dims[0] * ElemSize(*stored);
    if (frame_bytes > 0 && real.data + bytes > c.size) {
      const int64_t have = std::max<int64_t>(0, c.size - real.data) / frame_bytes;
      return absl::DataLossError(absl::StrCat(c.path, " is truncated: frame ", have, " of ", what,
                                              " (", m.dims[1],
                                              " frames) is missing: the file ends at byte ", c.size,
                                              ", the samples need ", real.data + bytes));
    }
    return V5Samples{real.data, *stored, m.dims, m.klass};
  }
  return not_found();
}

// --- Checking a MAT v5 file before matio reads it.
//
// matio allocates what element headers say before it reads: a name of
// 2 GB, a struct array of 2^30 elements (a pointer and a variable each),
// and a compressed variable can declare such things in a few bytes. So
// every variable is walked first (compressed ones inflated on the way, in
// small pieces) and refused unless each element fits in its parent, names
// and dims are small, and the whole file holds at most kMaxMatrices
// values: then matio's allocations are bounded by the file's content.
constexpr int64_t kMaxMatrices = int64_t{4} << 20;

// V5Stream: the bytes of one top-level element, read in order.
class V5Stream {
 public:
  virtual ~V5Stream() = default;
  // Read() reads exactly n bytes; Skip() passes n bytes.
  virtual absl::Status Read(void* out, int64_t n) = 0;
  virtual absl::Status Skip(int64_t n) = 0;
  int64_t pos() const { return pos_; }

 protected:
  int64_t pos_ = 0;
};

// The bytes of an uncompressed element, [begin, end) of the file.
class V5FileStream final : public V5Stream {
 public:
  V5FileStream(const V5Context& c, int64_t begin, int64_t end) : c_(c), begin_(begin), end_(end) {}
  absl::Status Read(void* out, int64_t n) override {
    NF_RETURN_IF_ERROR(Check(n));
    NF_RETURN_IF_ERROR(PreadFully(c_.fd, out, n, begin_ + pos_, c_.path));
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status Skip(int64_t n) override {
    NF_RETURN_IF_ERROR(Check(n));
    pos_ += n;
    return absl::OkStatus();
  }

 private:
  absl::Status Check(int64_t n) const {
    if (n < 0 || n > end_ - begin_ - pos_) {
      return absl::DataLossError(
          absl::StrCat(c_.path, " is truncated: byte ", begin_ + pos_ + std::max<int64_t>(n, 0),
                       " of a MAT element is past the end of the file (", c_.size, " bytes)"));
    }
    return absl::OkStatus();
  }
  const V5Context& c_;
  const int64_t begin_, end_;
};

// The inflated bytes of a compressed element (zlib), [begin, end) of the
// file; nothing is kept but zlib's window and one input buffer.
class V5InflateStream final : public V5Stream {
 public:
  V5InflateStream(const V5Context& c, int64_t begin, int64_t end)
      : c_(c), in_pos_(begin), in_end_(end) {
    ok_ = inflateInit(&z_) == Z_OK;
  }
  ~V5InflateStream() override {
    if (ok_) inflateEnd(&z_);
  }
  absl::Status Read(void* out, int64_t n) override {
    if (!ok_) return absl::ResourceExhaustedError(c_.path + ": zlib cannot start");
    auto* o = static_cast<unsigned char*>(out);
    while (n > 0) {
      const uInt piece = static_cast<uInt>(std::min<int64_t>(n, 1 << 20));
      z_.next_out = o;
      z_.avail_out = piece;
      while (z_.avail_out > 0) {
        if (z_.avail_in == 0) {
          const int64_t k = std::min<int64_t>(sizeof(in_), in_end_ - in_pos_);
          if (k <= 0 || in_pos_ + k > c_.size) return Corrupt("ends early");
          NF_RETURN_IF_ERROR(PreadFully(c_.fd, in_, k, in_pos_, c_.path));
          in_pos_ += k;
          z_.next_in = in_;
          z_.avail_in = static_cast<uInt>(k);
        }
        const int r = inflate(&z_, Z_NO_FLUSH);
        if (r == Z_STREAM_END && z_.avail_out > 0) return Corrupt("ends early");
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) return Corrupt("is not zlib data");
        if (r == Z_BUF_ERROR && z_.avail_in > 0) return Corrupt("is not zlib data");
      }
      o += piece;
      n -= piece;
      pos_ += piece;
    }
    return absl::OkStatus();
  }
  absl::Status Skip(int64_t n) override {
    unsigned char scratch[1 << 16];
    while (n > 0) {
      const int64_t k = std::min<int64_t>(n, sizeof(scratch));
      NF_RETURN_IF_ERROR(Read(scratch, k));
      n -= k;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Corrupt(const char* what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(c_.path, ": the compressed MAT variable ending at byte ", in_end_, " ", what));
  }
  const V5Context& c_;
  int64_t in_pos_;
  const int64_t in_end_;
  z_stream z_{};
  bool ok_ = false;
  unsigned char in_[1 << 16];
};

// ReadStreamTag() reads a sub-element tag and returns its type and byte
// count; the stream is then at its bytes, or past them for a small element
// (`small`: up to 4 bytes kept in the tag).
absl::StatusOr<std::pair<uint32_t, int64_t>> ReadStreamTag(const V5Context& c, V5Stream& in,
                                                           bool* small) {
  unsigned char b[8];
  NF_RETURN_IF_ERROR(in.Read(b, 8));
  const uint32_t w0 = V5Word(c, b);
  if ((w0 >> 16) != 0) {
    *small = true;
    if ((w0 >> 16) > 4) return absl::InvalidArgumentError(c.path + ": malformed MAT element tag");
    // A small element: its bytes are the tag's last four, already read.
    return std::make_pair(w0 & 0xFFFF, static_cast<int64_t>(w0 >> 16));
  }
  *small = false;
  return std::make_pair(w0, static_cast<int64_t>(V5Word(c, b + 4)));
}

absl::Status ValidateV5Matrix(const V5Context& c, V5Stream& in, int64_t nbytes, int depth,
                              int64_t* matrices);

// ValidateV5Children() checks `count` miMATRIX sub-elements in a row.
absl::Status ValidateV5Children(const V5Context& c, V5Stream& in, int64_t count, int64_t end,
                                int depth, int64_t* matrices) {
  for (int64_t i = 0; i < count; ++i) {
    bool small = false;
    NF_ASSIGN_OR_RETURN(const auto tag, ReadStreamTag(c, in, &small));
    if (small || tag.first != MAT_T_MATRIX || tag.second > end - in.pos()) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.path, ": malformed MAT struct or cell: element ", i, " of ", count,
                       " is not a value that fits in it"));
    }
    NF_RETURN_IF_ERROR(ValidateV5Matrix(c, in, tag.second, depth + 1, matrices));
  }
  return absl::OkStatus();
}

// ValidateV5Matrix() checks an miMATRIX element's bytes (the tag read).
absl::Status ValidateV5Matrix(const V5Context& c, V5Stream& in, int64_t nbytes, int depth,
                              int64_t* matrices) {
  const auto bad = [&c](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(c.path, ": malformed MAT value: ", why));
  };
  if (++*matrices > kMaxMatrices) {
    return bad(absl::StrCat("more than ", kMaxMatrices, " values in the file"));
  }
  if (depth > 16) return bad("values nest more than 16 deep");
  if (nbytes == 0) return absl::OkStatus();
  const int64_t end = in.pos() + nbytes;
  // Array flags: a tag and 8 bytes.
  unsigned char f[16];
  NF_RETURN_IF_ERROR(in.Read(f, 16));
  if (V5Word(c, f) != MAT_T_UINT32 || V5Word(c, f + 4) != 8) return bad("array flags expected");
  const uint32_t klass = V5Word(c, f + 8) & 0xFF;
  const bool complex = (V5Word(c, f + 8) & 0x800) != 0;
  if (klass < MAT_C_CELL || klass > MAT_C_OPAQUE) return bad(absl::StrCat("unknown class ", klass));
  // Dimensions.
  bool small = false;
  NF_ASSIGN_OR_RETURN(const auto dims_tag, ReadStreamTag(c, in, &small));
  if (dims_tag.first != MAT_T_INT32 || dims_tag.second % 4 != 0 || dims_tag.second > 32 * 4 ||
      (small && dims_tag.second != 4) || dims_tag.second == 0) {
    return bad("dimensions expected");
  }
  unsigned char d[32 * 4];
  int64_t numel = 1;
  if (small) {
    return bad("dimensions of one value");  // MATLAB writes at least two
  }
  NF_RETURN_IF_ERROR(in.Read(d, dims_tag.second));
  NF_RETURN_IF_ERROR(in.Skip((8 - dims_tag.second % 8) % 8));
  for (int64_t i = 0; i < dims_tag.second / 4; ++i) {
    const auto v = static_cast<int32_t>(V5Word(c, d + 4 * i));
    if (v < 0) return bad("a negative dimension");
    numel = SaturatingMul(numel, v);
  }
  // Name.
  NF_ASSIGN_OR_RETURN(const auto name_tag, ReadStreamTag(c, in, &small));
  if (name_tag.first != MAT_T_INT8 || name_tag.second > 4096) return bad("a name expected");
  if (!small) NF_RETURN_IF_ERROR(in.Skip((name_tag.second + 7) / 8 * 8));
  if (in.pos() > end) return bad("its header runs past its end");
  if (klass == MAT_C_STRUCT || klass == MAT_C_OBJECT) {
    if (klass == MAT_C_OBJECT) {  // the class name
      NF_ASSIGN_OR_RETURN(const auto cls_tag, ReadStreamTag(c, in, &small));
      if (cls_tag.first != MAT_T_INT8 || cls_tag.second > 4096) return bad("a class name expected");
      if (!small) NF_RETURN_IF_ERROR(in.Skip((cls_tag.second + 7) / 8 * 8));
    }
    unsigned char l[8];
    NF_RETURN_IF_ERROR(in.Read(l, 8));
    const uint32_t lw = V5Word(c, l);
    if ((lw & 0xFFFF) != MAT_T_INT32 || (lw >> 16) != 4) return bad("a field name length expected");
    const uint32_t len = V5Word(c, l + 4);
    NF_ASSIGN_OR_RETURN(const auto names_tag, ReadStreamTag(c, in, &small));
    if (names_tag.first != MAT_T_INT8 || len == 0 || len > 4096 || names_tag.second % len != 0 ||
        names_tag.second > (int64_t{1} << 20)) {
      return bad("field names expected");
    }
    if (!small) NF_RETURN_IF_ERROR(in.Skip((names_tag.second + 7) / 8 * 8));
    const int64_t nfields = names_tag.second / len;
    const int64_t children = SaturatingMul(numel, nfields);
    // Each value takes 8 bytes at least.
    if (children > (end - in.pos()) / 8) return bad("more struct values than its bytes hold");
    NF_RETURN_IF_ERROR(ValidateV5Children(c, in, children, end, depth, matrices));
  } else if (klass == MAT_C_CELL) {
    if (numel > (end - in.pos()) / 8) return bad("more cells than its bytes hold");
    NF_RETURN_IF_ERROR(ValidateV5Children(c, in, numel, end, depth, matrices));
  } else if (IsNumericClassNumber(klass)) {
    // The real (and imaginary) parts: numel values of a storage type, so
    // what matio allocates for a value is what the file holds.
    for (int part = 0; part < (complex ? 2 : 1); ++part) {
      NF_ASSIGN_OR_RETURN(const auto values, ReadStreamTag(c, in, &small));
      const std::optional<Elem> stored = ElemOfStorage(values.first);
      if (!stored || values.second != SaturatingMul(numel, ElemSize(*stored))) {
        return bad(absl::StrCat("an array of ", numel, " numbers holds ", values.second,
                                " bytes of type ", values.first));
      }
      if (!small) NF_RETURN_IF_ERROR(in.Skip((values.second + 7) / 8 * 8));
    }
  }
  if (in.pos() > end) return bad("its values run past its end");
  return in.Skip(end - in.pos());
}

// ValidateV5() walks every top-level element of a MAT v5 file (see above).
// A cut file is DataLoss, naming the first missing frame when the samples
// are what is cut.
absl::Status ValidateV5(const V5Context& c) {
  int64_t pos = 128;
  int64_t matrices = 0;
  for (int i = 0; i < kMaxVariables && pos <= c.size - 8; ++i) {
    NF_ASSIGN_OR_RETURN(const V5Tag tag, ReadV5Tag(c, pos, false));
    if (tag.type != MAT_T_MATRIX && tag.type != MAT_T_COMPRESSED) return absl::OkStatus();
    if (tag.next > c.size) {
      if (tag.type == MAT_T_MATRIX) {
        for (const std::vector<std::string>& names : std::vector<std::vector<std::string>>{
                 {"EEG", "EEG", "data"}, {"EEG", "data"}, {"data"}}) {
          absl::StatusOr<V5Samples> s = LocateV5Samples(c, names, absl::StrJoin(names, "."));
          if (s.status().code() == absl::StatusCode::kDataLoss &&
              absl::StrContains(s.status().message(), "frame")) {
            return s.status();
          }
        }
      }
      return absl::DataLossError(absl::StrCat(c.path, " is truncated: the MAT element at byte ",
                                              pos, " needs ", tag.next - pos,
                                              " bytes, the file ends ", c.size - pos, " bytes in"));
    }
    if (tag.type == MAT_T_MATRIX) {
      V5FileStream in(c, tag.data, tag.data + tag.nbytes);
      NF_RETURN_IF_ERROR(ValidateV5Matrix(c, in, tag.nbytes, 0, &matrices));
    } else {
      V5InflateStream in(c, tag.data, tag.data + tag.nbytes);
      bool small = false;
      NF_ASSIGN_OR_RETURN(const auto inner, ReadStreamTag(c, in, &small));
      if (small || inner.first != MAT_T_MATRIX) {
        return absl::InvalidArgumentError(absl::StrCat(
            c.path, ": the compressed MAT element at byte ", pos, " does not hold a value"));
      }
      NF_RETURN_IF_ERROR(ValidateV5Matrix(c, in, inner.second, 0, &matrices));
    }
    pos = tag.next;
  }
  return absl::OkStatus();
}

// ------------------------------------------------------- MAT v7.3 (HDF5)
//
// matio reads a v7.3 struct array by asking HDF5 for the name of every
// object its references point to, and HDF5 finds a name by searching the
// file: opening a set with 1000 events took 55 s (100 events: 0.4 s). So
// v7.3 files are read here with HDF5 directly: the fields MNE uses become
// the same matio variables the v5 path gets from matio (one metadata reader
// for both), and the samples are read with H5Dread hyperslabs.

using H5Closer = herr_t (*)(hid_t);

// H5Id owns an HDF5 identifier and closes it with its kind's function.
class H5Id {
 public:
  H5Id() = default;
  H5Id(hid_t id, H5Closer close) : id_(id), close_(close) {}
  H5Id(H5Id&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  H5Id& operator=(H5Id&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, -1);
      close_ = other.close_;
    }
    return *this;
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() { Reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void Reset() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  H5Closer close_ = nullptr;
};

// H5Quiet: while it lives, HDF5 prints no error stack on this thread (its
// errors become statuses here); the previous handler comes back after.
class H5Quiet {
 public:
  H5Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~H5Quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  H5Quiet(const H5Quiet&) = delete;
  H5Quiet& operator=(const H5Quiet&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// H5AttrText() is a fixed-length string attribute (MATLAB_class), or
// nullopt.
std::optional<std::string> H5AttrText(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return std::nullopt;
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_STRING ||
      H5Tis_variable_str(type.get()) != 0 || H5Sget_simple_extent_npoints(space.get()) != 1) {
    return std::nullopt;
  }
  const size_t n = H5Tget_size(type.get());
  if (n == 0 || n > 256) return std::nullopt;
  H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!mem.valid() || H5Tset_size(mem.get(), n + 1) < 0 ||
      H5Tset_strpad(mem.get(), H5T_STR_NULLTERM) < 0) {
    return std::nullopt;
  }
  std::string text(n + 1, '\0');
  if (H5Aread(attr.get(), mem.get(), text.data()) < 0) return std::nullopt;
  return text.substr(0, text.find('\0'));
}

// H5AttrInt() is a scalar integer attribute (MATLAB_empty), or nullopt.
std::optional<int64_t> H5AttrInt(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return std::nullopt;
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_INTEGER ||
      H5Sget_simple_extent_npoints(space.get()) != 1) {
    return std::nullopt;
  }
  long long v = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_LLONG, &v) < 0) return std::nullopt;
  return v;
}

struct MatlabClass {
  const char* name;
  matio_classes klass;
  matio_types type;
  hid_t (*mem_type)();  // HDF5's native type for reading it
};

hid_t NativeDouble() { return H5T_NATIVE_DOUBLE; }
hid_t NativeFloat() { return H5T_NATIVE_FLOAT; }
hid_t NativeInt8() { return H5T_NATIVE_INT8; }
hid_t NativeUInt8() { return H5T_NATIVE_UINT8; }
hid_t NativeInt16() { return H5T_NATIVE_INT16; }
hid_t NativeUInt16() { return H5T_NATIVE_UINT16; }
hid_t NativeInt32() { return H5T_NATIVE_INT32; }
hid_t NativeUInt32() { return H5T_NATIVE_UINT32; }
hid_t NativeInt64() { return H5T_NATIVE_INT64; }
hid_t NativeUInt64() { return H5T_NATIVE_UINT64; }

// NativeType() is HDF5's in-memory type of a sample type.
hid_t NativeType(Elem e) {
  switch (e) {
    case Elem::kInt8:
      return H5T_NATIVE_INT8;
    case Elem::kUInt8:
      return H5T_NATIVE_UINT8;
    case Elem::kInt16:
      return H5T_NATIVE_INT16;
    case Elem::kUInt16:
      return H5T_NATIVE_UINT16;
    case Elem::kInt32:
      return H5T_NATIVE_INT32;
    case Elem::kUInt32:
      return H5T_NATIVE_UINT32;
    case Elem::kInt64:
      return H5T_NATIVE_INT64;
    case Elem::kUInt64:
      return H5T_NATIVE_UINT64;
    case Elem::kFloat32:
      return H5T_NATIVE_FLOAT;
    case Elem::kFloat64:
      return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_DOUBLE;
}

// MATLAB_class values of numbers and chars, as matio classes. (logical is
// uint8 with a flag; char is read as UTF-16 units.)
const MatlabClass* FindMatlabClass(const std::string& name) {
  static const MatlabClass kClasses[] = {
      {"double", MAT_C_DOUBLE, MAT_T_DOUBLE, NativeDouble},
      {"single", MAT_C_SINGLE, MAT_T_SINGLE, NativeFloat},
      {"int8", MAT_C_INT8, MAT_T_INT8, NativeInt8},
      {"uint8", MAT_C_UINT8, MAT_T_UINT8, NativeUInt8},
      {"logical", MAT_C_UINT8, MAT_T_UINT8, NativeUInt8},
      {"int16", MAT_C_INT16, MAT_T_INT16, NativeInt16},
      {"uint16", MAT_C_UINT16, MAT_T_UINT16, NativeUInt16},
      {"int32", MAT_C_INT32, MAT_T_INT32, NativeInt32},
      {"uint32", MAT_C_UINT32, MAT_T_UINT32, NativeUInt32},
      {"int64", MAT_C_INT64, MAT_T_INT64, NativeInt64},
      {"uint64", MAT_C_UINT64, MAT_T_UINT64, NativeUInt64},
      {"char", MAT_C_CHAR, MAT_T_UINT16, NativeUInt16},
  };
  for (const MatlabClass& c : kClasses) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

// NewVar() is a matio variable made here (freed by Mat_VarFree: name, dims
// and data are malloc'ed).
VarPtr NewVar(const std::string& name, matio_classes klass, matio_types type,
              const std::vector<size_t>& dims) {
  VarPtr v(Mat_VarCalloc());
  if (v == nullptr) return v;
  v->name = static_cast<char*>(std::malloc(name.size() + 1));
  if (v->name != nullptr) std::memcpy(v->name, name.c_str(), name.size() + 1);
  v->class_type = klass;
  v->data_type = type;
  v->rank = static_cast<int>(dims.size());
  v->dims = static_cast<size_t*>(std::malloc(dims.size() * sizeof(size_t)));
  if (v->dims == nullptr || v->name == nullptr) return nullptr;
  std::copy(dims.begin(), dims.end(), v->dims);
  return v;
}

// Which fields of a struct the tree keeps, by what the struct is.
enum class Keep { kNone, kDataset, kChanlocs, kEvents, kSamples };

std::vector<std::string> KeptFields(Keep keep) {
  switch (keep) {
    case Keep::kDataset:
      return {"nbchan", "pnts", "trials", "srate", "data", "chanlocs", "event", "EEG"};
    case Keep::kChanlocs:
      return {"labels", "type"};
    case Keep::kEvents:
      return {"type", "latency", "duration"};
    default:
      return {};
  }
}

Keep KeepOfField(Keep parent, const std::string& field) {
  if (parent != Keep::kDataset) return Keep::kNone;
  if (field == "data") return Keep::kSamples;
  if (field == "chanlocs") return Keep::kChanlocs;
  if (field == "event") return Keep::kEvents;
  if (field == "EEG") return Keep::kDataset;
  return Keep::kNone;
}

// CheckH5Dataset() refuses a dataset whose element type exceeds 64 bytes
// or whose chunks exceed 64 MiB: HDF5 allocates a whole element (for type
// conversion) and a whole chunk to read any part of one, and a damaged
// header can declare any size. MATLAB writes numbers of 1-16 bytes, and
// chunks far under 64 MiB.
absl::Status CheckH5Dataset(hid_t ds, const std::string& what) {
  H5Id plist(H5Dget_create_plist(ds), H5Pclose);
  H5Id type(H5Dget_type(ds), H5Tclose);
  if (!plist.valid() || !type.valid()) return absl::InvalidArgumentError(what + " is unreadable");
  const size_t type_size = H5Tget_size(type.get());
  if (type_size == 0 || type_size > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has elements of ", type_size, " bytes, not numbers"));
  }
  if (H5Pget_layout(plist.get()) != H5D_CHUNKED) return absl::OkStatus();
  hsize_t chunk[32];
  const int rank = H5Pget_chunk(plist.get(), 32, chunk);
  if (rank < 1 || rank > 32) return absl::InvalidArgumentError(what + " has unreadable chunks");
  int64_t bytes = static_cast<int64_t>(H5Tget_size(type.get()));
  for (int i = 0; i < rank; ++i) {
    bytes = SaturatingMul(bytes, static_cast<int64_t>(std::min<hsize_t>(chunk[i], kMaxCount)));
  }
  if (bytes > (int64_t{64} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is stored in HDF5 chunks of ", bytes, " bytes, over 64 MiB"));
  }
  return absl::OkStatus();
}

// MATLAB dims of a dataset: HDF5's, reversed (column-major), at least 2.
absl::StatusOr<std::vector<size_t>> H5MatlabDims(hid_t ds, const std::string& what) {
  H5Id space(H5Dget_space(ds), H5Sclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0 || rank > 32) return absl::InvalidArgumentError(what + " has unreadable dims");
  std::vector<hsize_t> h(rank);
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), h.data(), nullptr) < 0) {
    return absl::InvalidArgumentError(what + " has unreadable dims");
  }
  std::vector<size_t> dims(h.rbegin(), h.rend());
  while (dims.size() < 2) dims.push_back(1);
  return dims;
}

absl::StatusOr<VarPtr> H5Var(hid_t obj, const std::string& name, Keep keep, const std::string& what,
                             int depth);

// H5Struct() is a MATLAB struct group: scalar (fields are the values) or
// an array (each field a dataset of references, one per element).
absl::StatusOr<VarPtr> H5Struct(hid_t group, const std::string& name, Keep keep,
                                const std::string& what, int depth) {
  std::vector<std::string> fields;
  for (const std::string& f : KeptFields(keep)) {
    if (H5Lexists(group, f.c_str(), H5P_DEFAULT) > 0) fields.push_back(f);
  }
  // The layout, from the first kept field: a dataset of references without
  // a MATLAB_class is a field of a struct array.
  std::vector<size_t> dims = {1, 1};
  bool array = false;
  if (!fields.empty()) {
    H5Id first(H5Oopen(group, fields[0].c_str(), H5P_DEFAULT), H5Oclose);
    if (first.valid() && H5Iget_type(first.get()) == H5I_DATASET &&
        !H5AttrText(first.get(), "MATLAB_class")) {
      H5Id type(H5Dget_type(first.get()), H5Tclose);
      if (type.valid() && H5Tget_class(type.get()) == H5T_REFERENCE) {
        NF_ASSIGN_OR_RETURN(dims, H5MatlabDims(first.get(), what));
        array = true;
      }
    }
  }
  int64_t n = 1;
  for (size_t d : dims) n = SaturatingMul(n, static_cast<int64_t>(std::min<size_t>(d, kMaxCount)));
  if (n > kMaxEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is a struct array of ", n, " elements, more than ", kMaxEvents));
  }
  std::vector<const char*> names;
  for (const std::string& f : fields) names.push_back(f.c_str());
  VarPtr s(Mat_VarCreateStruct(name.c_str(), static_cast<int>(dims.size()), dims.data(),
                               names.data(), static_cast<unsigned>(names.size())));
  if (s == nullptr) return absl::ResourceExhaustedError(what + ": cannot allocate the struct");
  for (const std::string& f : fields) {
    const std::string at = absl::StrCat(what, ".", f);
    H5Id field(H5Oopen(group, f.c_str(), H5P_DEFAULT), H5Oclose);
    if (!field.valid()) return absl::InvalidArgumentError(at + " cannot be opened");
    if (!array) {
      NF_ASSIGN_OR_RETURN(VarPtr v, H5Var(field.get(), f, KeepOfField(keep, f), at, depth + 1));
      Mat_VarSetStructFieldByName(s.get(), f.c_str(), 0, v.release());
      continue;
    }
    H5Id type(H5Iget_type(field.get()) == H5I_DATASET ? H5Dget_type(field.get()) : -1, H5Tclose);
    H5Id space(H5Iget_type(field.get()) == H5I_DATASET ? H5Dget_space(field.get()) : -1, H5Sclose);
    if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_REFERENCE ||
        H5Sget_simple_extent_npoints(space.get()) != n) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, " is not ", n, " references, as a field of a struct array is"));
    }
    NF_RETURN_IF_ERROR(CheckH5Dataset(field.get(), at));
    std::vector<hobj_ref_t> refs(n);
    if (H5Dread(field.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) < 0) {
      return absl::InvalidArgumentError(at + ": its references cannot be read");
    }
    for (int64_t i = 0; i < n; ++i) {
      const std::string at_i = absl::StrCat(what, "(", i + 1, ").", f);
      H5Id target(H5Rdereference2(field.get(), H5P_DEFAULT, H5R_OBJECT, &refs[i]), H5Oclose);
      if (!target.valid()) return absl::InvalidArgumentError(at_i + ": a dangling reference");
      NF_ASSIGN_OR_RETURN(VarPtr v, H5Var(target.get(), f, Keep::kNone, at_i, depth + 1));
      Mat_VarSetStructFieldByName(s.get(), f.c_str(), i, v.release());
    }
  }
  return s;
}

// H5Var() is a MATLAB value of a v7.3 file as a matio variable: numbers
// and chars read (up to kMaxValueBytes), structs with the fields `keep`
// names, the samples (Keep::kSamples) as class and dims only; other
// values (cells, objects, sparse) by class and dims, for messages.
absl::StatusOr<VarPtr> H5Var(hid_t obj, const std::string& name, Keep keep, const std::string& what,
                             int depth) {
  if (depth > 8) return absl::InvalidArgumentError(what + ": structs nest too deep");
  const std::optional<std::string> klass = H5AttrText(obj, "MATLAB_class");
  const auto placeholder = [&](matio_classes c,
                               std::vector<size_t> dims) -> absl::StatusOr<VarPtr> {
    VarPtr v = NewVar(name, c, MAT_T_UNKNOWN, dims);
    if (v == nullptr) return absl::ResourceExhaustedError(what + ": out of memory");
    return v;
  };
  if (H5Iget_type(obj) == H5I_GROUP) {
    if (klass == "struct" && H5AttrInt(obj, "MATLAB_sparse") == std::nullopt) {
      return H5Struct(obj, name, keep, what, depth);
    }
    return placeholder(H5AttrInt(obj, "MATLAB_sparse") ? MAT_C_SPARSE : MAT_C_OBJECT, {1, 1});
  }
  if (H5Iget_type(obj) != H5I_DATASET) return placeholder(MAT_C_EMPTY, {0, 0});
  NF_ASSIGN_OR_RETURN(std::vector<size_t> dims, H5MatlabDims(obj, what));
  if (H5AttrInt(obj, "MATLAB_empty").value_or(0) != 0) {
    // An empty value: the dataset holds its dims.
    H5Id space(H5Dget_space(obj), H5Sclose);
    const hssize_t rank = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (rank < 1 || rank > 32) return absl::InvalidArgumentError(what + " has unreadable dims");
    NF_RETURN_IF_ERROR(CheckH5Dataset(obj, what));
    std::vector<unsigned long long> d(rank);
    if (H5Dread(obj, H5T_NATIVE_ULLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.data()) < 0) {
      return absl::InvalidArgumentError(what + " has unreadable dims");
    }
    dims.assign(d.begin(), d.end());
    bool has_zero = false;
    for (size_t x : dims) has_zero |= x == 0;
    if (!has_zero) dims = {0, 0};
    if (klass == "struct") {
      VarPtr s(Mat_VarCreateStruct(name.c_str(), static_cast<int>(dims.size()), dims.data(),
                                   nullptr, 0));
      if (s == nullptr) return absl::ResourceExhaustedError(what + ": out of memory");
      return s;
    }
    const MatlabClass* c = klass ? FindMatlabClass(*klass) : nullptr;
    return placeholder(c != nullptr ? c->klass : klass == "cell" ? MAT_C_CELL : MAT_C_EMPTY, dims);
  }
  const MatlabClass* c = klass ? FindMatlabClass(*klass) : nullptr;
  if (c == nullptr) {
    return placeholder(klass == "cell"     ? MAT_C_CELL
                       : klass == "struct" ? MAT_C_STRUCT
                                           : MAT_C_EMPTY,
                       dims);
  }
  VarPtr v = NewVar(name, c->klass, c->type, dims);
  if (v == nullptr) return absl::ResourceExhaustedError(what + ": out of memory");
  v->isLogical = *klass == "logical" ? 1 : 0;
  H5Id type(H5Dget_type(obj), H5Tclose);
  v->isComplex = type.valid() && H5Tget_class(type.get()) == H5T_COMPOUND ? 1 : 0;
  v->data_size = static_cast<int>(H5Tget_size(c->mem_type()));
  int64_t numel = 1;
  for (size_t d : dims)
    numel = SaturatingMul(numel, static_cast<int64_t>(std::min<size_t>(d, kMaxCount)));
  const bool samples = keep == Keep::kSamples && c->klass != MAT_C_CHAR;
  if (samples || v->isComplex || numel == 0 || numel > kMaxValueBytes / 8) return v;
  NF_RETURN_IF_ERROR(CheckH5Dataset(obj, what));
  v->nbytes = static_cast<size_t>(numel) * v->data_size;
  v->data = std::malloc(v->nbytes);
  if (v->data == nullptr) return absl::ResourceExhaustedError(what + ": out of memory");
  if (H5Dread(obj, c->mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v->data) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (", Describe(v.get()), ") cannot be read: the file is damaged"));
  }
  return v;
}

// ------------------------------------------------------------- the source

class EeglabSource final : public TraceSource {
 public:
  EeglabSource(RecordingInfo info, int64_t frames, std::string path)
      : info_(std::move(info)),
        frames_(frames),
        channels_(static_cast<int64_t>(info_.channel_ids.size())),
        path_(std::move(path)) {}

  // Samples at `offset` of `fd`, frames contiguous (the .fdt, or an
  // uncompressed MAT v5 variable).
  void UsePread(ScopedFd fd, int64_t offset, Elem elem, bool swap) {
    mode_ = Mode::kPread;
    fd_ = std::move(fd);
    offset_ = offset;
    elem_ = elem;
    swap_ = swap;
  }
  // All samples, inflated at Open.
  void UseDecoded(std::unique_ptr<std::byte[]> samples, Elem elem) {
    mode_ = Mode::kDecoded;
    decoded_ = std::move(samples);
    elem_ = elem;
  }
  // H5Dread hyperslabs of the dataset `samples` (MAT v7.3).
  void UseHdf5(H5Id file, H5Id samples, int hdf5_rank, Elem elem) {
    MutexLock lock(&mu_);
    mode_ = Mode::kHdf5;
    elem_ = elem;
    h5_file_ = std::move(file);
    h5_samples_ = std::move(samples);
    h5_rank_ = hdf5_rank;
  }

  ~EeglabSource() override {
    MutexLock lock(&mu_);
    if (h5_file_.valid()) {
      H5Quiet quiet;  // closing a damaged file may fail: no error stack printed
      h5_samples_ = H5Id();
      h5_file_ = H5Id();
    }
  }

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return frames_; }
  SampleType sample_type() const override { return SampleType::kFloat64; }

  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    NF_RETURN_IF_ERROR(CheckFrameRange(start, end, frames_));
    Traces t = Traces::Uninitialized(SampleType::kFloat64, end - start, channels_);
    if (end == start) return t;
    switch (mode_) {
      case Mode::kPread:
        NF_RETURN_IF_ERROR(ReadPread(start, end, t.data<double>()));
        break;
      case Mode::kDecoded:
        ToVolts(elem_, decoded_.get() + start * channels_ * ElemSize(elem_),
                (end - start) * channels_, false, t.data<double>());
        break;
      case Mode::kHdf5:
        NF_RETURN_IF_ERROR(ReadHdf5(start, end, t.data<double>()));
        break;
    }
    return t;
  }

 private:
  enum class Mode { kPread, kDecoded, kHdf5 };

  absl::Status ReadPread(int64_t start, int64_t end, double* out) const {
    const int64_t frame_bytes = channels_ * ElemSize(elem_);
    if (elem_ == Elem::kFloat64 && !swap_) {  // straight into the result
      const int64_t n = (end - start) * channels_;
      NF_RETURN_IF_ERROR(ReadFrames(start, end, out));
      for (int64_t i = 0; i < n; ++i) out[i] *= kCal;
      return absl::OkStatus();
    }
    const int64_t chunk = std::max<int64_t>(1, kReadChunkBytes / frame_bytes);
    auto buf =
        std::make_unique_for_overwrite<std::byte[]>(std::min(chunk, end - start) * frame_bytes);
    for (int64_t f = start; f < end; f += chunk) {
      const int64_t k = std::min(chunk, end - f);
      NF_RETURN_IF_ERROR(ReadFrames(f, f + k, buf.get()));
      ToVolts(elem_, buf.get(), k * channels_, swap_, out + (f - start) * channels_);
    }
    return absl::OkStatus();
  }

  // ReadFrames() preads frames [a, b); a file cut after Open is DataLoss
  // naming the first missing frame.
  absl::Status ReadFrames(int64_t a, int64_t b, void* out) const {
    const int64_t frame_bytes = channels_ * ElemSize(elem_);
    absl::Status s =
        PreadFully(fd_.get(), out, (b - a) * frame_bytes, offset_ + a * frame_bytes, path_);
    if (s.code() != absl::StatusCode::kDataLoss) return s;
    struct stat st;
    const int64_t size = ::fstat(fd_.get(), &st) == 0 ? st.st_size : 0;
    const int64_t have = std::max<int64_t>(0, size - offset_) / frame_bytes;
    return absl::DataLossError(absl::StrCat(path_, ": frame ", std::max(a, have),
                                            " is missing: the file now ends at byte ", size));
  }

  // Frames [start, end), all channels, straight into `out` as float64
  // (HDF5 converts exactly), then scaled as MNE scales.
  absl::Status ReadHdf5(int64_t start, int64_t end, double* out) const {
    // Read in the stored class (HDF5's own float -> double conversion runs
    // 3-10x slower than ours), a bounded piece at a time.
    const int64_t frame_bytes = channels_ * ElemSize(elem_);
    const int64_t chunk = std::max<int64_t>(1, kReadChunkBytes / frame_bytes);
    auto buf =
        std::make_unique_for_overwrite<std::byte[]>(std::min(chunk, end - start) * frame_bytes);
    H5Quiet quiet;
    MutexLock lock(&mu_);
    // HDF5 dims: (..., frames, channels), leading dims of size 1.
    std::vector<hsize_t> first(h5_rank_, 0), count(h5_rank_, 1);
    count[h5_rank_ - 1] = static_cast<hsize_t>(channels_);
    H5Id file_space(H5Dget_space(h5_samples_.get()), H5Sclose);
    for (int64_t f = start; f < end; f += chunk) {
      const int64_t k = std::min(chunk, end - f);
      first[h5_rank_ - 2] = static_cast<hsize_t>(f);
      count[h5_rank_ - 2] = static_cast<hsize_t>(k);
      // A memory space of the selection's own shape: HDF5 then copies whole
      // rows (a flat one made it gather element by element, 3-4x slower).
      H5Id mem_space(H5Screate_simple(h5_rank_, count.data(), nullptr), H5Sclose);
      if (!file_space.valid() || !mem_space.valid() ||
          H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, first.data(), nullptr, count.data(),
                              nullptr) < 0 ||
          H5Dread(h5_samples_.get(), NativeType(elem_), mem_space.get(), file_space.get(),
                  H5P_DEFAULT, buf.get()) < 0) {
        return absl::DataLossError(absl::StrCat(path_, ": reading frames [", f, ", ", f + k,
                                                ") failed: the file is damaged or truncated"));
      }
      ToVolts(elem_, buf.get(), k * channels_, false, out + (f - start) * channels_);
    }
    return absl::OkStatus();
  }

  const RecordingInfo info_;
  const int64_t frames_;
  const int64_t channels_;
  const std::string path_;  // the file holding the samples
  Mode mode_ = Mode::kPread;
  Elem elem_ = Elem::kFloat32;
  bool swap_ = false;
  ScopedFd fd_;
  int64_t offset_ = 0;
  std::unique_ptr<std::byte[]> decoded_;
  // MAT v7.3: the file and its samples dataset (closed first). HDF5 keeps
  // state per file (and its thread-safe build one global lock): reads
  // take turns.
  mutable Mutex mu_;
  H5Id h5_file_ ABSL_GUARDED_BY(mu_);
  H5Id h5_samples_ ABSL_GUARDED_BY(mu_);
  int h5_rank_ = 2;
};

// ------------------------------------------------------------- the fields

// The variables of a .set that MNE looks at, by name (the first of each).
struct TopLevel {
  std::map<std::string, VarPtr> vars;
  bool has_alleeg = false;
  int count = 0;  // variables matio read
};

TopLevel ReadTopLevel(mat_t* mat) {
  static const char* const kWanted[] = {"EEG",   "nbchan",   "pnts",  "trials",
                                        "srate", "chanlocs", "event", "data"};
  TopLevel top;
  for (int i = 0; i < kMaxVariables; ++i) {
    VarPtr v(Mat_VarReadNextInfo(mat));
    if (v == nullptr) break;
    ++top.count;
    if (v->name == nullptr) continue;
    const std::string name = v->name;
    if (name == "ALLEEG") top.has_alleeg = true;
    for (const char* w : kWanted) {
      if (name == w && top.vars.count(name) == 0) top.vars[name] = std::move(v);
    }
  }
  return top;
}

// ReadTopLevel73() is ReadTopLevel() for a MAT v7.3 file.
absl::StatusOr<TopLevel> ReadTopLevel73(hid_t file, const std::string& path) {
  TopLevel top;
  top.has_alleeg = H5Lexists(file, "ALLEEG", H5P_DEFAULT) > 0;
  for (const char* name :
       {"EEG", "nbchan", "pnts", "trials", "srate", "chanlocs", "event", "data"}) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) continue;
    H5Id obj(H5Oopen(file, name, H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) continue;
    ++top.count;
    const Keep keep =
        std::string(name) == "EEG" ? Keep::kDataset : KeepOfField(Keep::kDataset, name);
    NF_ASSIGN_OR_RETURN(top.vars[name],
                        H5Var(obj.get(), name, keep, absl::StrCat(path, ": ", name), 0));
  }
  return top;
}

// Fields: the dataset's fields, in the EEG struct (or EEG.EEG) or at top
// level, with the names errors give them ("EEG.nbchan" or "nbchan").
class Fields {
 public:
  Fields(matvar_t* root, const TopLevel* top, std::string prefix)
      : root_(root), top_(top), prefix_(std::move(prefix)) {}
  matvar_t* Get(const std::string& name) const {
    if (root_ != nullptr) return StructField(root_, name.c_str(), 0);
    auto it = top_->vars.find(name);
    return it == top_->vars.end() ? nullptr : it->second.get();
  }
  std::string What(const std::string& name) const { return prefix_ + name; }
  // The path of names of a field in the file ({"EEG", "data"}).
  std::vector<std::string> Path(const std::string& name) const {
    std::vector<std::string> p = absl::StrSplit(prefix_ + name, '.');
    return p;
  }

 private:
  matvar_t* root_;
  const TopLevel* top_;
  std::string prefix_;
};

absl::StatusOr<double> RequiredNumber(mat_t* mat, const Fields& fields, const std::string& name,
                                      const std::string& path) {
  matvar_t* v = fields.Get(name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", fields.What(name), " is missing (not an EEGLAB dataset?)"));
  }
  NF_ASSIGN_OR_RETURN(const matvar_t* n, LoadedNumber(mat, v, path, fields.What(name)));
  return ElementAsDouble(n, 0);
}

absl::StatusOr<int64_t> WholeNumber(double v, int64_t lo, int64_t hi, const std::string& path,
                                    const std::string& what) {
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::trunc(v)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, "=", PythonFloatText(v),
                                                   " is not a whole number in [", lo, ", ", hi,
                                                   "]"));
  }
  return static_cast<int64_t>(v);
}

// MNE's channel types (mne.io.pick._PICK_TYPES_KEYS in MNE 1.3), which a
// chanlocs type names when stripped and lower-cased; "meg" and "fnirs" are
// keys too, but create_info() refuses them.
bool IsMneChannelType(const std::string& t) {
  static const char* const kTypes[] = {"eeg",         "csd",    "stim",   "eog",  "ecg",  "emg",
                                       "misc",        "resp",   "chpi",   "exci", "ias",  "syst",
                                       "seeg",        "dipole", "gof",    "bio",  "ecog", "dbs",
                                       "temperature", "gsr",    "ref_meg"};
  for (const char* k : kTypes) {
    if (t == k) return true;
  }
  return false;
}

// UniqueNamesLikeMne() renames duplicate channel names as MNE's
// _unique_channel_names() does: each duplicate (every occurrence) becomes
// "<name>-<i>" (i-th occurrence), or "<name>-a".."-z" if that is taken.
absl::StatusOr<std::vector<std::string>> UniqueNamesLikeMne(std::vector<std::string> names,
                                                            const std::string& path) {
  std::map<std::string, int> count;
  std::vector<std::string> dup_stems;
  for (const std::string& n : names) {
    if (++count[n] == 2) dup_stems.push_back(n);
  }
  const auto taken = [&names](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (const std::string& stem : dup_stems) {
    std::vector<size_t> overlaps;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == stem) overlaps.push_back(i);
    }
    for (size_t idx = 0; idx < overlaps.size(); ++idx) {
      std::string name = absl::StrCat(stem, "-", idx);
      for (char s = 'a'; taken(name) && s <= 'z'; ++s)
        name = absl::StrCat(stem, "-", std::string(1, s));
      if (taken(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": channel name ", stem, " repeats and every renaming MNE tries is taken"));
      }
      names[overlaps[idx]] = name;
    }
  }
  return names;
}

// -------------------------------------------------------------- events

// One EEG.event entry in MNE's terms (seconds; duration NaN when empty).
struct MneEvent {
  double onset = 0;
  double duration = 0;
  std::string description;
  int64_t index = 0;  // 0-based position in EEG.event
};

// TimedeltaMicros() is timedelta(seconds=s) in microseconds, as CPython
// computes it (datetime.c: delta_new, accum): the whole seconds exactly,
// the fraction * 1e6 split into whole and leftover microseconds, the
// leftover rounded half to even on the total.
int64_t TimedeltaMicros(double s) {
  double whole_s;
  const double frac = std::modf(s, &whole_s);
  int64_t us = static_cast<int64_t>(whole_s) * 1000000;
  if (frac == 0) return us;
  double whole_us;
  const double leftover = std::modf(1e6 * frac, &whole_us);
  us += static_cast<int64_t>(whole_us);
  if (leftover != 0) {
    double r = std::round(leftover);
    if (std::fabs(r - leftover) == 0.5) {
      const int odd = static_cast<int>(us & 1);
      r = 2.0 * std::round((leftover + odd) * 0.5) - odd;
    }
    us += static_cast<int64_t>(r);
  }
  return us;
}

// MneAnnotations() turns EEG.event into what raw.annotations holds after
// read_raw_eeglab(): refusing what MNE refuses (a latency rounding below
// sample -1, "{COLON}" in a description, a kept negative duration), sorted
// by (onset, duration, position), cropped to [0, last sample + 1/sfreq]
// through timedeltas (mne.Annotations.crop), then in frames as numpy's
// round(seconds * sfreq).
absl::StatusOr<std::vector<RecordingEvent>> MneAnnotations(std::vector<MneEvent> events,
                                                           double sfreq, int64_t n_times,
                                                           const std::string& path,
                                                           const std::string& what) {
  for (const MneEvent& e : events) {
    if (std::nearbyint(e.onset * sfreq) < -1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", what, "(", e.index + 1, ").latency puts the event at sample ",
                       std::nearbyint(e.onset * sfreq), ", before the recording (MNE refuses it)"));
    }
    if (e.description.find("{COLON}") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, "(", e.index + 1,
                                                     ").type contains \"{COLON}\", which MNE's "
                                                     "annotations do not support"));
    }
  }
  // Python's sorted() on (onset, duration, index); an empty (NaN) duration
  // compares as neither smaller nor larger, like 0 against its neighbours.
  std::stable_sort(events.begin(), events.end(), [](const MneEvent& a, const MneEvent& b) {
    if (a.onset != b.onset) return a.onset < b.onset;
    const double da = std::isnan(a.duration) ? 0 : a.duration;
    const double db = std::isnan(b.duration) ? 0 : b.duration;
    if (da != db && !std::isnan(a.duration) && !std::isnan(b.duration)) return da < db;
    return a.index < b.index;
  });
  // tmax = times[-1] + 1 / sfreq, as _handle_meas_date() turns it into
  // whole seconds and rounded microseconds.
  const double tmax = static_cast<double>(n_times - 1) / sfreq + 1.0 / sfreq;
  double tmax_s;
  const double tmax_frac = std::modf(tmax, &tmax_s);
  const int64_t tmax_us = static_cast<int64_t>(tmax_s) * 1000000 +
                          static_cast<int64_t>(std::nearbyint(tmax_frac * 1e6));
  std::vector<RecordingEvent> out;
  for (const MneEvent& e : events) {
    const double duration = std::isnan(e.duration) ? 0.0 : e.duration;
    const int64_t onset_us = TimedeltaMicros(e.onset);
    int64_t offset_us = onset_us + TimedeltaMicros(duration);
    if (onset_us > tmax_us || offset_us < 0) continue;  // outside the data
    const bool clip_left = onset_us < 0;
    const bool clip_right = offset_us > tmax_us;
    const int64_t kept_onset_us = clip_left ? 0 : onset_us;
    if (clip_right) offset_us = tmax_us;
    const double kept_duration =
        (clip_left || clip_right) ? static_cast<double>(offset_us - kept_onset_us) / 1e6 : duration;
    if (kept_duration < 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, "(", e.index + 1,
                                                     ").duration is negative (MNE refuses it)"));
    }
    const double onset = static_cast<double>(kept_onset_us) / 1e6;
    RecordingEvent r;
    r.onset_frame = static_cast<int64_t>(std::nearbyint(onset * sfreq));
    r.duration_frames = static_cast<int64_t>(std::nearbyint(kept_duration * sfreq));
    r.description = e.description;
    out.push_back(std::move(r));
  }
  return out;
}

// ReadEvents() reads EEG.event as MNE's _read_annotations_eeglab() does.
absl::StatusOr<std::vector<MneEvent>> ReadEvents(mat_t* mat, matvar_t* ev, double srate,
                                                 const std::string& path, const std::string& what) {
  std::vector<MneEvent> events;
  if (ev == nullptr) return events;
  NF_ASSIGN_OR_RETURN(const int64_t n, Numel(ev, absl::StrCat(path, ": ", what)));
  if (n == 0) return events;
  if (ev->class_type != MAT_C_STRUCT) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " is ", Describe(ev), ", not a struct array of events"));
  }
  if (n > kMaxEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " has ", n, " events, more than ", kMaxEvents));
  }
  // MNE looks for a duration field in the events (an empty one is NaN).
  bool has_duration = false;
  char* const* field_names = Mat_VarGetStructFieldnames(ev);
  for (unsigned i = 0; field_names != nullptr && i < Mat_VarGetNumberOfFields(ev); ++i) {
    if (field_names[i] != nullptr && std::strcmp(field_names[i], "duration") == 0) {
      has_duration = true;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const std::string at = absl::StrCat(what, "(", i + 1, ")");
    MneEvent e;
    e.index = i;
    matvar_t* type = StructField(ev, "type", i);
    matvar_t* latency = StructField(ev, "latency", i);
    if (type == nullptr || latency == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", at, ".", type == nullptr ? "type" : "latency", " is missing"));
    }
    NF_ASSIGN_OR_RETURN(e.description, MneDescription(mat, type, path, at + ".type"));
    NF_ASSIGN_OR_RETURN(const int64_t nl, Numel(latency, path));
    if (nl == 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", at, ".latency is empty"));
    }
    NF_ASSIGN_OR_RETURN(const matvar_t* lat, LoadedNumber(mat, latency, path, at + ".latency"));
    // A Python int or float (see MneDescription()), minus 1, over srate.
    e.onset = (ElementAsDouble(lat, 0) - 1.0) / srate;
    // timedelta and datetime overflow long before 1e10 s (317 years).
    if (!(std::fabs(e.onset) < 1e10)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", at, ".latency=", PythonFloatText(ElementAsDouble(lat, 0)),
                       " is not a sample of the recording"));
    }
    e.duration = 0;
    if (has_duration) {
      matvar_t* dur = StructField(ev, "duration", i);
      int64_t nd = 0;
      if (dur != nullptr) {
        NF_ASSIGN_OR_RETURN(nd, Numel(dur, path));
      }
      if (nd == 0) {
        e.duration = std::nan("");  // MNE: an empty duration is NaN (then 0)
      } else {
        NF_ASSIGN_OR_RETURN(const matvar_t* d, LoadedNumber(mat, dur, path, at + ".duration"));
        e.duration = ElementAsDouble(d, 0) / srate;
        if (!(std::fabs(e.duration) < 1e10)) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": ", at, ".duration=", PythonFloatText(ElementAsDouble(d, 0)),
                           " is not a duration"));
        }
      }
    }
    events.push_back(std::move(e));
  }
  return events;
}

// ---------------------------------------------------------------- files

struct MatHeader {
  bool v73 = false;
  bool swap = false;
};

absl::StatusOr<MatHeader> ReadMatHeader(const OpenedFile& f, const std::string& path) {
  const auto not_mat = [&path](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a MAT v5 or v7.3 file (", why,
                     "); EEGLAB saves .set files as MAT v5 or v7.3 (MAT v4 is not supported)"));
  };
  if (f.size < 128) return not_mat(absl::StrCat("only ", f.size, " bytes"));
  unsigned char h[128];
  NF_RETURN_IF_ERROR(PreadFully(f.fd.get(), h, 128, 0, path));
  MatHeader m;
  if (h[126] == 'I' && h[127] == 'M') {
    m.swap = false;
  } else if (h[126] == 'M' && h[127] == 'I') {
    m.swap = true;
  } else {
    return not_mat("no endian indicator at byte 126");
  }
  const int version = m.swap ? (h[124] << 8 | h[125]) : (h[125] << 8 | h[124]);
  if (version == 0x0200) {
    m.v73 = true;
  } else if (version != 0x0100) {
    return not_mat(absl::StrFormat("header version 0x%04x", version));
  }
  return m;
}

// CheckHdf5Signature() looks for the HDF5 superblock where HDF5 looks (at
// 0, 512, 1024, 2048... bytes; MATLAB's userblock puts it at 512), so that
// a file that is not HDF5 is refused without HDF5 printing its error stack.
absl::Status CheckHdf5Signature(const OpenedFile& f, const std::string& path) {
  static constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (int64_t at = 0; at <= f.size - 8; at = at == 0 ? 512 : at * 2) {
    unsigned char b[8];
    NF_RETURN_IF_ERROR(PreadFully(f.fd.get(), b, 8, at, path));
    if (std::memcmp(b, kSignature, 8) == 0) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": the MAT v7.3 header is not followed by HDF5 (damaged or truncated)"));
}

struct FoundFile {
  std::string path;  // as resolved
  OpenedFile file;
};

// TryOpen() opens a companion file through options.resolve; nullopt when
// it does not exist (MNE's os.path.exists()).
absl::StatusOr<std::optional<FoundFile>> TryOpen(const std::string& p,
                                                 const ReaderOptions& options) {
  std::string resolved = p;
  if (options.resolve) {
    absl::StatusOr<std::string> r = options.resolve(p);
    if (r.status().code() == absl::StatusCode::kNotFound) return std::nullopt;
    NF_RETURN_IF_ERROR(r.status());
    resolved = *std::move(r);
  }
  absl::StatusOr<OpenedFile> f = OpenRegularFile(resolved);
  if (f.status().code() == absl::StatusCode::kNotFound) return std::nullopt;
  NF_RETURN_IF_ERROR(f.status());
  return FoundFile{resolved, *std::move(f)};
}

// FindFdt() finds the .fdt that EEG.data names by MNE's rules
// (_check_eeglab_fname): a .dat is the old format, anything but .fdt is
// refused; <set dir>/<name> if it exists, else <set path minus .set>.fdt.
absl::StatusOr<FoundFile> FindFdt(const std::string& set_path, const std::string& name,
                                  const std::string& what, const ReaderOptions& options) {
  const std::string ext = PySplitext(name).second;
  if (ext == ".dat") {
    return absl::InvalidArgumentError(absl::StrCat(
        set_path, ": ", what, " names '", name,
        "', an old EEGLAB .dat data file, which is not supported (resave the set in EEGLAB)"));
  }
  if (ext != ".fdt") {
    return absl::InvalidArgumentError(
        absl::StrCat(set_path, ": ", what, " names '", name, "'; expected a .fdt data file"));
  }
  const std::string named = PyJoin(PyDirname(set_path), name);
  NF_ASSIGN_OR_RETURN(std::optional<FoundFile> f, TryOpen(named, options));
  if (f) return *std::move(f);
  const std::string beside = PySplitext(set_path).first + ".fdt";
  if (beside != named) {
    NF_ASSIGN_OR_RETURN(f, TryOpen(beside, options));
    if (f) return *std::move(f);
    return absl::NotFoundError(absl::StrCat(set_path, ": ", what, " names '", name,
                                            "', but neither ", named, " nor ", beside, " exists"));
  }
  return absl::NotFoundError(
      absl::StrCat(set_path, ": ", what, " names '", name, "', but ", named, " does not exist"));
}

}  // namespace

absl::StatusOr<OpenedRecording> OpenEeglab(const std::string& path, const ReaderOptions& options) {
  NF_ASSIGN_OR_RETURN(OpenedFile set_file, OpenRegularFile(path));
  NF_ASSIGN_OR_RETURN(const MatHeader header, ReadMatHeader(set_file, path));
  const V5Context v5{set_file.fd.get(), set_file.size, header.swap, path};
  // Both libraries open by name: the name of the descriptor already checked
  // to be a regular file, so what they read is what was checked.
  const std::string fd_path = FdPath(set_file.fd.get());
  // Declared first, so that it outlives the HDF5 identifiers below.
  std::optional<H5Quiet> quiet;
  MatPtr mat;    // MAT v5: matio
  H5Id h5_file;  // MAT v7.3: HDF5
  TopLevel top;
  if (header.v73) {
    NF_RETURN_IF_ERROR(CheckHdf5Signature(set_file, path));
    quiet.emplace();
    H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    // Read-only: no lock file semantics to trip over (NFS, read-only mounts).
    if (fapl.valid()) {
      H5Pset_file_locking(fapl.get(), false, true);
      // Closing the file closes whatever HDF5 still holds of it, so that a
      // damaged file is not kept open to the end of the process.
      H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
    }
    h5_file =
        H5Id(H5Fopen(fd_path.c_str(), H5F_ACC_RDONLY, fapl.valid() ? fapl.get() : H5P_DEFAULT),
             H5Fclose);
    if (!h5_file.valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the MAT v7.3 file is not readable HDF5 (damaged or truncated)"));
    }
    NF_ASSIGN_OR_RETURN(top, ReadTopLevel73(h5_file.get(), path));
  } else {
    NF_RETURN_IF_ERROR(ValidateV5(v5));
    mat = MatPtr(Mat_Open(fd_path.c_str(), MAT_ACC_RDONLY));
    if (mat == nullptr || Mat_GetVersion(mat.get()) != MAT_FT_MAT5) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": matio cannot read the MAT v5 file"));
    }
    top = ReadTopLevel(mat.get());
  }
  if (top.count == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no variable of an EEGLAB dataset (EEG, nbchan, ...) can be read from the MAT ",
        header.v73 ? "v7.3" : "v5", " file (damaged or empty)"));
  }
  if (top.has_alleeg) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " holds ALLEEG (several datasets); one EEG dataset is read, as by MNE"));
  }

  // The fields: in EEG (or EEG.EEG, which MNE prefers), or top-level.
  matvar_t* root = nullptr;
  std::string prefix;
  auto eeg = top.vars.find("EEG");
  if (eeg != top.vars.end()) {
    root = eeg->second.get();
    prefix = "EEG.";
    for (int depth = 0; depth < 2; ++depth) {
      NF_ASSIGN_OR_RETURN(const int64_t n, Numel(root, path));
      if (root->class_type != MAT_C_STRUCT || n != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", prefix.substr(0, prefix.size() - 1), " is ", Describe(root),
                         ", not one EEGLAB dataset (a 1 x 1 struct)"));
      }
      matvar_t* nested = depth == 0 ? StructField(root, "EEG", 0) : nullptr;
      if (nested == nullptr) break;
      root = nested;
      prefix = "EEG.EEG.";
    }
  }
  const Fields fields(root, &top, prefix);
  // The variable that holds the samples at top level: its compression
  // decides how they are read.
  matvar_t* top_var = eeg != top.vars.end() ? eeg->second.get() : fields.Get("data");

  NF_ASSIGN_OR_RETURN(const double nbchan_v, RequiredNumber(mat.get(), fields, "nbchan", path));
  NF_ASSIGN_OR_RETURN(const double pnts_v, RequiredNumber(mat.get(), fields, "pnts", path));
  NF_ASSIGN_OR_RETURN(const double trials_v, RequiredNumber(mat.get(), fields, "trials", path));
  NF_ASSIGN_OR_RETURN(const double srate, RequiredNumber(mat.get(), fields, "srate", path));
  NF_ASSIGN_OR_RETURN(const int64_t trials,
                      WholeNumber(trials_v, 1, kMaxCount, path, fields.What("trials")));
  if (trials != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the set is epoched (", fields.What("trials"), "=", trials,
        " trials); only continuous sets (trials = 1) are read, as by MNE's read_raw_eeglab"));
  }
  NF_ASSIGN_OR_RETURN(const int64_t nbchan,
                      WholeNumber(nbchan_v, 1, kMaxChannels, path, fields.What("nbchan")));
  // matio's hyperslab reads take int frame indices.
  NF_ASSIGN_OR_RETURN(const int64_t pnts,
                      WholeNumber(pnts_v, 1, INT_MAX, path, fields.What("pnts")));
  if (!(srate > 0 && srate <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", fields.What("srate"), "=",
                                                   PythonFloatText(srate),
                                                   " is not a sampling rate in (0, 1e9] Hz"));
  }
  // Python's timedelta, which MNE's event cropping goes through, holds
  // less; 1e10 s is 317 years.
  if (!(static_cast<double>(pnts) / srate <= 1e10)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", fields.What("srate"), "=", PythonFloatText(srate), " makes the ", pnts,
        " frames last ", PythonFloatText(static_cast<double>(pnts) / srate), " s, over 1e10 s"));
  }

  // Channels: chanlocs(i).labels and .type, or MNE's default names.
  RecordingInfo info;
  info.sampling_rate_hz = srate;
  info.unit = "V";
  matvar_t* locs = fields.Get("chanlocs");
  int64_t nlocs = 0;
  if (locs != nullptr) {
    NF_ASSIGN_OR_RETURN(nlocs, Numel(locs, path));
    if (nlocs > 0 && locs->class_type != MAT_C_STRUCT) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", fields.What("chanlocs"), " is ",
                                                     Describe(locs), ", not a struct array"));
    }
    if (nlocs > 0 && nlocs != nbchan) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", fields.What("chanlocs"), " has ",
                                                     nlocs, " entries for ", fields.What("nbchan"),
                                                     "=", nbchan, " channels"));
    }
  }
  if (nlocs == 0) {
    for (int64_t i = 0; i < nbchan; ++i) {
      info.channel_ids.push_back(absl::StrFormat("EEG %03d", i));
      info.channel_types.push_back("eeg");
    }
  } else {
    std::vector<std::string> names;
    for (int64_t i = 0; i < nlocs; ++i) {
      const std::string at = absl::StrCat(fields.What("chanlocs"), "(", i + 1, ")");
      matvar_t* label = StructField(locs, "labels", i);
      if (label == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", at, ".labels is missing"));
      }
      NF_ASSIGN_OR_RETURN(std::optional<std::string> name,
                          ReadText(mat.get(), label, path, at + ".labels"));
      if (!name) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", at, ".labels is ", Describe(label), ", not a channel name"));
      }
      names.push_back(*std::move(name));
      std::string type = "eeg";
      if (matvar_t* t = StructField(locs, "type", i); t != nullptr) {
        NF_ASSIGN_OR_RETURN(std::optional<std::string> text,
                            ReadText(mat.get(), t, path, at + ".type"));
        const std::string lower =
            text ? absl::AsciiStrToLower(absl::StripAsciiWhitespace(*text)) : "";
        if (lower == "meg" || lower == "fnirs") {
          return absl::InvalidArgumentError(absl::StrCat(path, ": ", at, ".type='", *text,
                                                         "' is a channel type MNE cannot read"));
        }
        if (IsMneChannelType(lower)) type = lower;
      }
      info.channel_types.push_back(type);
    }
    NF_ASSIGN_OR_RETURN(info.channel_ids, UniqueNamesLikeMne(std::move(names), path));
    info.channel_ids_from_file = true;
  }
  info.gain_to_uv.assign(nbchan, 1e6);
  info.offset_to_uv.assign(nbchan, 0.0);

  // Events.
  NF_ASSIGN_OR_RETURN(
      std::vector<MneEvent> raw_events,
      ReadEvents(mat.get(), fields.Get("event"), srate, path, fields.What("event")));
  OpenedRecording rec;
  rec.format = RecordingFormat::kEeglab;
  NF_ASSIGN_OR_RETURN(
      rec.events, MneAnnotations(std::move(raw_events), srate, pnts, path, fields.What("event")));

  // The samples.
  matvar_t* data = fields.Get("data");
  const std::string data_what = fields.What("data");
  if (data == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", data_what, " is missing"));
  }
  if (data->class_type == MAT_C_CHAR) {
    NF_ASSIGN_OR_RETURN(std::optional<std::string> name,
                        ReadText(mat.get(), data, path, data_what));
    if (!name) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", data_what, " is ", Describe(data), ", not a .fdt file name"));
    }
    NF_ASSIGN_OR_RETURN(FoundFile fdt, FindFdt(path, *name, data_what, options));
    NF_ASSIGN_OR_RETURN(const int64_t bytes,
                        CheckedProduct({pnts, nbchan, 4}, absl::StrCat(path, ": ", data_what)));
    if (fdt.file.size < bytes) {
      return absl::DataLossError(absl::StrCat(
          fdt.path, " is truncated: frame ", fdt.file.size / (nbchan * 4), " is missing (",
          fields.What("pnts"), "=", pnts, " frames of ", nbchan, " float32 channels need ", bytes,
          " bytes, the file has ", fdt.file.size, ")"));
    }
    auto src = std::make_shared<EeglabSource>(std::move(info), pnts, fdt.path);
    src->UsePread(std::move(fdt.file.fd), 0, Elem::kFloat32, false);
    rec.source = std::move(src);
    rec.data_path = fdt.path;
    rec.more_data_paths = {path};
    return rec;
  }
  const std::optional<Elem> elem = ElemOfClass(data->class_type);
  if (!elem || data->isComplex) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", data_what, " is ", Describe(data),
        "; expected real samples (nbchan x pnts, single or double) or a .fdt file name"));
  }
  bool shape_ok = DimsValid(data) && data->rank >= 2 &&
                  data->dims[0] == static_cast<size_t>(nbchan) &&
                  data->dims[1] == static_cast<size_t>(pnts);
  for (int i = 2; shape_ok && i < data->rank; ++i) shape_ok = data->dims[i] == 1;
  if (!shape_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", data_what, " is ", DimsText(data), ", not ", fields.What("nbchan"),
                     " x ", fields.What("pnts"), " = ", nbchan, " x ", pnts));
  }
  auto src = std::make_shared<EeglabSource>(std::move(info), pnts, path);
  rec.data_path = path;
  if (header.v73) {
    const std::string in_file = absl::StrCat("/", absl::StrJoin(fields.Path("data"), "/"));
    H5Id samples(H5Dopen2(h5_file.get(), in_file.c_str(), H5P_DEFAULT), H5Dclose);
    H5Id space(samples.valid() ? H5Dget_space(samples.get()) : -1, H5Sclose);
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the samples of ", data_what, " (", in_file, ") cannot be read"));
    }
    NF_RETURN_IF_ERROR(CheckH5Dataset(samples.get(), absl::StrCat(path, ": ", data_what)));
    src->UseHdf5(std::move(h5_file), std::move(samples), rank, *elem);
    rec.source = std::move(src);
    return rec;
  }
  if (top_var != nullptr && top_var->compression == MAT_COMPRESSION_NONE) {
    NF_ASSIGN_OR_RETURN(const V5Samples s, LocateV5Samples(v5, fields.Path("data"), data_what));
    if (s.dims.size() < 2 || s.dims[0] != nbchan || s.dims[1] != pnts ||
        s.klass != static_cast<uint32_t>(data->class_type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": the samples found for ", data_what, " (", absl::StrJoin(s.dims, " x "),
          ") are not the ", DimsText(data), " matio reads"));
    }
    src->UsePread(std::move(set_file.fd), s.offset, s.stored, header.swap);
    rec.source = std::move(src);
    return rec;
  }
  NF_ASSIGN_OR_RETURN(const int64_t bytes, CheckedProduct({pnts, nbchan, ElemSize(*elem)},
                                                          absl::StrCat(path, ": ", data_what)));
  if (bytes > kMaxEeglabDecodedBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the compressed samples of ", data_what, " take ", bytes,
                     " bytes, more than the ", kMaxEeglabDecodedBytes,
                     " held in memory (save the set with its data in a .fdt, or as MAT v7.3)"));
  }
  {
    // Compressed MAT v5: inflate once (see the header comment). matio's
    // hyperslab read inflates from the start at every call, and for a
    // field of a nested struct (EEG.EEG.data) it writes the whole variable
    // whatever range is asked: only whole reads are safe.
    auto samples = std::make_unique_for_overwrite<std::byte[]>(bytes);
    std::vector<int> first(data->rank, 0), stride(data->rank, 1), edge(data->rank, 1);
    edge[0] = static_cast<int>(nbchan);
    edge[1] = static_cast<int>(pnts);
    if (Mat_VarReadData(mat.get(), data, samples.get(), first.data(), stride.data(), edge.data()) !=
        0) {
      return absl::DataLossError(absl::StrCat(path, ": the compressed samples of ", data_what,
                                              " cannot be inflated (damaged or truncated)"));
    }
    src->UseDecoded(std::move(samples), *elem);
    rec.source = std::move(src);
    return rec;
  }
}

}  // namespace neurofeat
