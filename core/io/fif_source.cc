#include "core/io/fif_source.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/buffer_pool.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// ---------------------------------------------------------------------------
// FIFF constants (mne/io/constants.py)

// Tag kinds.
constexpr int32_t kFileId = 100;
constexpr int32_t kDirPointer = 101;
constexpr int32_t kBlockId = 103;
constexpr int32_t kBlockStart = 104;
constexpr int32_t kBlockEnd = 105;
constexpr int32_t kParentBlockId = 110;
constexpr int32_t kRefRole = 115;
constexpr int32_t kRefFileNum = 117;
constexpr int32_t kRefFileName = 118;
constexpr int32_t kNchan = 200;
constexpr int32_t kSfreq = 201;
constexpr int32_t kChInfo = 203;
constexpr int32_t kMeasDate = 204;
constexpr int32_t kComment = 206;
constexpr int32_t kFirstSample = 208;
constexpr int32_t kLowpass = 219;
constexpr int32_t kHighpass = 223;
constexpr int32_t kChKind = 252;
constexpr int32_t kChRange = 253;
constexpr int32_t kChCal = 254;
constexpr int32_t kChUnit = 256;
constexpr int32_t kChDacqName = 258;
constexpr int32_t kChCoilType = 350;
constexpr int32_t kDataBuffer = 300;
constexpr int32_t kDataSkip = 301;
constexpr int32_t kBaselineMin = 3568;  // annotation onsets
constexpr int32_t kBaselineMax = 3569;  // annotation onsets + durations

// Block kinds (the data of FIFF_BLOCK_START).
constexpr int32_t kBlockMeas = 100;
constexpr int32_t kBlockMeasInfo = 101;
constexpr int32_t kBlockRawData = 102;
constexpr int32_t kBlockContinuousData = 112;
constexpr int32_t kBlockChInfo = 113;
constexpr int32_t kBlockRef = 118;
constexpr int32_t kBlockIasRawData = 119;
constexpr int32_t kBlockAnnotations = 3810;

// Data types.
constexpr uint32_t kTypeShort = 2;
constexpr uint32_t kTypeInt = 3;
constexpr uint32_t kTypeFloat = 4;
constexpr uint32_t kTypeDouble = 5;
constexpr uint32_t kTypeString = 10;
constexpr uint32_t kTypeDauPack16 = 16;
constexpr uint32_t kTypeComplexFloat = 20;
constexpr uint32_t kTypeComplexDouble = 21;
constexpr uint32_t kTypeChInfoStruct = 30;
constexpr uint32_t kTypeIdStruct = 31;

constexpr int32_t kRoleNextFile = 2;
// meas_date (secs, usecs) that means "no date" (mne/io/write.py DATE_NONE).
constexpr int64_t kDateNoneUsecs = 2147483647;

// ---------------------------------------------------------------------------
// Bounds on what a file can make us hold.

// Tags per part. A 2 GB acquisition file with 1 s buffers has a few
// thousand; the metadata of 400 channels with extended info a few more.
constexpr int64_t kMaxTags = int64_t{1} << 20;
// Block nesting (MNE files nest 4 deep).
constexpr int kMaxDepth = 64;
// One metadata tag's data (strings, annotation arrays).
constexpr int64_t kMaxMetaTagBytes = int64_t{64} << 20;
// Split parts of one recording (each <= 2 GB).
constexpr int kMaxParts = 512;
// Bytes of samples read per pread in GetTraces(): small enough to stay in
// the L2 cache until converted.
constexpr int64_t kReadChunkBytes = int64_t{256} << 10;
// Samples converted per flat loop (the calibration row repeated to this).
constexpr int64_t kCalBlockSamples = 2048;
// Annotation onsets/durations in seconds: microseconds must stay exact in a
// double and far from int64 overflow (2^53 us is 285 years).
constexpr double kMaxAnnotationSeconds = 9.0e9;

// TagName() names a tag kind in messages ("FIFF_NCHAN", or "tag kind 7").
std::string TagName(int32_t kind) {
  static constexpr std::pair<int32_t, const char*> kNames[] = {
      {kFileId, "FIFF_FILE_ID"},
      {kDirPointer, "FIFF_DIR_POINTER"},
      {kBlockStart, "FIFF_BLOCK_START"},
      {kRefRole, "FIFF_REF_ROLE"},
      {kRefFileNum, "FIFF_REF_FILE_NUM"},
      {kRefFileName, "FIFF_REF_FILE_NAME"},
      {kNchan, "FIFF_NCHAN"},
      {kSfreq, "FIFF_SFREQ"},
      {kChInfo, "FIFF_CH_INFO"},
      {kMeasDate, "FIFF_MEAS_DATE"},
      {kComment, "FIFF_COMMENT"},
      {kFirstSample, "FIFF_FIRST_SAMPLE"},
      {kLowpass, "FIFF_LOWPASS"},
      {kHighpass, "FIFF_HIGHPASS"},
      {kChKind, "FIFF_CH_KIND"},
      {kChRange, "FIFF_CH_RANGE"},
      {kChCal, "FIFF_CH_CAL"},
      {kChUnit, "FIFF_CH_UNIT"},
      {kChDacqName, "FIFF_CH_DACQ_NAME"},
      {kChCoilType, "FIFF_CH_COIL_TYPE"},
      {kDataBuffer, "FIFF_DATA_BUFFER"},
      {kDataSkip, "FIFF_DATA_SKIP"},
      {kBaselineMin, "FIFF_MNE_BASELINE_MIN"},
      {kBaselineMax, "FIFF_MNE_BASELINE_MAX"},
  };
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return absl::StrCat("tag kind ", kind);
}

// ---------------------------------------------------------------------------
// Big-endian loads.

