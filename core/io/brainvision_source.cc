#include "core/io/brainvision_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/charconv.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat {
namespace {

static_assert(std::endian::native == std::endian::little,
              "BrainVision samples are little-endian and are read in place");

// A header holds a few lines per channel plus free text; 64 MiB is far
// more than 65,536 channels need. A marker file of 64 MiB holds over a
// million markers.
constexpr int64_t kMaxHeaderBytes = int64_t{64} << 20;
constexpr int64_t kMaxMarkerBytes = int64_t{64} << 20;
// Default read blocks: ~1 MiB of file at a time, so the buffer is still
// in cache while it is converted. A VECTORIZED block holds every channel's
// samples for its frames, at least 1024 frames, so each per-channel pread
// is at least a few KiB.
constexpr int64_t kReadBlockBytes = int64_t{1} << 20;
constexpr int64_t kMinVectorizedBlockFrames = 1024;
// Marker positions and sizes are clamped here: any value beyond it is past
// every recording's end, and sums of two stay far from int64 overflow.
constexpr int64_t kMarkerClamp = int64_t{1} << 61;

// Errors keep their code and gain context ("x.vhdr: [Common Infos]
// DataFile=...: file not found: ...").
absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

// Snippet() is header text quoted in an error: at most ~100 bytes (cut at
// a UTF-8 boundary), so a crafted 60 MB line does not become the message.
std::string Snippet(absl::string_view s) {
  constexpr size_t kMax = 100;
  if (s.size() <= kMax) return std::string(s);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(s.substr(0, cut), "...");
}

// ---------------------------------------------------------------------------
// Text as Python sees it. MNE works on Python str: strip(), splitlines(),
// re's \s and int()/float() follow Unicode rules, and these do the same on
// UTF-8 (the decoded header is always valid UTF-8).

// DecodeUtf8At() reads one code point at *i, strictly (as Python's codec:
// no overlong forms, surrogates or values above U+10FFFF).
bool DecodeUtf8At(absl::string_view s, size_t* i, uint32_t* cp) {
  const unsigned char c0 = static_cast<unsigned char>(s[*i]);
  if (c0 < 0x80) {
    *cp = c0;
    ++*i;
    return true;
  }
  size_t len = 0;
  uint32_t min = 0;
  if ((c0 & 0xE0) == 0xC0) {
    len = 2, *cp = c0 & 0x1F, min = 0x80;
  } else if ((c0 & 0xF0) == 0xE0) {
    len = 3, *cp = c0 & 0x0F, min = 0x800;
  } else if ((c0 & 0xF8) == 0xF0) {
    len = 4, *cp = c0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - *i < len) return false;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (c & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return false;
  *i += len;
  return true;
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  uint32_t cp = 0;
  while (i < s.size()) {
    if (!DecodeUtf8At(s, &i, &cp)) return false;
  }
  return true;
}

// IsPySpace() is Python's str.isspace() for one code point (also what re's
// \s matches in a str pattern).
bool IsPySpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// CodePointAt() decodes the code point at s[i] and sets *next past it; a
// byte that does not start valid UTF-8 counts as itself.
uint32_t CodePointAt(absl::string_view s, size_t i, size_t* next) {
  uint32_t cp = 0;
  *next = i;
  if (!DecodeUtf8At(s, next, &cp)) {
    cp = static_cast<unsigned char>(s[i]);
    *next = i + 1;
  }
  return cp;
}

// CodePointBefore() decodes the code point that ends at s[end - 1] and sets
// *begin to its first byte.
uint32_t CodePointBefore(absl::string_view s, size_t end, size_t* begin) {
  size_t b = end - 1;
  while (b > 0 && end - b < 4 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  size_t next = 0;
  const uint32_t cp = CodePointAt(s, b, &next);
  if (next == end) {
    *begin = b;
    return cp;
  }
  *begin = end - 1;
  return static_cast<unsigned char>(s[end - 1]);
}

// SkipSpace() is the index of the first non-whitespace code point at or
// after i (s.size() when there is none).
size_t SkipSpace(absl::string_view s, size_t i) {
  while (i < s.size()) {
    size_t next = 0;
    if (!IsPySpace(CodePointAt(s, i, &next))) break;
    i = next;
  }
  return i;
}

// PyRstrip() is Python's str.rstrip().
absl::string_view PyRstrip(absl::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t begin = 0;
    if (!IsPySpace(CodePointBefore(s, end, &begin))) break;
    end = begin;
  }
  return s.substr(0, end);
}

// PyStrip() is Python's str.strip().
absl::string_view PyStrip(absl::string_view s) {
  const size_t begin = SkipSpace(s, 0);
  return PyRstrip(s.substr(begin));
}

// PySplitLines() is Python's str.splitlines() (no line ends kept; no empty
// last line after a final line end).
std::vector<absl::string_view> PySplitLines(absl::string_view s) {
  std::vector<absl::string_view> lines;
  size_t line_begin = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t next = 0;
    const uint32_t cp = CodePointAt(s, i, &next);
    const bool is_break = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C ||
                          cp == 0x1D || cp == 0x1E || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (is_break) {
      lines.push_back(s.substr(line_begin, i - line_begin));
      if (cp == '\r' && next < s.size() && s[next] == '\n') ++next;
      line_begin = next;
    }
    i = next;
  }
  if (line_begin < s.size()) lines.push_back(s.substr(line_begin));
  return lines;
}

// PySplitSpace() is re.split(r'\s+', s) for min_run 1 and
// re.split(r'\s\s+', s) for min_run 2: the parts between maximal runs of at
// least `min_run` whitespace code points, empty parts at the ends included.
std::vector<absl::string_view> PySplitSpace(absl::string_view s, size_t min_run) {
  std::vector<absl::string_view> parts;
  size_t part_begin = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t next = 0;
    if (!IsPySpace(CodePointAt(s, i, &next))) {
      i = next;
      continue;
    }
    size_t run = 0;
    size_t run_end = i;
    while (run_end < s.size()) {
      size_t after = 0;
      if (!IsPySpace(CodePointAt(s, run_end, &after))) break;
      run_end = after;
      ++run;
    }
    if (run >= min_run) {
      parts.push_back(s.substr(part_begin, i - part_begin));
      part_begin = run_end;
    }
    i = run_end;
  }
  parts.push_back(s.substr(part_begin));
  return parts;
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// AsciiLower() lower-cases ASCII letters (configparser's optionxform is
// str.lower(); the keys that matter are ASCII).
char AsciiLowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string AsciiLower(absl::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLowerChar(c);
  return out;
}

// DigitPart() checks Python's digitpart (digits, single '_' between
// digits) at s[*i] and appends the digits to `out`.
bool DigitPart(absl::string_view s, size_t* i, std::string* out) {
  if (*i >= s.size() || !IsAsciiDigit(s[*i])) return false;
  while (*i < s.size()) {
    if (IsAsciiDigit(s[*i])) {
      out->push_back(s[(*i)++]);
    } else if (s[*i] == '_' && *i + 1 < s.size() && IsAsciiDigit(s[*i + 1])) {
      ++*i;
    } else {
      break;
    }
  }
  return true;
}

// PyInt() is Python's int(s) for ASCII digits: surrounding whitespace, a
// sign, '_' between digits. Values beyond +-kMarkerClamp are clamped (no
// caller accepts them).
std::optional<int64_t> PyInt(absl::string_view text) {
  absl::string_view s = PyStrip(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t i = 0;
  std::string digits;
  if (!DigitPart(s, &i, &digits) || i != s.size()) return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    value =
        value >= kMarkerClamp / 10 ? kMarkerClamp : std::min(kMarkerClamp, value * 10 + (c - '0'));
  }
  return negative ? -value : value;
}

// PyFloat() is Python's float(s): surrounding whitespace, a sign, decimal
// digits with '_' between them, an exponent, "inf", "infinity", "nan".
// Overflow gives +-inf as in Python.
std::optional<double> PyFloat(absl::string_view text) {
  absl::string_view s = PyStrip(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::string lower = AsciiLower(s);
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  std::string clean;
  size_t i = 0;
  const bool int_part = DigitPart(s, &i, &clean);
  bool frac_part = false;
  if (i < s.size() && s[i] == '.') {
    clean.push_back('.');
    ++i;
    frac_part = DigitPart(s, &i, &clean);
  }
  if (!int_part && !frac_part) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean.push_back('e');
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
    if (!DigitPart(s, &i, &clean)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double value = 0;
  const absl::from_chars_result r =
      absl::from_chars(clean.data(), clean.data() + clean.size(), value);
  if (r.ptr != clean.data() + clean.size()) return std::nullopt;
  if (r.ec == std::errc::result_out_of_range && std::fabs(value) >= 1) {
    value = std::numeric_limits<double>::infinity();
  }
  return negative ? -value : value;
}

// ---------------------------------------------------------------------------
// Codepages. MNE looks for "Codepage=..." in the text with its non-ASCII
// bytes dropped (case-sensitive: its re flags cancel out), decodes with
// that codec (UTF-8 when none; "ANSI" is cp1252), and decodes as Latin-1
// when that fails.

enum class Codepage { kUtf8, kLatin1, kCp1252 };

// Python's cp1252 for 0x80..0x9F; 0 where the codec has no character.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

absl::StatusOr<Codepage> FindCodepage(absl::string_view bytes, const std::string& path) {
  // re.search('Codepage=(.+)', text-without-non-ASCII-bytes): the value
  // runs to the line end and needs at least one character.
  constexpr absl::string_view kKey = "Codepage=";
  size_t matched = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (static_cast<unsigned char>(c) >= 0x80) continue;
    if (matched < kKey.size()) {
      matched = c == kKey[matched] ? matched + 1 : (c == kKey[0] ? 1 : 0);
      continue;
    }
    // The key matched just before s[i]: read the value.
    std::string raw;
    size_t j = i;
    for (; j < bytes.size() && bytes[j] != '\n'; ++j) {
      if (static_cast<unsigned char>(bytes[j]) < 0x80) raw.push_back(bytes[j]);
    }
    if (raw.empty()) {  // "Codepage=" at a line end: search on
      matched = c == kKey[0] ? 1 : 0;
      continue;
    }
    const std::string value(PyStrip(raw));
    if (value == "ANSI") return Codepage::kCp1252;
    // Python's codec lookup: case and '-', '_', ' ' do not matter.
    std::string norm = AsciiLower(value);
    std::replace(norm.begin(), norm.end(), '-', '_');
    std::replace(norm.begin(), norm.end(), ' ', '_');
    static const std::set<std::string> kUtf8 = {"utf_8", "utf8", "u8", "utf", "cp65001"};
    static const std::set<std::string> kLatin1 = {"latin_1", "latin1",     "latin",
                                                  "l1",      "iso_8859_1", "iso8859_1",
                                                  "8859",    "cp819",      "iso_ir_100"};
    static const std::set<std::string> kCp1252 = {"cp1252", "windows_1252", "1252"};
    if (kUtf8.count(norm)) return Codepage::kUtf8;
    if (kLatin1.count(norm)) return Codepage::kLatin1;
    if (kCp1252.count(norm)) return Codepage::kCp1252;
    return absl::InvalidArgumentError(absl::StrCat(path, ": Codepage=", Snippet(value),
                                                   " is not supported (UTF-8, Latin-1 or ANSI)"));
  }
  return Codepage::kUtf8;
}

std::string Latin1ToUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) AppendUtf8(static_cast<unsigned char>(c), &out);
  return out;
}

// DecodeText() is MNE's decoding of a header or marker file's text.
absl::StatusOr<std::string> DecodeText(absl::string_view bytes, const std::string& path) {
  NF_ASSIGN_OR_RETURN(const Codepage codepage, FindCodepage(bytes, path));
  switch (codepage) {
    case Codepage::kUtf8:
      if (IsValidUtf8(bytes)) return std::string(bytes);
      break;
    case Codepage::kLatin1:
      break;
    case Codepage::kCp1252: {
      std::string out;
      out.reserve(bytes.size());
      bool ok = true;
      for (char c : bytes) {
        const unsigned char b = static_cast<unsigned char>(c);
        const uint32_t cp = (b >= 0x80 && b < 0xA0) ? kCp1252High[b - 0x80] : b;
        if (cp == 0) {
          ok = false;
          break;
        }
        AppendUtf8(cp, &out);
      }
      if (ok) return out;
      break;
    }
  }
  return Latin1ToUtf8(bytes);
}

// ---------------------------------------------------------------------------
// The header's INI part, as Python's configparser.ConfigParser() reads it
// (MNE's defaults): sections "[name]" (case-sensitive), "key=value" or
// "key: value" (keys lower-cased), full-line comments starting with '#' or
// ';', indented continuation lines, duplicate sections or keys refused
// (strict), a [DEFAULT] section whose keys every section sees.

class Ini {
 public:
  struct Section {
    std::string name;
    // Lower-cased key, value; multi-line values joined with '\n'.
    std::vector<std::pair<std::string, std::string>> options;
  };

  static absl::StatusOr<Ini> Parse(absl::string_view text, int first_line, const std::string& path);

  bool HasSection(absl::string_view name) const { return FindSection(name) != nullptr; }