inline uint16_t LoadBe16(const unsigned char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t LoadBe32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t LoadBe64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline int32_t BeI32(const unsigned char* p) { return static_cast<int32_t>(LoadBe32(p)); }
inline float BeF32(const unsigned char* p) {
  const uint32_t u = LoadBe32(p);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline double BeF64(const unsigned char* p) {
  const uint64_t u = LoadBe64(p);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// FIFF strings are Latin-1 (MNE decodes them so); ours are UTF-8.
std::string Latin1ToUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Python semantics that MNE's arithmetic relies on.

// RoundHalfEven() is numpy's np.round for one value (the default rounding
// mode of nearbyint is to nearest, ties to even).
double RoundHalfEven(double x) { return std::nearbyint(x); }

// TimedeltaMicros() is the microseconds of datetime.timedelta(seconds=x),
// as CPython computes them: the integer part exactly, the fraction times
// 1e6 split again into whole and leftover microseconds, and the leftover
// rounded half to even on the total. REQUIRES: |x| <= kMaxAnnotationSeconds.
int64_t TimedeltaMicros(double x) {
  double int_part = 0;
  const double frac = std::modf(x, &int_part);
  int64_t us = static_cast<int64_t>(int_part) * 1000000;
  if (frac == 0.0) return us;
  double whole_frac = 0;
  const double leftover = std::modf(frac * 1e6, &whole_frac);
  us += static_cast<int64_t>(whole_frac);
  double whole = std::round(leftover);
  if (std::fabs(whole - leftover) == 0.5) {
    const int64_t odd = (us % 2 != 0) ? 1 : 0;
    whole =
        2.0 * std::round((leftover + static_cast<double>(odd)) * 0.5) - static_cast<double>(odd);
  }
  return us + static_cast<int64_t>(whole);
}

// StampMicros() is the microseconds of _handle_meas_date(x) for a number
// of seconds (mne/annotations.py): whole seconds, and the fraction times 1e6
// rounded half to even. REQUIRES: |x| <= kMaxAnnotationSeconds.
int64_t StampMicros(double x) {
  double int_part = 0;
  const double frac = std::modf(x, &int_part);
  return static_cast<int64_t>(int_part) * 1000000 + static_cast<int64_t>(RoundHalfEven(frac * 1e6));
}

// PySlice() is s[start:stop] with Python's negative indices and clamping.
std::string PySlice(const std::string& s, int64_t start, int64_t stop) {
  const int64_t n = static_cast<int64_t>(s.size());
  if (start < 0) start = std::max<int64_t>(0, start + n);
  if (stop < 0) stop = std::max<int64_t>(0, stop + n);
  start = std::min(start, n);
  stop = std::min(stop, n);
  if (start >= stop) return "";
  return s.substr(static_cast<size_t>(start), static_cast<size_t>(stop - start));
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// JoinPath() is os.path.join(dir, name) for a bare file name.
std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return absl::StrCat(dir, "/", name);
}

// ---------------------------------------------------------------------------
// Tags and the block tree of one file.

struct Tag {
  int32_t kind = 0;
  uint32_t type = 0;
  int32_t size = 0;
  int64_t pos = 0;  // of the 16-byte header; the data follow it
  int64_t data_pos() const { return pos + 16; }
};

// Node: one block (make_dir_tree in mne/io/tree.py). Nodes are kept in the
// order their FIFF_BLOCK_START comes (depth-first pre-order), so the blocks
// inside node i are nodes i+1 .. last_descendant.
struct Node {
  int32_t block = 0;
  int32_t parent = -1;
  int32_t depth = 0;
  int32_t last_descendant = 0;
  bool closed = false;  // its FIFF_BLOCK_END was seen
  // The tags directly in this block (not in nested blocks), in file order;
  // kept only for the blocks the reader uses.
  std::vector<Tag> entries;
};

bool KeepsEntries(int32_t block) {
  switch (block) {
    case 0:  // the file itself
    case kBlockMeas:
    case kBlockMeasInfo:
    case kBlockRawData:
    case kBlockContinuousData:
    case kBlockChInfo:
    case kBlockRef:
    case kBlockIasRawData:
    case kBlockAnnotations:
      return true;
    default:
      return false;
  }
}

// FifFile: one part, its descriptor and its block tree.
class FifFile {
 public:
  // Open() checks the file id, walks every tag (sequentially, following
  // `next` pointers forward only) and builds the block tree.
  static absl::StatusOr<std::unique_ptr<FifFile>> Open(const std::string& path,
                                                       const std::string& display);

  const std::string& name() const { return name_; }
  int64_t size() const { return size_; }
  ScopedFd TakeFd() { return std::move(fd_); }
  const std::vector<Node>& nodes() const { return nodes_; }
  // Where the walk stopped early because the file ends inside a tag ("" if
  // it did not).
  const std::string& truncation() const { return truncation_; }

  // Find() is dir_tree_find(nodes[root], block): the blocks of that kind in
  // the subtree of `root` (itself included), in pre-order.
  std::vector<int> Find(int root, int32_t block) const;

  // Data() reads a tag's data (at most `max_bytes`).
  absl::StatusOr<std::string> Data(const Tag& tag, int64_t max_bytes) const;
  // Int() is int(tag.data) for a tag holding one int32.
  absl::StatusOr<int32_t> Int(const Tag& tag) const;
  // Real() is float(tag.data) for a tag holding one int32, float or double.
  absl::StatusOr<double> Real(const Tag& tag) const;
  // Reals() is a numeric array tag as doubles (int32, float, double).
  absl::StatusOr<std::vector<double>> Reals(const Tag& tag, int64_t max_count) const;
  // String() is a FIFFT_STRING tag decoded from Latin-1 to UTF-8.
  absl::StatusOr<std::string> String(const Tag& tag) const;

  // Where() names a tag in messages: "x_raw.fif: FIFF_NCHAN at byte 296".
  std::string Where(const Tag& tag) const {
    return absl::StrCat(name_, ": ", TagName(tag.kind), " at byte ", tag.pos);
  }

 private:
  FifFile() = default;
  absl::Status Walk();

  std::string name_;  // how messages name it
  ScopedFd fd_;
  int64_t size_ = 0;
  std::vector<Node> nodes_;
  std::string truncation_;
};

// WindowReader: reads small pieces of a file through an 8 kB window, so
// walking the headers of small metadata tags costs one pread per window,
// not one per tag.
class WindowReader {
 public:
  WindowReader(int fd, int64_t file_size, const std::string& name)
      : fd_(fd), file_size_(file_size), name_(name), window_(kWindowBytes) {}

  // Read() copies [pos, pos + n) into `out`. REQUIRES: pos + n <= file size.
  absl::Status Read(int64_t pos, size_t n, unsigned char* out) {
    if (n > kWindowBytes) {
      return PreadFully(fd_, out, n, pos, name_);
    }
    if (window_pos_ < 0 || pos < window_pos_ ||
        pos + static_cast<int64_t>(n) > window_pos_ + window_len_) {
      window_pos_ = pos;
      window_len_ = std::min<int64_t>(kWindowBytes, file_size_ - pos);
      NF_RETURN_IF_ERROR(
          PreadFully(fd_, window_.data(), static_cast<size_t>(window_len_), pos, name_));
    }
    std::memcpy(out, window_.data() + (pos - window_pos_), n);
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kWindowBytes = 8 * 1024;
  int fd_;
  int64_t file_size_;
  const std::string& name_;
  std::vector<unsigned char> window_;
  int64_t window_pos_ = -1;
  int64_t window_len_ = 0;
};

absl::StatusOr<std::unique_ptr<FifFile>> FifFile::Open(const std::string& path,
                                                       const std::string& display) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  auto f = std::unique_ptr<FifFile>(new FifFile());
  f->name_ = display;
  f->size_ = file.size;
  f->fd_ = std::move(file.fd);
  NF_RETURN_IF_ERROR(f->Walk());
  return f;
}

absl::Status FifFile::Walk() {
  WindowReader reader(fd_.get(), size_, name_);
  unsigned char h[16];
  // The file id (fiff_open in mne/io/open.py): kind FIFF_FILE_ID, an id
  // struct of 20 bytes, then FIFF_DIR_POINTER.
  if (size_ < 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": ", size_, " bytes is too short for a FIF file (a 16-byte tag header first)"));
  }
  NF_RETURN_IF_ERROR(reader.Read(0, 16, h));
  if (h[0] == 0x1f && h[1] == 0x8b) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, " is gzip-compressed (.fif.gz): not supported, decompress it first"));
  }
  if (BeI32(h) != kFileId || LoadBe32(h + 4) != kTypeIdStruct || BeI32(h + 8) != 20) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": not a FIF file (the first tag is kind ", BeI32(h), " type ", LoadBe32(h + 4),
        " size ", BeI32(h + 8), ", not FIFF_FILE_ID, id struct, 20)"));
  }
  if (size_ >= 36 + 16) {
    NF_RETURN_IF_ERROR(reader.Read(36, 16, h));
  }
  if (size_ < 36 + 16 || BeI32(h) != kDirPointer) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ": not a FIF file (no FIFF_DIR_POINTER after FIFF_FILE_ID)"));
  }

  nodes_.push_back(Node());  // the file: block 0
  int cur = 0;
  int64_t pos = 0;
  int64_t count = 0;
  while (pos < size_) {
    if (size_ - pos < 16) {
      truncation_ = absl::StrCat("the file ends inside the tag header at byte ", pos);
      break;
    }
    if (++count > kMaxTags) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ": more than ", kMaxTags, " tags; not a raw file this reader takes"));
    }
    NF_RETURN_IF_ERROR(reader.Read(pos, 16, h));
    Tag tag;
    tag.kind = BeI32(h);
    tag.type = LoadBe32(h + 4);
    tag.size = BeI32(h + 8);
    tag.pos = pos;
    const int32_t next = BeI32(h + 12);
    if (tag.size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(tag), ": size ", tag.size, " is negative"));
    }
    const int64_t end = tag.data_pos() + tag.size;
    if (end > size_) {
      truncation_ = absl::StrCat(TagName(tag.kind), " at byte ", pos, " needs ", tag.size,
                                 " bytes of data; the file ends after ", size_ - tag.data_pos());
    }
    if (tag.kind == kBlockStart) {
      if (!truncation_.empty()) break;
      NF_ASSIGN_OR_RETURN(const int32_t block, Int(tag));
      const int depth = nodes_[cur].depth + 1;
      if (depth > kMaxDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(tag), ": blocks nest deeper than ", kMaxDepth));
      }
      Node node;
      node.block = block;
      node.parent = cur;
      node.depth = depth;
      nodes_.push_back(std::move(node));
      cur = static_cast<int>(nodes_.size()) - 1;
    } else if (tag.kind == kBlockEnd) {
      // As make_dir_tree: an end closes the innermost open block whatever
      // kind it names; at the top level it is ignored.
      if (cur != 0) {
        nodes_[cur].closed = true;
        nodes_[cur].last_descendant = static_cast<int32_t>(nodes_.size()) - 1;
        cur = nodes_[cur].parent;
      }
    } else if (KeepsEntries(nodes_[cur].block)) {
      nodes_[cur].entries.push_back(tag);
    }
    if (!truncation_.empty()) break;
    if (next < 0) break;  // FIFFV_NEXT_NONE: the last tag
    if (next == 0) {
      pos = end;
    } else {
      if (next < tag.data_pos()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(tag), ": next tag at byte ", next,
                                                       " is not after this tag's header"));
      }
      pos = next;
    }
  }
  // Blocks left open run to the end of the file.
  for (Node& node : nodes_) {
    if (!node.closed) node.last_descendant = static_cast<int32_t>(nodes_.size()) - 1;
  }
  nodes_[0].closed = true;
  return absl::OkStatus();
}