  // Get() is configparser's get(section, key): the section's value, else
  // [DEFAULT]'s, with '%%' read as '%' (BasicInterpolation; other '%'
  // forms are refused). nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view section, absl::string_view key,
                                                 absl::string_view display_key) const;

  // Items() is configparser's items(section): [DEFAULT]'s keys, then the
  // section's (a section key replaces a default one in place).
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Items(
      absl::string_view section) const;

 private:
  const Section* FindSection(absl::string_view name) const {
    for (const Section& s : sections_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  absl::StatusOr<std::string> Interpolate(absl::string_view section, absl::string_view key,
                                          const std::string& value) const;

  std::string path_;
  std::vector<Section> sections_;
  Section defaults_;
};

absl::StatusOr<Ini> Ini::Parse(absl::string_view text, int first_line, const std::string& path) {
  Ini ini;
  ini.path_ = path;
  ini.defaults_.name = "DEFAULT";
  // Values are kept as lists of lines until the end, as configparser does.
  struct PendingOption {
    int section;  // -1: [DEFAULT], else index into sections_
    size_t index;
  };
  std::vector<std::vector<std::string>> values;  // per (section, option) in order of creation
  std::vector<PendingOption> pending;
  std::set<std::string> sections_added;
  std::set<std::pair<std::string, std::string>> options_added;
  // Sections are stored in a list that may grow: refer to them by index.
  int current = -2;  // -2: none yet, -1: DEFAULT, else index into sections_
  std::string current_name;
  int option_value = -1;  // index into `values` of the option being continued
  size_t indent_level = 0;
  auto section_ptr = [&](int index) -> Section* {
    return index == -1 ? &ini.defaults_ : &ini.sections_[static_cast<size_t>(index)];
  };
  auto where = [&](int line_no) { return absl::StrCat(path, ": line ", line_no); };
  int line_no = first_line - 1;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const absl::string_view line =
        text.substr(pos, nl == absl::string_view::npos ? absl::string_view::npos : nl + 1 - pos);
    pos = nl == absl::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    const absl::string_view stripped = PyStrip(line);
    const bool comment = absl::StartsWith(stripped, "#") || absl::StartsWith(stripped, ";");
    const absl::string_view value = comment ? absl::string_view() : stripped;
    if (value.empty()) {
      // An empty line belongs to the value being read (configparser's
      // empty_lines_in_values); trailing ones are dropped at the end.
      if (!comment && current != -2 && option_value >= 0) {
        values[static_cast<size_t>(option_value)].emplace_back();
      }
      continue;
    }
    const size_t indent = SkipSpace(line, 0);
    if (current != -2 && option_value >= 0 && indent > indent_level) {
      values[static_cast<size_t>(option_value)].emplace_back(value);
      continue;
    }
    indent_level = indent;
    // "[name]": the name runs to the last ']' (configparser's SECTCRE).
    const size_t close = value.rfind(']');
    if (value[0] == '[' && close != absl::string_view::npos && close >= 2) {
      std::string name(value.substr(1, close - 1));
      option_value = -1;
      if (name == "DEFAULT") {
        current = -1;
      } else {
        if (!sections_added.insert(name).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(line_no), ": section [", name, "] appears twice"));
        }
        ini.sections_.push_back(Section{name, {}});
        current = static_cast<int>(ini.sections_.size()) - 1;
      }
      current_name = std::move(name);
      continue;
    }
    if (current == -2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line_no), ": '", Snippet(value), "' comes before any [section]"));
    }
    const size_t delim = value.find_first_of("=:");
    if (delim == absl::string_view::npos || delim == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where(line_no), ": '", Snippet(value),
                                                     "' is neither a [section] nor key=value"));
    }
    std::string key = AsciiLower(PyRstrip(value.substr(0, delim)));
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line_no), ": '", Snippet(value), "' has no key"));
    }
    if (!options_added.insert({current_name, key}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(line_no), ": [", current_name, "] ", key, " is given twice"));
    }
    Section* section = section_ptr(current);
    const size_t index = section->options.size();
    section->options.emplace_back(key, "");
    values.push_back({std::string(PyStrip(value.substr(delim + 1)))});
    pending.push_back({current, index});
    option_value = static_cast<int>(values.size()) - 1;
  }
  // configparser joins a value's lines at the end, dropping trailing blanks.
  for (size_t k = 0; k < pending.size(); ++k) {
    std::string joined = absl::StrJoin(values[k], "\n");
    joined.resize(PyRstrip(joined).size());
    section_ptr(pending[k].section)->options[pending[k].index].second = std::move(joined);
  }
  return ini;
}

absl::StatusOr<std::string> Ini::Interpolate(absl::string_view section, absl::string_view key,
                                             const std::string& value) const {
  if (value.find('%') == std::string::npos) return value;
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
    } else if (i + 1 < value.size() && value[i + 1] == '%') {
      out.push_back('%');
      ++i;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": [", section, "] ", Snippet(key), "=", Snippet(value),
                       ": '%' must be written '%%' (configparser interpolation is not supported)"));
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> Ini::Get(absl::string_view section,
                                                    absl::string_view key,
                                                    absl::string_view display_key) const {
  const std::string lower = AsciiLower(key);
  const Section* s = FindSection(section);
  for (const Section* where : {s, &defaults_}) {
    if (where == nullptr) continue;
    for (const auto& [k, v] : where->options) {
      if (k == lower) {
        NF_ASSIGN_OR_RETURN(std::string value, Interpolate(section, display_key, v));
        return std::optional<std::string>(std::move(value));
      }
    }
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Ini::Items(
    absl::string_view section) const {
  std::vector<std::pair<std::string, std::string>> items = defaults_.options;
  if (const Section* s = FindSection(section)) {
    // Keys are unique within a section (strict mode): only a [DEFAULT] key
    // can be replaced.
    std::unordered_map<std::string, size_t> default_at;
    for (size_t k = 0; k < items.size(); ++k) default_at.emplace(items[k].first, k);
    for (const auto& option : s->options) {
      auto it = default_at.find(option.first);
      if (it != default_at.end()) {
        items[it->second].second = option.second;
      } else {
        items.push_back(option);
      }
    }
  }
  for (auto& [k, v] : items) {
    NF_ASSIGN_OR_RETURN(v, Interpolate(section, k, v));
  }
  return items;
}

// ---------------------------------------------------------------------------
// Header fields

enum class StoredType { kInt16, kInt32, kFloat32 };

int64_t StoredSize(StoredType t) { return t == StoredType::kInt16 ? 2 : 4; }

// The header's first line, as MNE's _check_bv_version() matches it:
// "Brain ?Vision( Core| V-Amp)? Data( Exchange)? Header File,? Version [12].0",
// anywhere in the line (non-ASCII bytes dropped).
bool IsHeaderVersionLine(absl::string_view line) {
  std::string ascii;
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x80) ascii.push_back(c);
  }
  for (const char* brain : {"Brain Vision", "BrainVision"}) {
    for (const char* product : {"", " Core", " V-Amp"}) {
      for (const char* exchange : {"", " Exchange"}) {
        for (const char* comma : {"", ","}) {
          for (const char* version : {"1", "2"}) {
            const std::string want = absl::StrCat(brain, product, " Data", exchange, " Header File",
                                                  comma, " Version ", version, ".0");
            if (ascii.find(want) != std::string::npos) return true;
          }
        }
      }
    }
  }
  return false;
}

// Unit -> factor to volts, MNE's _unit_dict; a unit it does not list is 1.
double UnitFactor(absl::string_view unit) {
  static const std::vector<std::pair<absl::string_view, double>> kUnits = {{"V", 1.0},
                                                                           {"\xC2\xB5V", 1e-6},
                                                                           {"uV", 1e-6},
                                                                           {"mV", 1e-3},
                                                                           {"nV", 1e-9},
                                                                           {"C", 1.0},
                                                                           {"\xC2\xB0"
                                                                            "C",
                                                                            1.0},
                                                                           {"n/a", 1.0},
                                                                           {"\xC2\xB5S", 1e-6},
                                                                           {"uS", 1e-6},
                                                                           {"ARU", 1.0},
                                                                           {"S", 1.0},
                                                                           {"N", 1.0}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return factor;
  }
  return 1.0;
}