std::vector<int> FifFile::Find(int root, int32_t block) const {
  std::vector<int> out;
  for (int i = root; i <= nodes_[root].last_descendant; ++i) {
    if (nodes_[i].block == block) out.push_back(i);
  }
  return out;
}

absl::StatusOr<std::string> FifFile::Data(const Tag& tag, int64_t max_bytes) const {
  if (tag.data_pos() + tag.size > size_) {
    return absl::DataLossError(absl::StrCat(Where(tag), ": its ", tag.size,
                                            " bytes of data run past the end of the file (", size_,
                                            " bytes): the file is truncated"));
  }
  if (tag.size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(tag), ": ", tag.size, " bytes is more than this tag may hold (", max_bytes, ")"));
  }
  std::string data(static_cast<size_t>(tag.size), '\0');
  NF_RETURN_IF_ERROR(PreadFully(fd_.get(), data.data(), data.size(), tag.data_pos(), name_));
  return data;
}

absl::StatusOr<int32_t> FifFile::Int(const Tag& tag) const {
  if (tag.type != kTypeInt || tag.size != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(tag), ": type ", tag.type, " size ", tag.size, " is not one int32"));
  }
  NF_ASSIGN_OR_RETURN(const std::string d, Data(tag, 4));
  return BeI32(reinterpret_cast<const unsigned char*>(d.data()));
}

absl::StatusOr<std::vector<double>> FifFile::Reals(const Tag& tag, int64_t max_count) const {
  int item = 0;
  if (tag.type == kTypeInt || tag.type == kTypeFloat) {
    item = 4;
  } else if (tag.type == kTypeDouble) {
    item = 8;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(tag), ": type ", tag.type, " is not int32, float or double"));
  }
  if (tag.size % item != 0 || tag.size / item > max_count) {
    return absl::InvalidArgumentError(absl::StrCat(Where(tag), ": size ", tag.size,
                                                   " is not at most ", max_count, " values of ",
                                                   item, " bytes"));
  }
  NF_ASSIGN_OR_RETURN(const std::string d, Data(tag, kMaxMetaTagBytes));
  const auto* p = reinterpret_cast<const unsigned char*>(d.data());
  std::vector<double> out(static_cast<size_t>(tag.size / item));
  for (size_t i = 0; i < out.size(); ++i) {
    if (tag.type == kTypeInt) {
      out[i] = BeI32(p + 4 * i);
    } else if (tag.type == kTypeFloat) {
      out[i] = BeF32(p + 4 * i);
    } else {
      out[i] = BeF64(p + 8 * i);
    }
  }
  return out;
}

absl::StatusOr<double> FifFile::Real(const Tag& tag) const {
  NF_ASSIGN_OR_RETURN(const std::vector<double> v, Reals(tag, 1));
  if (v.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(Where(tag), ": holds no value"));
  }
  return v[0];
}

absl::StatusOr<std::string> FifFile::String(const Tag& tag) const {
  if (tag.type != kTypeString) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(tag), ": type ", tag.type, " is not a string"));
  }
  NF_ASSIGN_OR_RETURN(const std::string d, Data(tag, kMaxMetaTagBytes));
  return Latin1ToUtf8(d);
}

// ---------------------------------------------------------------------------
// Measurement info.

struct Channel {
  std::string name;
  int32_t kind = 0;
  int32_t coil_type = 0;
  int32_t unit = 0;
  double range = 1.0;
  double cal = 1.0;
};

// MneChannelType() is mne.io.pick.channel_type(): the kind (_first_rule),
// refined by the unit for MEG and by the coil type for EEG and fNIRS
// (_second_rules).
absl::StatusOr<std::string> MneChannelType(const Channel& ch) {
  static constexpr std::pair<int32_t, const char*> kByKind[] = {
      {301, "ref_meg"}, {3, "stim"},           {202, "eog"},  {302, "emg"},     {402, "ecg"},
      {602, "resp"},    {502, "misc"},         {920, "exci"}, {910, "ias"},     {900, "syst"},
      {802, "seeg"},    {803, "dbs"},          {102, "bio"},  {700, "chpi"},    {701, "chpi"},
      {702, "chpi"},    {703, "chpi"},         {704, "chpi"}, {705, "chpi"},    {706, "chpi"},
      {707, "chpi"},    {708, "chpi"},         {709, "chpi"}, {1000, "dipole"}, {1001, "gof"},
      {902, "ecog"},    {1200, "temperature"}, {1300, "gsr"},
  };
  // (kind, unit or coil type, type) for the kinds a second field refines.
  static constexpr std::tuple<int32_t, int32_t, const char*> kRefined[] = {
      {1, 201, "grad"},  // FIFFV_MEG_CH by unit: T/m
      {1, 112, "mag"},   // T
      {2, 1, "eeg"},     // FIFFV_EEG_CH by coil: EEG, EEG_BIPOLAR, NONE
      {2, 5, "eeg"},
      {2, 0, "eeg"},
      {2, 6, "csd"},
      {1100, 300, "hbo"},  // FIFFV_FNIRS_CH by coil
      {1100, 301, "hbr"},
      {1100, 302, "fnirs_cw_amplitude"},
      {1100, 303, "fnirs_od"},
      {1100, 304, "fnirs_fd_ac_amplitude"},
      {1100, 305, "fnirs_fd_phase"},
  };
  for (const auto& [kind, type] : kByKind) {
    if (kind == ch.kind) return std::string(type);
  }
  for (const auto& [kind, second, type] : kRefined) {
    if (kind == ch.kind && second == (kind == 1 ? ch.unit : ch.coil_type)) {
      return std::string(type);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("channel ", ch.name, ": kind ", ch.kind,
                                                 " with unit ", ch.unit, " and coil type ",
                                                 ch.coil_type, " has no MNE channel type"));
}

// UniqueChannelNames() is _unique_channel_names() in mne/io/meas_info.py:
// duplicates get "-0", "-1" ... (or "-a" ...) as MNE renames them. MNE
// walks the duplicated names in set order; here in sorted order, the same
// unless two renamings collide. O(n log n) for any number of duplicates.
absl::Status UniqueChannelNames(std::vector<std::string>& names, const std::string& file) {
  std::map<std::string, int64_t> count;  // of each name in `names` as it changes
  std::map<std::string, std::vector<size_t>> where;
  for (size_t i = 0; i < names.size(); ++i) {
    ++count[names[i]];
    where[names[i]].push_back(i);
  }
  for (const auto& [stem, overlaps] : where) {
    if (overlaps.size() < 2) continue;
    for (size_t idx = 0; idx < overlaps.size(); ++idx) {
      std::string candidate = absl::StrCat(stem, "-", idx);
      for (char c = 'a'; count[candidate] > 0 && c <= 'z'; ++c) {
        candidate = absl::StrCat(stem, "-", std::string(1, c));
      }
      if (count[candidate] > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            file, ": channel name ", stem, " is duplicated too often to be made unique"));
      }
      --count[stem];
      ++count[candidate];
      names[overlaps[idx]] = candidate;
    }
  }
  return absl::OkStatus();
}