bool IsVoltageUnit(absl::string_view unit) {
  return unit == "V" || unit == "mV" || unit == "\xC2\xB5V" || unit == "uV" || unit == "nV";
}

struct ChannelSpec {
  std::string key;  // "ch1", as the [Channel Infos] key (lower-cased)
  std::string name;
  double factor = 1.0;  // stored value -> volts
  bool voltage = true;
};

// BandSettings: MNE's info["highpass"] / info["lowpass"] where the header
// sets them.
struct Band {
  std::optional<double> highpass_hz;
  std::optional<double> lowpass_hz;
};

std::string ReplaceAll(absl::string_view s, absl::string_view from, absl::string_view to) {
  return absl::StrReplaceAll(s, {{from, to}});
}

// ParseChannels() reads [Channel Infos] as MNE's _get_hdr_info() does.
absl::StatusOr<std::vector<ChannelSpec>> ParseChannels(const Ini& ini, int64_t channels,
                                                       const std::string& path) {
  const std::string section = "Channel Infos";
  if (!ini.HasSection(section)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": [Channel Infos] is missing"));
  }
  NF_ASSIGN_OR_RETURN(const auto items, ini.Items(section));
  std::vector<std::optional<ChannelSpec>> specs(static_cast<size_t>(channels));
  for (const auto& [key, value] : items) {
    const std::string field =
        absl::StrCat(path, ": [Channel Infos] ", Snippet(key), "=", Snippet(value));
    // MNE takes the digits of the first "ch<digits>" in the (lower-cased)
    // key: re.findall(r'ch(\d+)', key)[0].
    size_t ch = key.find("ch");
    while (ch != std::string::npos && !(ch + 2 < key.size() && IsAsciiDigit(key[ch + 2]))) {
      ch = key.find("ch", ch + 1);
    }
    size_t digits_end = ch == std::string::npos ? 0 : ch + 2;
    while (digits_end < key.size() && IsAsciiDigit(key[digits_end])) ++digits_end;
    if (ch == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": the key is not Ch<number>"));
    }
    const std::optional<int64_t> number = PyInt(key.substr(ch + 2, digits_end - ch - 2));
    if (!number || *number < 1 || *number > channels) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": channel number is not in [1, ", channels, "] (NumberOfChannels)"));
    }
    std::optional<ChannelSpec>& spec = specs[static_cast<size_t>(*number - 1)];
    if (spec.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": channel ", *number, " is also given by ", spec->key));
    }
    std::vector<std::string> props = absl::StrSplit(value, ',');
    if (props.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": expected <name>,<reference>,<resolution>[,<unit>]"));
    }
    // The unit defaults to µV when left out or empty (the BrainVision spec;
    // PyCorder writes it empty).
    if (props.size() < 4) props.push_back("\xC2\xB5V");
    if (props[3].empty()) props[3] = "\xC2\xB5V";
    double resolution = 1.0;
    if (!props[2].empty()) {
      const std::optional<double> r = PyFloat(props[2]);
      if (!r) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": resolution '", Snippet(props[2]), "' is not a number"));
      }
      resolution = *r;
    }
    // Latin-1-decoded UTF-8 "µ" reads "Âµ": MNE drops the 'Â'.
    const std::string unit = ReplaceAll(props[3], "\xC3\x82", "");
    ChannelSpec c;
    c.key = key;
    c.name = ReplaceAll(props[0], "\\1", ",");
    // MNE's cals: range (unit factor x scale 1.0) x cal (resolution).
    c.factor = UnitFactor(unit) * resolution;
    c.voltage = IsVoltageUnit(unit);
    // MNE refuses a zero product ("Bad cals") and a NaN resolution
    // ("Missing channel units"); an infinite one would only give inf.
    if (!std::isfinite(c.factor) || c.factor == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": resolution ", Snippet(props[2]),
                                                     " x unit ", Snippet(unit),
                                                     " is not a finite non-zero scale"));
    }
    spec = std::move(c);
  }
  std::vector<ChannelSpec> out;
  out.reserve(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    if (!specs[k].has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": [Channel Infos] Ch", k + 1, " is missing (NumberOfChannels=", channels, ")"));
    }
    out.push_back(std::move(*specs[k]));
  }
  return out;
}

// ZeroRadiusChannels() are the names of channels whose [Coordinates] entry
// puts them at the origin (radius 0): MNE makes them "misc".
absl::StatusOr<std::set<std::string>> ZeroRadiusChannels(const Ini& ini,
                                                         const std::vector<ChannelSpec>& channels,
                                                         const std::string& path) {
  std::set<std::string> out;
  if (!ini.HasSection("Coordinates")) return out;
  NF_ASSIGN_OR_RETURN(const auto items, ini.Items("Coordinates"));
  std::unordered_map<std::string, const ChannelSpec*> by_key;
  for (const ChannelSpec& c : channels) by_key.emplace(c.key, &c);
  for (const auto& item : items) {
    const std::string& key = item.first;
    const std::string& value = item.second;
    const std::string field =
        absl::StrCat(path, ": [Coordinates] ", Snippet(key), "=", Snippet(value));
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": not a [Channel Infos] key"));
    }
    const std::vector<absl::string_view> parts = absl::StrSplit(value, ',');
    std::vector<double> numbers;
    for (absl::string_view p : parts) {
      const std::optional<double> d = PyFloat(p);
      if (!d) break;
      numbers.push_back(*d);
    }
    if (parts.size() != 3 || numbers.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": expected <radius>,<theta>,<phi> (three numbers)"));
    }
    if (numbers[0] == 0) out.insert(it->second->name);
  }
  return out;
}

// Contains() is `needle in haystack` in linear time (glibc's memmem is the
// two-way algorithm; a naive search is quadratic on crafted names).
bool Contains(absl::string_view haystack, absl::string_view needle) {
  if (needle.empty()) return true;
  return ::memmem(haystack.data(), haystack.size(), needle.data(), needle.size()) != nullptr;
}

// ParseBand() derives info["highpass"] / info["lowpass"] from the channel
// table in [Comment], line for line as MNE 1.3's _get_hdr_info(): the
// amplifier table after a "Channels" line (its "# Name ..." header gives
// the columns: Low Cutoff at 4, High Cutoff at 5, one more when a
// "Resolution / Unit" column holds two words, more for channel names with
// spaces), or the "S o f t w a r e  F i l t e r s" table when present
// (columns 1 and 2). "[s]" in a column header means time constants
// (f = 1 / (2 pi t)). One setting for all channels is taken as is ("DC":
// high-pass 0; "Off"/"NaN": no information); differing settings give the
// weakest filter (lowest high-pass, highest low-pass; an "Off" low-pass
// gives sfreq / 2). Where MNE fails (a missing column, a line too few, a
// value that is not a number, a zero time constant), this is
// InvalidArgument naming the line.
absl::StatusOr<Band> ParseBand(absl::string_view comment, const std::vector<std::string>& names,
                               double sfreq, const std::string& path) {
  Band band;
  std::vector<absl::string_view> s = PySplitLines(comment);
  const auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": [Comment] channel filter table: ", what));
  };
  // re.match(r'#\s+<word>', line)
  auto matches = [](absl::string_view line, absl::string_view word) {
    if (line.empty() || line[0] != '#') return false;
    const size_t after = SkipSpace(line, 1);
    return after > 1 && absl::StartsWith(line.substr(after), word);
  };
  // Python's None / int, with `if idx:` false for None and 0.
  std::optional<int64_t> idx;
  int64_t hp_col = -1, lp_col = -1;
  auto channels_at = std::find(s.begin(), s.end(), "Channels");
  if (channels_at != s.end()) {
    idx = channels_at - s.begin();
    s.erase(s.begin(), channels_at + 1);
    hp_col = 4;
    lp_col = 5;
    for (size_t k = 0; k < s.size(); ++k) {
      idx = static_cast<int64_t>(k);
      if (matches(s[k], "Name")) break;
      idx.reset();
    }
  }
  const std::optional<int64_t> idx_amp = idx;
  bool list_has_names = true;
  auto software_at = std::find(s.begin(), s.end(), "S o f t w a r e  F i l t e r s");
  if (software_at != s.end()) {
    idx = software_at - s.begin();
    for (size_t k = static_cast<size_t>(*idx) + 1; k < s.size(); ++k) {
      idx = static_cast<int64_t>(k);
      if (matches(s[k], "Low Cutoff")) {
        hp_col = 1;
        lp_col = 2;
        list_has_names = false;
        break;
      }
      idx = idx_amp;
    }
  }
  if (!idx.has_value() || *idx == 0) return band;
  const size_t head_at = static_cast<size_t>(*idx);
  if (head_at >= s.size()) return error("the table's header line is missing");
  if (hp_col < 0) return error("no column layout (no 'Channels' table)");
  const int64_t shift = absl::StrContains(s[head_at], "Resolution / Unit") ? 1 : 0;
  const std::vector<absl::string_view> header = PySplitSpace(s[head_at], 2);
  if (static_cast<size_t>(std::max(hp_col, lp_col)) >= header.size()) {
    return error(absl::StrCat("the header '", Snippet(s[head_at]), "' has no column ",
                              std::max(hp_col, lp_col)));
  }
  const bool hp_s = absl::StrContains(header[static_cast<size_t>(hp_col)], "[s]");
  const bool lp_s = absl::StrContains(header[static_cast<size_t>(lp_col)], "[s]");
  std::vector<std::string> highpass, lowpass;
  for (size_t i = 1; i <= names.size(); ++i) {
    const std::string& ch = names[i - 1];
    if (!idx_amp.has_value()) return error("the software filter table has no amplifier table");
    const size_t amp_at = static_cast<size_t>(*idx == *idx_amp ? *idx : *idx_amp) + i;
    const size_t row_at = head_at + i;
    if (amp_at >= s.size() || row_at >= s.size()) {
      return error(absl::StrCat("no row for channel ", i, " (", Snippet(ch), ")"));
    }
    if (!Contains(s[amp_at], ch)) {
      return error(absl::StrCat("row '", Snippet(s[amp_at]), "' is not channel ", i, " (",
                                Snippet(ch), ")"));
    }
    const int64_t real_shift =
        list_has_names ? shift + static_cast<int64_t>(PySplitSpace(ch, 1).size()) - 1 : shift;
    const std::vector<absl::string_view> line = PySplitSpace(s[row_at], 1);
    const size_t hp_at = static_cast<size_t>(hp_col + real_shift);
    const size_t lp_at = static_cast<size_t>(lp_col + real_shift);
    if (hp_at >= line.size() || lp_at >= line.size()) {
      return error(absl::StrCat("row '", Snippet(s[row_at]), "' has too few columns"));
    }
    highpass.emplace_back(line[hp_at]);
    lowpass.emplace_back(line[lp_at]);
  }
  const double two_pi = 2 * std::numbers::pi;
  const auto number = [&](const std::string& v) -> absl::StatusOr<double> {
    const std::optional<double> d = PyFloat(v);
    if (!d) return error(absl::StrCat("'", Snippet(v), "' is not a filter setting"));
    return *d;
  };
  // np.max / np.min: NaN wins.
  const auto extreme = [](const std::vector<double>& v, bool max) {
    double out = v[0];
    for (double x : v) {
      if (std::isnan(x) || std::isnan(out)) {
        out = std::numeric_limits<double>::quiet_NaN();
      } else {
        out = max ? std::max(out, x) : std::min(out, x);
      }
    }
    return out;
  };
  std::optional<double> hp, lp;
  const std::set<std::string> hp_set(highpass.begin(), highpass.end());
  const std::set<std::string> lp_set(lowpass.begin(), lowpass.end());
  if (hp_set.size() == 1) {
    const std::string& v = highpass[0];
    if (v == "DC") {
      hp = 0.0;
    } else if (v != "NaN" && v != "Off") {
      NF_ASSIGN_OR_RETURN(double d, number(v));
      if (hp_s) {
        // Python float division: a zero time constant raises.
        if (d == 0) return error(absl::StrCat("time constant '", Snippet(v), "' is zero"));
        d = 1.0 / (two_pi * d);
      }
      hp = d;
    }
  } else if (!highpass.empty()) {
    std::vector<double> values;
    for (const std::string& v : highpass) {
      if (v == "NaN" || v == "Off" || v == "DC") {
        values.push_back(hp_s ? std::numeric_limits<double>::infinity() : 0.0);
      } else {
        NF_ASSIGN_OR_RETURN(double d, number(v));
        values.push_back(d);
      }
    }
    // Time constants: the longest is the weakest filter (numpy: 1/0 = inf).
    hp = hp_s ? 1.0 / (two_pi * extreme(values, true)) : extreme(values, false);
  }
  if (lp_set.size() == 1) {
    const std::string& v = lowpass[0];
    if (v != "NaN" && v != "Off" && v != "0") {
      NF_ASSIGN_OR_RETURN(double d, number(v));
      if (lp_s) {
        if (d == 0) return error(absl::StrCat("time constant '", Snippet(v), "' is zero"));
        d = 1.0 / (two_pi * d);
      }
      lp = d;
    }
  } else if (!lowpass.empty()) {
    std::vector<double> values;
    for (const std::string& v : lowpass) {
      if (v == "NaN" || v == "Off" || v == "0") {
        values.push_back(lp_s ? 0.0 : std::numeric_limits<double>::infinity());
      } else {
        NF_ASSIGN_OR_RETURN(double d, number(v));
        values.push_back(d);
      }
    }
    if (lp_s) {
      lp = 1.0 / (two_pi * extreme(values, false));
    } else {
      lp = extreme(values, true);
      if (std::isinf(*lp)) lp = sfreq / 2.0;
    }
  }
  // MNE would store a NaN or an infinite corner; a band that says nothing
  // usable is left unset instead.
  if (hp && std::isfinite(*hp)) band.highpass_hz = hp;
  if (lp && std::isfinite(*lp)) band.lowpass_hz = lp;
  return band;
}

// ---------------------------------------------------------------------------
// Markers