struct MeasInfo {
  double sfreq = 0;
  std::optional<double> highpass, lowpass;
  std::vector<Channel> chs;
  std::vector<std::string> ch_names;  // unique, as MNE's info["ch_names"]
  std::vector<std::string> ch_types;
  std::vector<double> cals;  // range * cal
  std::optional<int64_t> meas_date_us;
  int meas_node = -1;
};

// MeasDateUs() converts a (secs, usecs) stamp as _stamp_to_dt() does;
// nullopt for DATE_NONE.
std::optional<int64_t> StampUs(int64_t secs, int64_t usecs) {
  if (secs == 0 && usecs == kDateNoneUsecs) return std::nullopt;
  return secs * 1000000 + usecs;
}

// ReadId() returns (secs, usecs) of a FIFFT_ID_STRUCT tag.
absl::StatusOr<std::pair<int64_t, int64_t>> ReadId(const FifFile& f, const Tag& tag) {
  if (tag.type != kTypeIdStruct || tag.size < 20) {
    return absl::InvalidArgumentError(
        absl::StrCat(f.Where(tag), ": type ", tag.type, " size ", tag.size, " is not an id"));
  }
  NF_ASSIGN_OR_RETURN(const std::string d, f.Data(tag, 1 << 16));
  const auto* p = reinterpret_cast<const unsigned char*>(d.data());
  return std::pair<int64_t, int64_t>(BeI32(p + 12), BeI32(p + 16));
}

// NodeId() is tree['id'] / tree['parent_id'] of make_dir_tree: the last
// FIFF_FILE_ID (file level) or FIFF_BLOCK_ID / FIFF_PARENT_BLOCK_ID.
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> NodeId(const FifFile& f, int node,
                                                                  bool parent) {
  std::optional<std::pair<int64_t, int64_t>> id;
  const int32_t want = parent ? kParentBlockId : (node == 0 ? kFileId : kBlockId);
  if (node == 0 && parent) return id;
  for (const Tag& t : f.nodes()[node].entries) {
    if (t.kind == want) {
      NF_ASSIGN_OR_RETURN(id, ReadId(f, t));
    }
  }
  return id;
}

// FindOne() is the one block of `block` kind under `root`; DataLoss when
// there is none because the file ends early, InvalidArgument otherwise.
absl::StatusOr<int> FindOne(const FifFile& f, int root, int32_t block, const char* block_name) {
  const std::vector<int> found = f.Find(root, block);
  if (found.size() == 1) return found[0];
  if (found.empty() && !f.truncation().empty()) {
    return absl::DataLossError(absl::StrCat(f.name(), " is truncated: ", f.truncation()));
  }
  return absl::InvalidArgumentError(absl::StrCat(f.name(), ": ", found.size(), " ", block_name,
                                                 " blocks; a raw file has exactly one"));
}

// ReadChInfo() is _read_ch_info_struct() (mne/io/tag.py) for channel
// `index`: kind, range, cal, coil type, unit and the 16-byte name.
absl::StatusOr<Channel> ReadChInfo(const FifFile& f, const Tag& t, size_t index) {
  if (t.type != kTypeChInfoStruct || t.size != 96) {
    return absl::InvalidArgumentError(absl::StrCat(f.Where(t), " (channel ", index, "): type ",
                                                   t.type, " size ", t.size,
                                                   " is not a 96-byte channel info"));
  }
  NF_ASSIGN_OR_RETURN(const std::string d, f.Data(t, 96));
  const auto* p = reinterpret_cast<const unsigned char*>(d.data());
  Channel ch;
  ch.kind = BeI32(p + 8);
  ch.range = BeF32(p + 12);
  ch.cal = BeF32(p + 16);
  ch.coil_type = BeI32(p + 20);
  ch.unit = BeI32(p + 72);
  // The name is the bytes up to the first NUL (none: empty, as MNE's
  // argmax finds none), UTF-8.
  const char* name = reinterpret_cast<const char*>(p + 80);
  const void* nul = std::memchr(name, '\0', 16);
  ch.name = nul == nullptr ? std::string() : std::string(name, static_cast<const char*>(nul));
  if (!IsValidUtf8(ch.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(f.Where(t), " (channel ", index, "): the name is not UTF-8"));
  }
  return ch;
}

// ApplyExtendedChannelInfo() is _read_extended_ch_info(): one FIFFB_CH_INFO
// block per channel, in channel order, overriding what it holds. MNE writes
// them when a name is longer than the 15 characters FIFF_CH_INFO holds.
absl::Status ApplyExtendedChannelInfo(const FifFile& f, int meas_info, std::vector<Channel>& chs) {
  const std::vector<int> ext = f.Find(meas_info, kBlockChInfo);
  if (!ext.empty() && ext.size() != chs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(f.name(), ": ", ext.size(),
                                                   " FIFFB_CH_INFO blocks for ", chs.size(),
                                                   " FIFF_CH_INFO channels"));
  }
  for (size_t c = 0; c < ext.size(); ++c) {
    Channel& ch = chs[c];
    for (const Tag& t : f.nodes()[ext[c]].entries) {
      if (t.size == 0) continue;  // MNE: no data, no change
      switch (t.kind) {
        case kChKind: {
          NF_ASSIGN_OR_RETURN(ch.kind, f.Int(t));
          break;
        }
        case kChCoilType: {
          NF_ASSIGN_OR_RETURN(ch.coil_type, f.Int(t));
          break;
        }
        case kChUnit: {
          NF_ASSIGN_OR_RETURN(ch.unit, f.Int(t));
          break;
        }
        case kChRange: {
          NF_ASSIGN_OR_RETURN(ch.range, f.Real(t));
          break;
        }
        case kChCal: {
          NF_ASSIGN_OR_RETURN(ch.cal, f.Real(t));
          break;
        }
        case kChDacqName: {
          NF_ASSIGN_OR_RETURN(ch.name, f.String(t));
          break;
        }
        default:
          break;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MeasInfo> ReadMeasInfo(const FifFile& f) {
  const std::string& file = f.name();
  MeasInfo info;
  NF_ASSIGN_OR_RETURN(info.meas_node, FindOne(f, 0, kBlockMeas, "FIFFB_MEAS"));
  NF_ASSIGN_OR_RETURN(const int mi, FindOne(f, info.meas_node, kBlockMeasInfo, "FIFFB_MEAS_INFO"));
  std::optional<int32_t> nchan;
  std::optional<double> sfreq;
  std::optional<std::pair<int64_t, int64_t>> meas_date;
  for (const Tag& t : f.nodes()[mi].entries) {
    switch (t.kind) {
      case kNchan: {
        NF_ASSIGN_OR_RETURN(nchan, f.Int(t));
        if (*nchan < 1 || *nchan > kMaxChannels) {
          return absl::InvalidArgumentError(
              absl::StrCat(file, ": FIFF_NCHAN=", *nchan, " is not in [1, ", kMaxChannels, "]"));
        }
        break;
      }
      case kSfreq: {
        NF_ASSIGN_OR_RETURN(sfreq, f.Real(t));
        break;
      }
      case kLowpass:
      case kHighpass: {
        NF_ASSIGN_OR_RETURN(const double v, f.Real(t));
        std::optional<double>& band = t.kind == kLowpass ? info.lowpass : info.highpass;
        if (std::isnan(v)) {
          band.reset();  // MNE: no information
        } else if (!std::isfinite(v) || v < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(file, ": ", TagName(t.kind), "=", v, " is not a frequency"));
        } else {
          band = v;
        }
        break;
      }
      case kMeasDate: {
        if (t.type != kTypeInt || (t.size != 4 && t.size != 8)) {
          return absl::InvalidArgumentError(absl::StrCat(f.Where(t), ": type ", t.type, " size ",
                                                         t.size, " is not (secs, usecs)"));
        }
        NF_ASSIGN_OR_RETURN(const std::vector<double> v, f.Reals(t, 2));
        meas_date = std::make_pair(static_cast<int64_t>(v[0]),
                                   v.size() > 1 ? static_cast<int64_t>(v[1]) : int64_t{0});
        break;
      }
      case kChInfo: {
        if (static_cast<int64_t>(info.chs.size()) >= kMaxChannels) {
          return absl::InvalidArgumentError(
              absl::StrCat(file, ": more than ", kMaxChannels, " FIFF_CH_INFO tags"));
        }
        NF_ASSIGN_OR_RETURN(Channel ch, ReadChInfo(f, t, info.chs.size()));
        info.chs.push_back(std::move(ch));
        break;
      }
      default:
        break;
    }
  }
  NF_RETURN_IF_ERROR(ApplyExtendedChannelInfo(f, mi, info.chs));
  if (!nchan.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": no FIFF_NCHAN in the measurement info"));
  }
  if (!sfreq.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": no FIFF_SFREQ in the measurement info"));
  }
  if (!(*sfreq > 0) || !(*sfreq <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": FIFF_SFREQ=", *sfreq, " is not in (0, ", kMaxSamplingRateHz, "]"));
  }
  if (static_cast<int64_t>(info.chs.size()) != *nchan) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": FIFF_NCHAN=", *nchan, " but ",
                                                   info.chs.size(), " FIFF_CH_INFO tags"));
  }
  info.sfreq = *sfreq;
  for (size_t c = 0; c < info.chs.size(); ++c) {
    const Channel& ch = info.chs[c];
    const double cal = ch.range * ch.cal;
    // MNE refuses a zero factor ("Bad cals"); an infinite one would make
    // every value infinite or NaN.
    if (!std::isfinite(cal) || cal == 0) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": channel ", c, " (", ch.name,
                                                     "): range x cal = ", ch.range, " x ", ch.cal,
                                                     " = ", cal, " is not a calibration"));
    }
    info.cals.push_back(cal);
    info.ch_names.push_back(ch.name);
    absl::StatusOr<std::string> type = MneChannelType(ch);
    if (!type.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": ", type.status().message()));
    }
    info.ch_types.push_back(*std::move(type));
  }
  NF_RETURN_IF_ERROR(UniqueChannelNames(info.ch_names, file));

  // meas_date: FIFF_MEAS_DATE, else the measurement id's time, the id
  // chosen as read_meas_info() chooses it.
  if (!meas_date.has_value()) {
    // (node, parent id?) in the order MNE tries them.
    const std::pair<int, bool> candidates[] = {
        {mi, true}, {mi, false}, {info.meas_node, false}, {info.meas_node, true}, {0, false}};
    for (const auto& [node, parent] : candidates) {
      NF_ASSIGN_OR_RETURN(meas_date, NodeId(f, node, parent));
      if (meas_date.has_value()) break;
    }
  }
  if (meas_date.has_value()) info.meas_date_us = StampUs(meas_date->first, meas_date->second);
  return info;
}

// ---------------------------------------------------------------------------
// Raw data index.

struct Segment {
  int64_t first_frame = 0;  // ours (0 = MNE's first sample)
  int64_t frames = 0;
  int32_t part = -1;  // -1: an acquisition skip (zeros)
  uint32_t type = 0;
  int64_t data_pos = 0;
};

struct SkipSpan {
  int64_t start_sample = 0;  // in the part's own sample numbering
  int64_t samples = 0;
};

struct PartData {
  int64_t first_samp = 0;      // after a leading skip
  int64_t first_samp_tag = 0;  // FIFF_FIRST_SAMPLE as read (0 if none)
  int64_t frames = 0;
  std::vector<Segment> segments;  // first_frame relative to this part
  std::vector<SkipSpan> skips;
};

int ItemBytes(uint32_t type) {
  switch (type) {
    case kTypeShort:
    case kTypeDauPack16:
      return 2;
    case kTypeInt:
    case kTypeFloat:
      return 4;
    case kTypeDouble:
      return 8;
    default:
      return 0;
  }
}

// IndexRawData() is the buffer loop of Raw._read_raw_file (mne/io/fiff/
// raw.py). `frames_before` is the length of the earlier parts, for messages.
absl::StatusOr<PartData> IndexRawData(const FifFile& f, const MeasInfo& info, int part,
                                      int64_t frames_before) {
  const std::string& file = f.name();
  std::vector<int> raw = f.Find(info.meas_node, kBlockRawData);
  if (raw.empty()) raw = f.Find(info.meas_node, kBlockContinuousData);
  if (raw.empty()) {
    if (!f.Find(info.meas_node, kBlockIasRawData).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file,
          ": MaxShield (internal active shielding) data: not supported; MNE too refuses it "
          "unless allow_maxshield. Process it with SSS/tSSS first"));
    }
    if (!f.truncation().empty()) {
      return absl::DataLossError(absl::StrCat(file, " is truncated: ", f.truncation()));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": no raw data (no FIFFB_RAW_DATA block)"));
  }
  if (raw.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", raw.size(), " raw data blocks; a raw file has one"));
  }
  const Node& node = f.nodes()[raw[0]];
  const std::vector<Tag>& dir = node.entries;
  const int64_t nchan = static_cast<int64_t>(info.chs.size());
  PartData out;
  size_t first = 0;
  int64_t first_skip = 0;
  if (!dir.empty() && dir[first].kind == kFirstSample) {
    NF_ASSIGN_OR_RETURN(const int32_t fs, f.Int(dir[first]));
    out.first_samp = fs;
    out.first_samp_tag = fs;
    ++first;
  }
  if (first < dir.size() && dir[first].kind == kDataSkip) {
    NF_ASSIGN_OR_RETURN(const int32_t s, f.Int(dir[first]));
    first_skip = s;
    ++first;
  }
  int64_t sample = out.first_samp;  // next sample number, the part's own
  int64_t nskip = 0;
  int64_t frames = 0;
  auto check_count = [&](int64_t v, const Tag& t) -> absl::Status {
    if (v > kMaxCount || v < -kMaxCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.Where(t), ": the recording would be ", v, " samples long"));
    }
    return absl::OkStatus();
  };
  for (size_t k = first; k < dir.size(); ++k) {
    const Tag& t = dir[k];
    if (t.kind == kDataSkip) {
      NF_ASSIGN_OR_RETURN(const int32_t s, f.Int(t));
      nskip = s;
      continue;
    }
    if (t.kind != kDataBuffer) continue;
    if (t.type == kTypeComplexFloat || t.type == kTypeComplexDouble) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.Where(t), ": complex data (type ", t.type, ") is not supported"));
    }
    const int item = ItemBytes(t.type);
    if (item == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          f.Where(t), ": type ", t.type, " is not short, int, float, double or DAU_PACK16"));
    }
    const int64_t frame_bytes = nchan * item;
    if (t.size % frame_bytes != 0) {
      return absl::InvalidArgumentError(absl::StrCat(f.Where(t), ": size ", t.size,
                                                     " is not a whole number of frames of ", nchan,
                                                     " channels x ", item, " bytes"));
    }
    const int64_t nsamp = t.size / frame_bytes;
    if (first_skip > 0) {
      // A leading skip moves the first sample (MNE reads no zeros for it).
      sample += nsamp * first_skip;
      NF_RETURN_IF_ERROR(check_count(sample, t));
      out.first_samp = sample;
      first_skip = 0;
    }
    if (nskip > 0) {
      const int64_t n = nsamp * nskip;
      if (n > 0) {
        out.segments.push_back(Segment{frames, n, -1, 0, 0});
        out.skips.push_back(SkipSpan{sample, n});
      }
      frames += n;
      sample += n;
      NF_RETURN_IF_ERROR(check_count(frames, t));
      NF_RETURN_IF_ERROR(check_count(sample, t));
      nskip = 0;
    }
    if (t.data_pos() + t.size > f.size()) {
      return absl::DataLossError(absl::StrCat(file, " is truncated: frame ", frames_before + frames,
                                              " onwards is missing (", TagName(t.kind), " at byte ",
                                              t.pos, " needs ", t.size, " bytes; the file has ",
                                              f.size(), ")"));
    }
    if (nsamp > 0) out.segments.push_back(Segment{frames, nsamp, part, t.type, t.data_pos()});
    frames += nsamp;
    sample += nsamp;
    NF_RETURN_IF_ERROR(check_count(frames, t));
    NF_RETURN_IF_ERROR(check_count(sample, t));
  }
  if (!node.closed) {
    return absl::DataLossError(
        absl::StrCat(file, " is truncated: frame ", frames_before + frames,
                     " onwards is missing (the file ends inside its raw data block",
                     f.truncation().empty() ? "" : absl::StrCat(": ", f.truncation()), ")"));
  }
  if (frames == 0) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": the raw data block holds no frames"));
  }
  out.frames = frames;
  return out;
}