// ParseMarkers() reads the .vmrk as MNE's _read_mrk() and
// Raw.set_annotations() do: every "Mk<n>=" line after "[Marker Infos]"
// (case-insensitive) is <type>,<description>,<position>,<size>[,...];
// "\1" in the type and description is a comma; onset = position - 1;
// duration = size when it is a plain number, else 0. Annotations are sorted
// by onset then duration (stable), then cropped to [0, frames]: a marker
// that starts after the end or ends before the start is dropped, one that
// straddles an end is clipped. (MNE does this in seconds rounded to µs;
// in frames it is exact, and the same for rates whose sampling interval is
// a whole number of µs.)
absl::StatusOr<std::vector<RecordingEvent>> ParseMarkers(absl::string_view bytes, int64_t frames,
                                                         const std::string& path) {
  NF_ASSIGN_OR_RETURN(const std::string text, DecodeText(bytes, path));
  constexpr absl::string_view kSection = "[marker infos]";
  const auto it = std::search(text.begin(), text.end(), kSection.begin(), kSection.end(),
                              [](char a, char b) { return AsciiLowerChar(a) == b; });
  std::vector<RecordingEvent> events;
  if (it == text.end()) return events;
  const absl::string_view rest =
      absl::string_view(text).substr(static_cast<size_t>(it - text.begin()) + kSection.size());
  size_t pos = 0;
  while (pos <= rest.size()) {
    const size_t nl = rest.find('\n', pos);
    const absl::string_view line =
        rest.substr(pos, nl == absl::string_view::npos ? absl::string_view::npos : nl - pos);
    pos = nl == absl::string_view::npos ? rest.size() + 1 : nl + 1;
    // re.findall(r"^Mk\d+=(.*)", ..., re.MULTILINE)
    if (!absl::StartsWith(line, "Mk")) continue;
    size_t k = 2;
    while (k < line.size() && IsAsciiDigit(line[k])) ++k;
    if (k == 2 || k >= line.size() || line[k] != '=') continue;
    const absl::string_view info = line.substr(k + 1);
    const std::vector<absl::string_view> fields = absl::StrSplit(info, ',');
    const std::string field = absl::StrCat(path, ": [Marker Infos] ", Snippet(line.substr(0, k)));
    if (fields.size() < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "=", Snippet(info),
                       ": expected <type>,<description>,<position>,<size>[,<channel>]"));
    }
    const std::optional<int64_t> position = PyInt(fields[2]);
    if (!position) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": position '", Snippet(fields[2]), "' is not an integer"));
    }
    // str.isdigit(): a size with anything but digits (even a trailing
    // '\r' when it is the last field) is 0.
    const absl::string_view size_text = fields[3];
    const bool plain = !size_text.empty() && std::all_of(size_text.begin(), size_text.end(),
                                                         [](char c) { return IsAsciiDigit(c); });
    int64_t size = 0;
    if (plain) size = *PyInt(size_text);
    RecordingEvent e;
    e.onset_frame = std::max(-kMarkerClamp, *position - 1);
    e.duration_frames = size;
    e.description = absl::StrCat(ReplaceAll(std::string(fields[0]), "\\1", ","), "/",
                                 ReplaceAll(std::string(fields[1]), "\\1", ","));
    events.push_back(std::move(e));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const RecordingEvent& a, const RecordingEvent& b) {
                     return a.onset_frame != b.onset_frame ? a.onset_frame < b.onset_frame
                                                           : a.duration_frames < b.duration_frames;
                   });
  std::vector<RecordingEvent> kept;
  for (RecordingEvent& e : events) {
    const int64_t end = e.onset_frame + e.duration_frames;
    if (e.onset_frame > frames || end < 0) continue;
    const int64_t onset = std::max<int64_t>(e.onset_frame, 0);
    e.duration_frames = std::min(end, frames) - onset;
    e.onset_frame = onset;
    kept.push_back(std::move(e));
  }
  return kept;
}

// ---------------------------------------------------------------------------
// The source

// ScaleFrames() converts frame-major samples: out = in x factor[channel].
template <typename T>
void ScaleFrames(const T* __restrict in, int64_t frames, int64_t channels,
                 const double* __restrict factors, double* __restrict out) {
  for (int64_t f = 0; f < frames; ++f) {
    const T* __restrict src = in + f * channels;
    double* __restrict dst = out + f * channels;
    for (int64_t c = 0; c < channels; ++c) dst[c] = static_cast<double>(src[c]) * factors[c];
  }
}

// ScaleChannelBlock() converts `frames` frames of channel-major samples
// (channel c's at in + c * in_stride) into frame-major rows of `out`. The
// output is written row after row, in order (streams well to memory); the
// reads walk all channels' rows side by side, one cache line of each at a
// time, which stay in L1 while they serve the next frames.
template <typename T>
void ScaleChannelBlock(const T* __restrict in, int64_t in_stride, int64_t frames, int64_t channels,
                       const double* __restrict factors, double* __restrict out) {
  for (int64_t f = 0; f < frames; ++f) {
    double* __restrict row = out + f * channels;
    const T* __restrict src = in + f;
    for (int64_t c = 0; c < channels; ++c) {
      row[c] = static_cast<double>(src[c * in_stride]) * factors[c];
    }
  }
}