// NextPartName() is _get_next_fname() (mne/io/open.py): the next part of a
// split recording, relative to `name` (how this part was named); nullopt
// for the last part.
absl::StatusOr<std::optional<std::string>> NextPartName(const FifFile& f, const std::string& name) {
  std::optional<std::string> next;
  for (int n : f.Find(0, kBlockRef)) {
    next.reset();
    for (const Tag& t : f.nodes()[n].entries) {
      if (t.kind == kRefRole) {
        NF_ASSIGN_OR_RETURN(const int32_t role, f.Int(t));
        if (role != kRoleNextFile) {
          next.reset();
          break;
        }
      } else if (t.kind == kRefFileName) {
        NF_ASSIGN_OR_RETURN(std::string file_name, f.String(t));
        if (file_name.empty() || file_name == "." || file_name == ".." ||
            absl::StrContains(file_name, '/') || absl::StrContains(file_name, '\0')) {
          return absl::InvalidArgumentError(
              absl::StrCat(f.Where(t), ": the next part \"", file_name,
                           "\" is not a file name in the same folder (MNE writes bare names)"));
        }
        next = JoinPath(DirName(name), file_name);
      } else if (t.kind == kRefFileNum) {
        if (next.has_value()) continue;
        NF_ASSIGN_OR_RETURN(const int32_t num, f.Int(t));
        // The name from the number, as MNE builds it: "x_raw.fif" + 1 ->
        // "x_raw-1.fif", "x_raw-1.fif" + 2 -> "x_raw-2.fif".
        const std::string base = BaseName(name);
        const size_t dot = base.find('.');
        const int64_t idx = dot == std::string::npos ? -1 : static_cast<int64_t>(dot);
        const size_t dash = base.rfind('-');
        int64_t idx2 = dash == std::string::npos ? -1 : static_cast<int64_t>(dash);
        const std::string num_str = PySlice(base, idx2 + 1, idx);
        if (num_str.empty() || !std::all_of(num_str.begin(), num_str.end(),
                                            [](char c) { return c >= '0' && c <= '9'; })) {
          idx2 = -1;
        }
        const std::string tail = PySlice(base, idx + 1, static_cast<int64_t>(base.size()));
        const std::string head =
            (idx2 < 0 && num == 1) ? PySlice(base, 0, idx) : PySlice(base, 0, idx2);
        next = JoinPath(DirName(name), absl::StrCat(head, "-", num, ".", tail));
      }
    }
    if (next.has_value()) break;
  }
  return next;
}

// ---------------------------------------------------------------------------
// Annotations -> events.

struct Annotation {
  double onset = 0;     // seconds
  double duration = 0;  // seconds
  std::string description;
};

absl::Status CheckSeconds(double v, const std::string& file, const char* what, size_t i) {
  if (!std::isfinite(v) || std::fabs(v) > kMaxAnnotationSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": annotation ", i, " ", what, "=", v,
                                                   " s is not a time this reader takes"));
  }
  return absl::OkStatus();
}

// ReadAnnotations() is _read_annotations_fif() (mne/annotations.py), the
// Annotations constructor's sort included. `orig_time_us` is set when the
// block holds a FIFF_MEAS_DATE.
absl::StatusOr<std::vector<Annotation>> ReadAnnotations(const FifFile& f,
                                                        std::optional<int64_t>* orig_time_us) {
  const std::string& file = f.name();
  std::vector<Annotation> out;
  const std::vector<int> blocks = f.Find(0, kBlockAnnotations);
  if (blocks.empty()) return out;
  std::vector<double> onset, end, duration;
  bool onset_f32 = false, end_f32 = false, have_end = false;
  std::vector<std::string> description;
  bool have_description = false;
  for (const Tag& t : f.nodes()[blocks[0]].entries) {
    switch (t.kind) {
      case kBaselineMin: {
        NF_ASSIGN_OR_RETURN(onset, f.Reals(t, 1 << 24));
        onset_f32 = t.type == kTypeFloat;
        break;
      }
      case kBaselineMax: {
        NF_ASSIGN_OR_RETURN(end, f.Reals(t, 1 << 24));
        end_f32 = t.type == kTypeFloat;
        have_end = true;
        break;
      }
      case kComment: {
        if (t.size == 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(f.Where(t), ": empty annotation description list"));
        }
        NF_ASSIGN_OR_RETURN(const std::string text, f.String(t));
        description.clear();
        for (absl::string_view piece : absl::StrSplit(text, ':')) {
          std::string d = absl::StrReplaceAll(piece, {{"{COLON}", ":"}});
          // numpy str arrays drop trailing NULs.
          while (!d.empty() && d.back() == '\0') d.pop_back();
          description.push_back(std::move(d));
        }
        have_description = true;
        break;
      }
      case kMeasDate: {
        NF_ASSIGN_OR_RETURN(const std::vector<double> v, f.Reals(t, 1 << 10));
        if (v.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(f.Where(t), ": no value"));
        }
        for (double x : v) NF_RETURN_IF_ERROR(CheckSeconds(x, file, "orig_time", 0));
        if (v.size() == 1) {
          // Old files: seconds as one float.
          *orig_time_us = StampMicros(v[0]);
        } else {
          // (secs, usecs), each truncated to an integer.
          *orig_time_us = static_cast<int64_t>(std::trunc(v[0])) * 1000000 +
                          static_cast<int64_t>(std::trunc(v[1]));
        }
        break;
      }
      default:
        break;
    }
  }
  if (have_end) {
    if (end.size() != onset.size()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": ", onset.size(),
                                                     " annotation onsets but ", end.size(),
                                                     " ends (FIFF_MNE_BASELINE_MAX)"));
    }
    duration.resize(end.size());
    for (size_t i = 0; i < end.size(); ++i) {
      // max - onset in the arrays' own type (float32 as MNE writes them).
      duration[i] =
          (onset_f32 && end_f32)
              ? static_cast<double>(static_cast<float>(end[i]) - static_cast<float>(onset[i]))
              : end[i] - onset[i];
    }
  }
  if (!have_description) description.clear();
  if (onset.size() != duration.size() || onset.size() != description.size()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", onset.size(), " annotation onsets, ",
                                                   duration.size(), " durations and ",
                                                   description.size(), " descriptions"));
  }
  for (size_t i = 0; i < onset.size(); ++i) {
    NF_RETURN_IF_ERROR(CheckSeconds(onset[i], file, "onset", i));
    NF_RETURN_IF_ERROR(CheckSeconds(duration[i], file, "duration", i));
    out.push_back(Annotation{onset[i], duration[i], std::move(description[i])});
  }
  std::stable_sort(out.begin(), out.end(), [](const Annotation& a, const Annotation& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.duration < b.duration;
  });
  return out;
}