class BrainVisionSource final : public TraceSource {
 public:
  BrainVisionSource(ScopedFd fd, std::string path, StoredType type, bool vectorized, int64_t frames,
                    std::vector<double> factors, RecordingInfo info, int64_t block_frames)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        type_(type),
        vectorized_(vectorized),
        frames_(frames),
        factors_(std::move(factors)),
        info_(std::move(info)),
        block_frames_(block_frames) {}

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return frames_; }
  SampleType sample_type() const override { return SampleType::kFloat64; }

  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    NF_RETURN_IF_ERROR(CheckFrameRange(start, end, frames_));
    Traces out = Traces::Uninitialized(SampleType::kFloat64, end - start, num_channels());
    if (end == start) return out;
    absl::Status s;
    switch (type_) {
      case StoredType::kInt16:
        s = Read<int16_t>(start, end, &out);
        break;
      case StoredType::kInt32:
        s = Read<int32_t>(start, end, &out);
        break;
      case StoredType::kFloat32:
        s = Read<float>(start, end, &out);
        break;
    }
    if (!s.ok()) return s;
    return out;
  }

 private:
  template <typename T>
  absl::Status Read(int64_t start, int64_t end, Traces* out) const {
    const int64_t channels = num_channels();
    const int64_t block = std::min(block_frames_, end - start);
    if (!vectorized_) {
      // Frames are contiguous: one read per block, converted while cached.
      const int64_t frame_bytes = channels * static_cast<int64_t>(sizeof(T));
      auto buf = std::make_unique_for_overwrite<T[]>(static_cast<size_t>(block * channels));
      for (int64_t f = start; f < end; f += block) {
        const int64_t n = std::min(block, end - f);
        absl::Status s = PreadFully(fd_.get(), buf.get(), static_cast<size_t>(n * frame_bytes),
                                    f * frame_bytes, path_);
        if (!s.ok()) return ReadError(s, f, -1);
        ScaleFrames(buf.get(), n, channels, factors_.data(), out->row<double>(f - start));
      }
      return absl::OkStatus();
    }
    // Each channel's samples are contiguous: one read per channel and
    // block, then one pass that interleaves the block's channels. Channel
    // rows in the buffer are one cache line longer than the block: at a
    // power-of-two stride they would all fall into the same L1 sets and
    // evict each other during the interleaving pass.
    const int64_t stride = block + 64 / static_cast<int64_t>(sizeof(T));
    auto buf = std::make_unique_for_overwrite<T[]>(static_cast<size_t>(stride * channels));
    for (int64_t f = start; f < end; f += block) {
      const int64_t n = std::min(block, end - f);
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t offset = (c * frames_ + f) * static_cast<int64_t>(sizeof(T));
        absl::Status s = PreadFully(fd_.get(), buf.get() + c * stride,
                                    static_cast<size_t>(n) * sizeof(T), offset, path_);
        if (!s.ok()) return ReadError(s, f, c);
      }
      ScaleChannelBlock(buf.get(), stride, n, channels, factors_.data(),
                        out->row<double>(f - start));
    }
    return absl::OkStatus();
  }

  // ReadError() names the first frame missing when the file has shrunk
  // since Open (its size was checked then).
  absl::Status ReadError(const absl::Status& s, int64_t first_frame, int64_t channel) const {
    if (s.code() != absl::StatusCode::kDataLoss) return s;
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return s;
    const int64_t size = static_cast<int64_t>(st.st_size);
    const int64_t item = StoredSize(type_);
    int64_t missing = first_frame;
    if (channel < 0) {
      missing = std::max(first_frame, size / (item * num_channels()));
    } else {
      missing = std::max(first_frame, (size - channel * frames_ * item) / item);
    }
    return absl::DataLossError(absl::StrCat(
        path_, ": frame ", missing, channel < 0 ? "" : absl::StrCat(" of channel ", channel),
        " is missing: the file is ", size, " bytes now, less than its ", frames_,
        " frames needed when it was opened"));
  }

  ScopedFd fd_;
  std::string path_;
  StoredType type_;
  bool vectorized_;
  int64_t frames_;
  std::vector<double> factors_;
  RecordingInfo info_;
  int64_t block_frames_;
};

// Companion() is the header's folder joined with a DataFile/MarkerFile
// value (os.path.join: an absolute value stands alone), then resolved.
absl::StatusOr<std::string> Companion(const std::string& vhdr, const std::string& value,
                                      const ReaderOptions& options, absl::string_view field) {
  std::string joined;
  if (absl::StartsWith(value, "/")) {
    joined = value;
  } else {
    const size_t slash = vhdr.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : vhdr.substr(0, slash + 1);
    joined = dir + value;
  }
  if (!options.resolve) return joined;
  absl::StatusOr<std::string> resolved = options.resolve(joined);
  if (!resolved.ok()) {
    return WithContext(resolved.status(),
                       absl::StrCat(vhdr, ": [Common Infos] ", field, "=", value));
  }
  return resolved;
}