// CropAnnotations() is Annotations.crop(tmin, tmax) with absolute times in
// microseconds and `offset_us` the annotations' origin. A negative duration
// that ends before tmin drops its annotation; one that is kept is an error
// (MNE's assertion after the crop).
absl::Status CropAnnotations(const std::string& file, std::vector<Annotation>& annotations,
                             int64_t offset_us, int64_t tmin_us, int64_t tmax_us) {
  std::vector<Annotation> kept;
  for (Annotation& a : annotations) {
    int64_t on = TimedeltaMicros(a.onset) + offset_us;
    int64_t off = on + TimedeltaMicros(a.duration);
    if (on > tmax_us || off < tmin_us) continue;
    const bool clip_left = on < tmin_us;
    if (clip_left) on = tmin_us;
    const bool clip_right = off > tmax_us;
    if (clip_right) off = tmax_us;
    if (clip_left || clip_right) a.duration = static_cast<double>(off - on) / 1e6;
    a.onset = static_cast<double>(on - offset_us) / 1e6;
    kept.push_back(std::move(a));
  }
  for (const Annotation& a : kept) {
    if (a.duration < 0) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": annotation ", a.description,
                                                     " has a negative duration (", a.duration,
                                                     " s) inside the recording"));
    }
  }
  annotations = std::move(kept);
  return absl::OkStatus();
}

struct EventContext {
  double sfreq = 0;
  int64_t first_samp = 0;      // MNE's raw.first_samp
  int64_t first_samp_tag = 0;  // part 0's FIFF_FIRST_SAMPLE, before a leading skip
  int64_t n_times = 0;
  std::optional<int64_t> meas_date_us;
};

// MakeEvents() is what read_raw_fif does with the annotations (the
// meas_date-less shift in _read_raw_file, BaseRaw.set_annotations' crop,
// the BAD_ACQ_SKIP annotations of in-data skips), then their conversion to
// frames (_annotations_starts_stops: round half to even, from the first
// sample).
absl::StatusOr<std::vector<RecordingEvent>> MakeEvents(const std::string& file,
                                                       std::vector<Annotation> annotations,
                                                       std::optional<int64_t> orig_time_us,
                                                       const std::vector<Annotation>& skips,
                                                       const EventContext& ctx) {
  const double sfreq = ctx.sfreq;
  const double first_time = static_cast<double>(ctx.first_samp) / sfreq;
  const double last_time = static_cast<double>(ctx.n_times - 1) / sfreq + 1.0 / sfreq;
  if (annotations.empty() && skips.empty()) return std::vector<RecordingEvent>();
  // Times in seconds stay where microseconds are exact (and far from int64
  // overflow), so every frame below is too.
  for (const double t : {first_time, last_time, static_cast<double>(ctx.first_samp_tag) / sfreq}) {
    if (!(std::fabs(t) <= kMaxAnnotationSeconds)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": first sample ", ctx.first_samp, " and ", ctx.n_times, " frames at ",
                       sfreq, " Hz put the recording beyond ", kMaxAnnotationSeconds,
                       " s; its events cannot be placed"));
    }
  }
  if (!ctx.meas_date_us.has_value()) {
    if (orig_time_us.has_value() && !annotations.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file,
                       ": the annotations have an orig_time (FIFF_MEAS_DATE in "
                       "FIFFB_MNE_ANNOTATIONS) but the measurement has no date; MNE "
                       "refuses this as ambiguous"));
    }
    for (Annotation& a : annotations) a.onset -= static_cast<double>(ctx.first_samp_tag) / sfreq;
  }
  if (!orig_time_us.has_value() || !ctx.meas_date_us.has_value()) {
    if (!annotations.empty()) {
      NF_RETURN_IF_ERROR(CropAnnotations(file, annotations, 0, 0, StampMicros(last_time)));
    }
    for (Annotation& a : annotations) a.onset += first_time;
  } else {
    const int64_t tmin = *ctx.meas_date_us + TimedeltaMicros(first_time);
    const int64_t tmax = tmin + TimedeltaMicros(last_time);
    if (!annotations.empty()) {
      NF_RETURN_IF_ERROR(CropAnnotations(file, annotations, *orig_time_us, tmin, tmax));
    }
    const double shift = static_cast<double>(*ctx.meas_date_us - *orig_time_us) / 1e6;
    for (Annotation& a : annotations) a.onset -= shift;
  }
  annotations.insert(annotations.end(), skips.begin(), skips.end());
  std::stable_sort(annotations.begin(), annotations.end(),
                   [](const Annotation& a, const Annotation& b) {
                     return a.onset != b.onset ? a.onset < b.onset : a.duration < b.duration;
                   });
  std::vector<RecordingEvent> events;
  events.reserve(annotations.size());
  for (const Annotation& a : annotations) {
    const double onset = a.onset - first_time;
    const double on = RoundHalfEven(onset * sfreq);
    const double end = RoundHalfEven((onset + a.duration) * sfreq);
    if (!(std::fabs(on) <= static_cast<double>(kMaxCount)) ||
        !(std::fabs(end) <= static_cast<double>(kMaxCount))) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": annotation ", a.description, " at ", a.onset, " s is not a frame"));
    }
    RecordingEvent e;
    e.onset_frame = static_cast<int64_t>(on);
    e.duration_frames = static_cast<int64_t>(end) - e.onset_frame;
    e.description = a.description;
    events.push_back(std::move(e));
  }
  return events;
}

// ---------------------------------------------------------------------------
// The source.

template <typename T>
inline T LoadSample(const unsigned char* p);
template <>
inline int16_t LoadSample<int16_t>(const unsigned char* p) {
  return static_cast<int16_t>(LoadBe16(p));
}
template <>
inline int32_t LoadSample<int32_t>(const unsigned char* p) {
  return static_cast<int32_t>(LoadBe32(p));
}
template <>
inline float LoadSample<float>(const unsigned char* p) {
  return BeF32(p);
}
template <>
inline double LoadSample<double>(const unsigned char* p) {
  return BeF64(p);
}

// ConvertSamples() writes n values = stored x cal (what _mult_cal_one
// does: float64(stored) *= cals), `cals` holding each sample's factor. Flat
// loops over groups of a fixed size, which GCC vectorises at -O2 whatever
// the channel count (a loop of unknown length it vectorises only at -O3).
template <typename T>
void ConvertSamples(const unsigned char* __restrict src, int64_t n, const double* __restrict cals,
                    double* __restrict dst) {
  constexpr int64_t kGroup = 16;
  constexpr int64_t kSize = static_cast<int64_t>(sizeof(T));
  int64_t i = 0;
  for (; i + kGroup <= n; i += kGroup) {
    for (int64_t k = 0; k < kGroup; ++k) {
      dst[i + k] = static_cast<double>(LoadSample<T>(src + (i + k) * kSize)) * cals[i + k];
    }
  }
  for (; i < n; ++i) dst[i] = static_cast<double>(LoadSample<T>(src + i * kSize)) * cals[i];
}

class FifSource final : public TraceSource {
 public:
  struct Part {
    std::string name;
    ScopedFd fd;
  };