absl::StatusOr<OpenedRecording> Open(const std::string& path, const ReaderOptions& options,
                                     int64_t block_frames) {
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (absl::EndsWith(base, ".ahdr")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": .ahdr (BrainVision Analyzer) headers are not supported"));
  }
  if (!absl::EndsWith(base, ".vhdr") || base.find_first_not_of('.') >= base.size() - 5) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a BrainVision header's name ends in .vhdr (as MNE requires)"));
  }
  NF_ASSIGN_OR_RETURN(const std::string bytes, ReadSmallFile(path, kMaxHeaderBytes));
  const size_t first_nl = bytes.find('\n');
  const absl::string_view first_line =
      absl::string_view(bytes).substr(0, first_nl == std::string::npos ? bytes.size() : first_nl);
  if (!IsHeaderVersionLine(first_line)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a BrainVision header: the first line '", Snippet(first_line),
        "' is not \"Brain Vision Data Exchange Header File Version 1.0\" or a later version"));
  }
  const absl::string_view rest_bytes = first_nl == std::string::npos
                                           ? absl::string_view()
                                           : absl::string_view(bytes).substr(first_nl + 1);
  NF_ASSIGN_OR_RETURN(const std::string text, DecodeText(rest_bytes, path));

  // MNE splits the text at "[Comment]": the INI part before, free text after.
  absl::string_view params = text, comment;
  const size_t comment_at = text.find("[Comment]");
  if (comment_at != std::string::npos) {
    if (text.find("[Comment]", comment_at + 1) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": [Comment] appears twice"));
    }
    params = absl::string_view(text).substr(0, comment_at);
    comment = absl::string_view(text).substr(comment_at + 9);
  }
  NF_ASSIGN_OR_RETURN(const Ini ini, Ini::Parse(params, 2, path));
  // NeurOne's exports spell it "Common infos".
  const std::string common = ini.HasSection("Common Infos") || !ini.HasSection("Common infos")
                                 ? "Common Infos"
                                 : "Common infos";
  if (!ini.HasSection(common)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": [Common Infos] is missing"));
  }
  const auto field_name = [&](absl::string_view key) {
    return absl::StrCat(path, ": [", common, "] ", key);
  };
  const auto required = [&](absl::string_view key) -> absl::StatusOr<std::string> {
    NF_ASSIGN_OR_RETURN(std::optional<std::string> v, ini.Get(common, key, key));
    if (!v) return absl::InvalidArgumentError(absl::StrCat(field_name(key), " is missing"));
    return *std::move(v);
  };

  NF_ASSIGN_OR_RETURN(const std::string interval_text, required("SamplingInterval"));
  const std::optional<double> interval_us = PyFloat(interval_text);
  const double sfreq = interval_us ? 1e6 / *interval_us : 0.0;
  if (!interval_us || !(*interval_us > 0) || !std::isfinite(sfreq) || !(sfreq > 0) ||
      sfreq > kMaxSamplingRateHz) {
    return absl::InvalidArgumentError(
        absl::StrCat(field_name("SamplingInterval"), "=", Snippet(interval_text),
                     " is not a sampling interval in µs (a number > 0 giving at most ",
                     kMaxSamplingRateHz, " Hz)"));
  }

  NF_ASSIGN_OR_RETURN(const std::string orientation, required("DataOrientation"));
  if (orientation != "MULTIPLEXED" && orientation != "VECTORIZED") {
    return absl::InvalidArgumentError(absl::StrCat(field_name("DataOrientation"), "=",
                                                   Snippet(orientation),
                                                   " is not supported (MULTIPLEXED, VECTORIZED)"));
  }
  const bool vectorized = orientation == "VECTORIZED";

  NF_ASSIGN_OR_RETURN(const std::string data_format, required("DataFormat"));
  if (data_format != "BINARY") {
    return absl::InvalidArgumentError(
        absl::StrCat(field_name("DataFormat"), "=", Snippet(data_format),
                     " is not supported: only BINARY data is read (not ASCII)"));
  }
  NF_ASSIGN_OR_RETURN(const std::optional<std::string> binary_format,
                      ini.Get("Binary Infos", "BinaryFormat", "BinaryFormat"));
  if (!binary_format) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": [Binary Infos] BinaryFormat is missing"));
  }
  StoredType type;
  if (*binary_format == "INT_16") {
    type = StoredType::kInt16;
  } else if (*binary_format == "INT_32") {
    type = StoredType::kInt32;
  } else if (*binary_format == "IEEE_FLOAT_32") {
    type = StoredType::kFloat32;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": [Binary Infos] BinaryFormat=", Snippet(*binary_format),
                     " is not supported (INT_16, INT_32, IEEE_FLOAT_32)"));
  }

  NF_ASSIGN_OR_RETURN(const std::string data_file, required("DataFile"));
  NF_ASSIGN_OR_RETURN(const std::string marker_file, required("MarkerFile"));
  for (const auto& [key, value] :
       {std::pair{"DataFile", &data_file}, {"MarkerFile", &marker_file}}) {
    if (value->size() > 4096) {
      return absl::InvalidArgumentError(
          absl::StrCat(field_name(key), "=", Snippet(*value), " is longer than a path may be"));
    }
  }
  // MNE reads markers through read_annotations(), which knows a marker file
  // by its name.
  if (!absl::EndsWith(marker_file, "vmrk") && !absl::EndsWith(marker_file, "amrk")) {
    return absl::InvalidArgumentError(absl::StrCat(field_name("MarkerFile"), "=",
                                                   Snippet(marker_file),
                                                   ": a marker file's name ends in .vmrk"));
  }

  NF_ASSIGN_OR_RETURN(const std::string channels_text, required("NumberOfChannels"));
  const std::optional<int64_t> channels = PyInt(channels_text);
  if (!channels || *channels < 1 || *channels > kMaxChannels) {
    return absl::InvalidArgumentError(absl::StrCat(field_name("NumberOfChannels"), "=",
                                                   Snippet(channels_text), " is not in [1, ",
                                                   kMaxChannels, "]"));
  }
  NF_ASSIGN_OR_RETURN(const std::optional<std::string> data_points_text,
                      ini.Get(common, "DataPoints", "DataPoints"));
  std::optional<int64_t> data_points;
  if (data_points_text) {
    data_points = PyInt(*data_points_text);
    if (!data_points || *data_points < 0 || *data_points > kMaxCount) {
      return absl::InvalidArgumentError(absl::StrCat(field_name("DataPoints"), "=",
                                                     Snippet(*data_points_text), " is not in [0, ",
                                                     kMaxCount, "]"));
    }
  }

  NF_ASSIGN_OR_RETURN(const std::vector<ChannelSpec> specs, ParseChannels(ini, *channels, path));
  NF_ASSIGN_OR_RETURN(const std::set<std::string> at_origin, ZeroRadiusChannels(ini, specs, path));
  RecordingInfo info;
  info.sampling_rate_hz = sfreq;
  info.channel_ids_from_file = true;
  info.unit = "V";
  std::vector<double> factors;
  std::set<std::string> misc_names;
  for (const ChannelSpec& c : specs) {
    if (!c.voltage) misc_names.insert(c.name);
  }
  const std::set<std::string> eog_names = {"HEOGL", "HEOGR", "VEOGb"};
  std::set<std::string> seen;
  for (const ChannelSpec& c : specs) {
    if (!seen.insert(c.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": [Channel Infos] ", c.key, ": channel name '", Snippet(c.name),
                       "' is used twice (MNE cannot read such a header)"));
    }
    info.channel_ids.push_back(c.name);
    std::string kind = "eeg";
    if (eog_names.count(c.name)) {
      kind = "eog";
    } else if (misc_names.count(c.name) || (at_origin.count(c.name))) {
      kind = "misc";
    } else if (c.name == "STI 014") {
      kind = "stim";
    }
    info.channel_types.push_back(std::move(kind));
    info.gain_to_uv.push_back(1e6);
    info.offset_to_uv.push_back(0.0);
    factors.push_back(c.factor);
  }
  NF_ASSIGN_OR_RETURN(const Band band, ParseBand(comment, info.channel_ids, sfreq, path));
  info.highpass_hz = band.highpass_hz;
  info.lowpass_hz = band.lowpass_hz;

  // MNE opens the marker file first, then the data.
  NF_ASSIGN_OR_RETURN(const std::string marker_path,
                      Companion(path, marker_file, options, "MarkerFile"));
  absl::StatusOr<std::string> marker_bytes = ReadSmallFile(marker_path, kMaxMarkerBytes);
  if (!marker_bytes.ok()) {
    return WithContext(marker_bytes.status(),
                       absl::StrCat(field_name("MarkerFile"), "=", Snippet(marker_file)));
  }
  NF_ASSIGN_OR_RETURN(const std::string data_path, Companion(path, data_file, options, "DataFile"));
  absl::StatusOr<OpenedFile> data = OpenRegularFile(data_path);
  if (!data.ok()) {
    return WithContext(data.status(), absl::StrCat(field_name("DataFile"), "=", data_file));
  }
  const int64_t item = StoredSize(type);
  const int64_t frame_bytes = *channels * item;
  // The file size decides the frame count, as in MNE (a trailing partial
  // frame is ignored, and for VECTORIZED data it also gives each channel's
  // stride). DataPoints may only confirm it: fewer frames than it promises
  // is DataLoss; more is the file size deciding, as MNE ignores DataPoints
  // for binary data.
  const int64_t frames = data->size / frame_bytes;
  if (data_points && *data_points > frames) {
    return absl::DataLossError(absl::StrCat(field_name("DataPoints"), "=", *data_points, " but ",
                                            data_path, " holds only ", frames, " frames of ",
                                            *channels, " channels x ", item, " bytes: frame ",
                                            frames, " is the first missing"));
  }
  if (frames < 1) {
    return absl::InvalidArgumentError(absl::StrCat(data_path, " (", data->size,
                                                   " bytes) holds no whole frame of ", *channels,
                                                   " channels x ", item, " bytes"));
  }
  NF_ASSIGN_OR_RETURN(std::vector<RecordingEvent> events,
                      ParseMarkers(*marker_bytes, frames, marker_path));

  if (block_frames <= 0) {
    block_frames = vectorized ? std::max(kMinVectorizedBlockFrames, kReadBlockBytes / frame_bytes)
                              : std::max<int64_t>(1, kReadBlockBytes / frame_bytes);
  }
  OpenedRecording out;
  out.source =
      std::make_shared<BrainVisionSource>(std::move(data->fd), data_path, type, vectorized, frames,
                                          std::move(factors), std::move(info), block_frames);
  out.format = RecordingFormat::kBrainVision;
  out.data_path = data_path;
  out.more_data_paths = {path};
  out.events = std::move(events);
  return out;
}

}  // namespace

absl::StatusOr<OpenedRecording> OpenBrainVision(const std::string& path,
                                                const ReaderOptions& options) {
  return Open(path, options, 0);
}

namespace internal {

absl::StatusOr<OpenedRecording> OpenBrainVisionForTest(const std::string& path,
                                                       const ReaderOptions& options,
                                                       int64_t block_frames) {
  return Open(path, options, std::max<int64_t>(1, block_frames));
}

}  // namespace internal
}  // namespace neurofeat