  FifSource(RecordingInfo info, std::vector<Part> parts, std::vector<Segment> segments,
            const std::vector<double>& cals, int64_t frames)
      : info_(std::move(info)),
        parts_(std::move(parts)),
        segments_(std::move(segments)),
        channels_(static_cast<int64_t>(cals.size())),
        block_rows_(std::max<int64_t>(1, kCalBlockSamples / channels_)),
        frames_(frames) {
    // The calibration row repeated for a block of rows (a few kB): the
    // conversion is then one flat loop per block.
    cal_block_.reserve(static_cast<size_t>(block_rows_ * channels_));
    for (int64_t r = 0; r < block_rows_; ++r)
      cal_block_.insert(cal_block_.end(), cals.begin(), cals.end());
  }

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return frames_; }
  SampleType sample_type() const override { return SampleType::kFloat64; }

  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    NF_RETURN_IF_ERROR(CheckFrameRange(start, end, frames_));
    const int64_t channels = channels_;
    Traces t = Traces::Uninitialized(SampleType::kFloat64, end - start, channels);
    if (start == end) return t;
    // The segment holding `start`: the last whose first frame is <= start.
    auto it =
        std::upper_bound(segments_.begin(), segments_.end(), start,
                         [](int64_t frame, const Segment& s) { return frame < s.first_frame; });
    --it;
    // Room for one chunk of the widest type (the pool recycles it).
    BufferPool::Block scratch_block;
    unsigned char* scratch = nullptr;
    int64_t frame = start;
    while (frame < end) {
      const Segment& s = *it;
      const int64_t a = frame - s.first_frame;
      const int64_t b = std::min(s.frames, end - s.first_frame);
      double* out = t.row<double>(frame - start);
      if (s.part < 0) {
        std::fill(out, out + (b - a) * channels, 0.0);
      } else {
        const int item = ItemBytes(s.type);
        const int64_t frame_bytes = channels * item;
        const int64_t chunk = std::max<int64_t>(1, kReadChunkBytes / frame_bytes);
        for (int64_t f0 = a; f0 < b; f0 += chunk) {
          const int64_t n = std::min(chunk, b - f0);
          if (scratch == nullptr) {
            scratch_block = BufferPool::Default().Acquire(
                static_cast<size_t>(std::max(kReadChunkBytes, channels * 8)));
            scratch = reinterpret_cast<unsigned char*>(scratch_block.get());
          }
          absl::Status st =
              PreadFully(parts_[s.part].fd.get(), scratch, static_cast<size_t>(n * frame_bytes),
                         s.data_pos + f0 * frame_bytes, parts_[s.part].name);
          if (!st.ok()) {
            return absl::Status(
                st.code(), absl::StrCat("reading frame ", s.first_frame + f0, ": ", st.message()));
          }
          double* d = out + (f0 - a) * channels;
          for (int64_t r = 0; r < n; r += block_rows_) {
            const int64_t samples = std::min(block_rows_, n - r) * channels;
            const unsigned char* src = scratch + r * frame_bytes;
            double* dst = d + r * channels;
            switch (s.type) {
              case kTypeShort:
              case kTypeDauPack16:
                ConvertSamples<int16_t>(src, samples, cal_block_.data(), dst);
                break;
              case kTypeInt:
                ConvertSamples<int32_t>(src, samples, cal_block_.data(), dst);
                break;
              case kTypeFloat:
                ConvertSamples<float>(src, samples, cal_block_.data(), dst);
                break;
              default:
                ConvertSamples<double>(src, samples, cal_block_.data(), dst);
                break;
            }
          }
        }
      }
      frame += b - a;
      ++it;
    }
    return t;
  }

 private:
  RecordingInfo info_;
  std::vector<Part> parts_;
  std::vector<Segment> segments_;  // ordered, contiguous, covering [0, frames_)
  int64_t channels_ = 0;
  int64_t block_rows_ = 1;
  std::vector<double> cal_block_;  // block_rows_ x (range * cal of each channel)
  int64_t frames_ = 0;
};

// ResolvePart() is where the next part `name` (named by `previous`) is
// opened: options.resolve's answer when it is set.
absl::StatusOr<std::string> ResolvePart(const ReaderOptions& options, const std::string& name,
                                        const std::string& previous) {
  if (!options.resolve) return name;
  absl::StatusOr<std::string> resolved = options.resolve(name);
  if (!resolved.ok()) {
    return absl::Status(resolved.status().code(),
                        absl::StrCat(previous, " names its next split part ", name, ": ",
                                     resolved.status().message()));
  }
  return resolved;
}

RecordingInfo MakeRecordingInfo(const MeasInfo& info) {
  RecordingInfo ri;
  ri.sampling_rate_hz = info.sfreq;
  ri.channel_ids = info.ch_names;
  ri.channel_ids_from_file = true;
  ri.unit = std::string("V");  // (not = "V": GCC 12 -Wrestrict false positive)
  ri.channel_types = info.ch_types;
  // Values are SI units (V for EEG): x1e6 is µV (µT, µT/m for MEG).
  ri.gain_to_uv.assign(info.ch_names.size(), 1e6);
  ri.offset_to_uv.assign(info.ch_names.size(), 0.0);
  // MNE writes both corners always (0 and sfreq/2 when nothing was
  // applied); they are unset only when the file has no tag or NaN.
  ri.highpass_hz = info.highpass;
  ri.lowpass_hz = info.lowpass;
  return ri;
}

}  // namespace

absl::StatusOr<OpenedRecording> OpenFif(const std::string& path, const ReaderOptions& options) {
  std::vector<FifSource::Part> parts;
  std::vector<Segment> segments;
  std::vector<Annotation> skip_annotations;
  std::vector<std::string> more_paths;
  std::set<std::string> opened;
  MeasInfo info0;
  std::vector<Annotation> annotations;
  std::optional<int64_t> orig_time_us;
  EventContext ctx;
  int64_t total = 0;
  std::string name = path;       // as MNE names the part (next names follow it)
  std::string open_path = path;  // what is opened (resolved)
  for (int p = 0;; ++p) {
    if (p >= kMaxParts) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": more than ", kMaxParts, " split parts"));
    }
    if (!opened.insert(open_path).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": the split parts form a cycle (", name,
                                                     " is already part of the recording)"));
    }
    absl::StatusOr<std::unique_ptr<FifFile>> opened_file = FifFile::Open(open_path, name);
    if (!opened_file.ok()) {
      // A missing part is an error: MNE warns and returns the parts before
      // it, a recording silently shorter than what was saved.
      if (p > 0 && opened_file.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(
            absl::StrCat(parts.back().name, " names its next split part ", name,
                         " (FIFFB_REF), which is missing: ", opened_file.status().message()));
      }
      return opened_file.status();
    }
    std::unique_ptr<FifFile> f = *std::move(opened_file);
    NF_ASSIGN_OR_RETURN(MeasInfo info, ReadMeasInfo(*f));
    if (p == 0) {
      info0 = info;
      NF_ASSIGN_OR_RETURN(annotations, ReadAnnotations(*f, &orig_time_us));
    } else {
      // _check_raw_compatibility: the parts must agree on what scales and
      // labels the samples.
      if (info.ch_names != info0.ch_names || info.sfreq != info0.sfreq || info.cals != info0.cals) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, ": this split part's channels, calibrations or sampling rate (", info.sfreq,
            " Hz) differ from those of ", path, " (", info0.sfreq, " Hz)"));
      }
    }
    NF_ASSIGN_OR_RETURN(PartData data, IndexRawData(*f, info, p, total));
    if (p == 0) {
      ctx.first_samp = data.first_samp;
      ctx.first_samp_tag = data.first_samp_tag;
    }
    for (Segment s : data.segments) {
      s.first_frame += total;
      segments.push_back(s);
    }
    for (const SkipSpan& s : data.skips) {
      skip_annotations.push_back(Annotation{static_cast<double>(s.start_sample) / info0.sfreq,
                                            static_cast<double>(s.samples) / info0.sfreq,
                                            "BAD_ACQ_SKIP"});
    }
    NF_ASSIGN_OR_RETURN(total, CheckedAdd(total, data.frames, absl::StrCat(path, ": frames")));
    NF_ASSIGN_OR_RETURN(std::optional<std::string> next, NextPartName(*f, name));
    parts.push_back(FifSource::Part{name, f->TakeFd()});
    if (p > 0) more_paths.push_back(open_path);
    if (!next.has_value()) break;
    name = *next;
    NF_ASSIGN_OR_RETURN(open_path, ResolvePart(options, name, parts.back().name));
  }

  ctx.sfreq = info0.sfreq;
  ctx.n_times = total;
  ctx.meas_date_us = info0.meas_date_us;
  NF_ASSIGN_OR_RETURN(
      std::vector<RecordingEvent> events,
      MakeEvents(path, std::move(annotations), orig_time_us, skip_annotations, ctx));

  OpenedRecording out;
  out.format = RecordingFormat::kFif;
  out.data_path = path;
  out.more_data_paths = std::move(more_paths);
  out.events = std::move(events);
  out.source = std::make_shared<FifSource>(MakeRecordingInfo(info0), std::move(parts),
                                           std::move(segments), info0.cals, total);
  return out;
}

}  // namespace neurofeat
