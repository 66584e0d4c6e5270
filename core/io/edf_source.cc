#include "core/io/edf_source.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/checked_math.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

constexpr int64_t kFixedHeaderBytes = 256;
constexpr int64_t kMaxSignals = 4096;
// Bytes read by one pread of a frame range: large reads, bounded memory.
constexpr int64_t kReadBytes = int64_t{8} << 20;
constexpr int64_t kMaxAnnotationBytes = int64_t{64} << 20;

std::string HeaderField(const std::string& h, size_t at, size_t width) {
  return std::string(absl::StripAsciiWhitespace(h.substr(at, width)));
}

// MNE's unit rule (edf.py: the latin-1 labels µV, uV, sjis mu; mV): the
// factor to volts. Any other unit, nV and V included, is taken as is.
double VoltsPer(const std::string& unit) {
  if (unit == "uV" || unit == "\xb5V" || unit == "\x83\xcaV") return 1e-6;
  if (unit == "mV") return 1e-3;
  return 1.0;
}

// MNE's _unique_channel_names: every occurrence of a repeated label gets
// "-<n>" (or "-a", "-b", ... when that name is taken).
void MakeNamesUnique(std::vector<std::string>* names) {
  std::map<std::string, std::vector<size_t>> where;
  for (size_t i = 0; i < names->size(); ++i) where[(*names)[i]].push_back(i);
  for (const auto& [stem, at] : where) {
    if (at.size() < 2) continue;
    for (size_t n = 0; n < at.size(); ++n) {
      std::vector<std::string> suffixes = {absl::StrCat(n)};
      for (char c = 'a'; c <= 'z'; ++c) suffixes.push_back(std::string(1, c));
      for (const std::string& suffix : suffixes) {
        const std::string name = absl::StrCat(stem, "-", suffix);
        if (std::find(names->begin(), names->end(), name) == names->end()) {
          (*names)[at[n]] = name;
          break;
        }
      }
    }
  }
}

// The first "HP:<number>" / "LP:<number>" of the prefiltering fields, as
// MNE's _parse_prefilter_string finds them (it ignores the last signal's).
std::optional<double> FirstFilterValue(const std::vector<std::string>& fields,
                                       absl::string_view key) {
  for (const std::string& f : fields) {
    for (size_t at = f.find(key.data(), 0, key.size()); at != std::string::npos;
         at = f.find(key.data(), at + 1, key.size())) {
      size_t i = at + key.size();
      while (i < f.size() && absl::ascii_isspace(static_cast<unsigned char>(f[i]))) ++i;
      const size_t begin = i;
      while (i < f.size() && absl::ascii_isdigit(static_cast<unsigned char>(f[i]))) ++i;
      if (i == begin) continue;
      while (i < f.size() && f[i] == '.') ++i;
      while (i < f.size() && absl::ascii_isdigit(static_cast<unsigned char>(f[i]))) ++i;
      double v = 0;
      if (absl::SimpleAtod(f.substr(begin, i - begin), &v)) return v;
    }
  }
  return std::nullopt;
}

// info["highpass"] / ["lowpass"] as MNE sets them; MNE's defaults (0 and
// Nyquist) are left unset.
void SetBand(const std::vector<std::string>& prefilters, RecordingInfo* info) {
  std::vector<std::string> fields = prefilters;
  if (!fields.empty()) fields.pop_back();
  std::optional<double> hp = FirstFilterValue(fields, "HP:");
  std::optional<double> lp = FirstFilterValue(fields, "LP:");
  if (lp.has_value() && *lp == 0) lp.reset();
  const double nyquist = info->sampling_rate_hz / 2;
  if (hp.value_or(0) > lp.value_or(nyquist)) hp.reset(), lp.reset();
  if (hp.has_value() && *hp > 0) info->highpass_hz = hp;
  if (lp.has_value() && *lp != nyquist) info->lowpass_hz = lp;
}

int32_t DecodeSample(const unsigned char* p, int bytes) {
  if (bytes == 2) return static_cast<int16_t>(p[0] | (p[1] << 8));
  return static_cast<int32_t>(static_cast<uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16)) << 8) >> 8;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EdfSource>> EdfSource::Open(const std::string& path) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  const int64_t file_size = file.size;
  auto src = std::unique_ptr<EdfSource>(new EdfSource());
  src->fd_ = std::move(file.fd);
  src->path_ = path;
  if (file_size < kFixedHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", file_size, " bytes is shorter than an EDF/BDF header (256)"));
  }
  std::string fixed(kFixedHeaderBytes, '\0');
  NF_RETURN_IF_ERROR(PreadFully(src->fd_.get(), fixed.data(), fixed.size(), 0, path));
  const bool bdf = static_cast<unsigned char>(fixed[0]) == 0xFF;
  src->bytes_per_sample_ = bdf ? 3 : 2;
  int64_t header_bytes = 0, records = 0, ns = 0;
  double record_s = 0;
  auto bad = [&](const char* field, const std::string& value, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": header field ", field, "=\"", value, "\" ", why));
  };
  if (!absl::SimpleAtoi(HeaderField(fixed, 252, 4), &ns) || ns < 1 || ns > kMaxSignals) {
    return bad("number of signals", HeaderField(fixed, 252, 4),
               absl::StrCat("is not a count in [1, ", kMaxSignals, "]"));
  }
  if (!absl::SimpleAtoi(HeaderField(fixed, 184, 8), &header_bytes) ||
      header_bytes != kFixedHeaderBytes * (ns + 1)) {
    return bad("header bytes", HeaderField(fixed, 184, 8),
               absl::StrCat("should be 256 x (1 + ", ns, " signals)"));
  }
  if (header_bytes > file_size) {
    return absl::DataLossError(absl::StrCat(path, ": the header of ", header_bytes,
                                            " bytes is longer than the file (", file_size, ")"));
  }
  if (!absl::SimpleAtoi(HeaderField(fixed, 236, 8), &records) || (records < 1 && records != -1) ||
      records > kMaxCount) {
    return bad("number of data records", HeaderField(fixed, 236, 8), "is not a count (or -1)");
  }
  if (!absl::SimpleAtod(HeaderField(fixed, 244, 8), &record_s) || !(record_s > 0) ||
      !std::isfinite(record_s)) {
    return bad("duration of a data record", HeaderField(fixed, 244, 8),
               "is not a positive number of seconds");
  }
  std::string h(static_cast<size_t>(header_bytes), '\0');
  NF_RETURN_IF_ERROR(PreadFully(src->fd_.get(), h.data(), h.size(), 0, path));
  auto field = [&](int64_t base, int64_t width, int64_t s) {
    return HeaderField(h, kFixedHeaderBytes + base * ns + s * width, width);
  };
  std::map<int64_t, std::vector<std::string>> by_rate;
  std::vector<std::string> prefilters;
  int64_t offset = 0;
  for (int64_t s = 0; s < ns; ++s) {
    const std::string label = field(0, 16, s);
    int64_t spr = 0;
    if (!absl::SimpleAtoi(field(216, 8, s), &spr) || spr < 1 || spr > kMaxCount) {
      return bad(absl::StrCat("samples per record of signal ", s, " (", label, ")").c_str(),
                 field(216, 8, s), "is not a count >= 1");
    }
    prefilters.push_back(field(136, 80, s));
    if (label == "EDF Annotations" || label == "BDF Annotations") {
      src->annotations_.push_back({offset, spr});
      offset += spr;
      continue;
    }
    double v[4] = {0, 0, 0, 0};  // pmin, pmax, dmin, dmax
    for (int k = 0; k < 4; ++k) {
      if (!absl::SimpleAtod(field(104 + 8 * k, 8, s), &v[k]) || !std::isfinite(v[k])) {
        static const char* kNames[] = {"physical minimum", "physical maximum", "digital minimum",
                                       "digital maximum"};
        return bad(absl::StrCat(kNames[k], " of signal ", s, " (", label, ")").c_str(),
                   field(104 + 8 * k, 8, s), "is not a finite number");
      }
    }
    // MNE takes an undefined range (zero width) as 1 and warns.
    const double physical = v[1] - v[0] != 0 ? v[1] - v[0] : 1.0;
    const double digital = v[3] - v[2] != 0 ? v[3] - v[2] : 1.0;
    Signal sig;
    sig.offset_in_record = offset;
    const std::string lower = absl::AsciiStrToLower(label);
    sig.stim = lower == "status" || lower == "trigger";
    sig.cal = sig.stim && bdf ? 1.0 : physical / digital;
    sig.offset = sig.stim && bdf ? 0.0 : v[0] - v[2] * sig.cal;
    sig.unit = sig.stim ? 1.0 : VoltsPer(field(96, 8, s));
    src->signals_.push_back(sig);
    src->info_.channel_ids.push_back(label);
    src->info_.channel_types.push_back(sig.stim ? "stim" : "eeg");
    by_rate[spr].push_back(label);
    offset += spr;
  }
  if (src->signals_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no signals besides annotations"));
  }
  if (by_rate.size() > 1) {
    std::vector<std::string> groups;
    for (const auto& [n, labels] : by_rate) {
      groups.push_back(absl::StrCat(n / record_s, " Hz: ", absl::StrJoin(labels, ",")));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": signals have different sampling rates (", absl::StrJoin(groups, "; "),
                     "); one rate per recording is supported"));
  }
  MakeNamesUnique(&src->info_.channel_ids);
  src->header_bytes_ = header_bytes;
  src->samples_per_record_ = by_rate.begin()->first;
  src->record_samples_ = offset;
  src->info_.sampling_rate_hz = static_cast<double>(src->samples_per_record_) / record_s;
  if (!(src->info_.sampling_rate_hz <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", src->samples_per_record_,
                                                   " samples per ", record_s,
                                                   " s record is not a sampling rate"));
  }
  // Every size from the header is checked against the file's real size.
  NF_ASSIGN_OR_RETURN(const int64_t record_bytes,
                      CheckedMul(offset, src->bytes_per_sample_, path + ": record size"));
  const int64_t whole_records = (file_size - header_bytes) / record_bytes;
  if (records == -1) records = whole_records;
  if (records < 1) {
    return absl::DataLossError(absl::StrCat(path, ": no whole data record after the header"));
  }
  if (records > whole_records) {
    return absl::DataLossError(absl::StrCat(
        path, " is truncated: the header promises ", records, " records (",
        records * src->samples_per_record_, " frames) but the file holds ", whole_records,
        "; frame ", whole_records * src->samples_per_record_, " onwards is missing"));
  }
  src->records_ = records;
  NF_ASSIGN_OR_RETURN(src->frames_, CheckedMul(records, src->samples_per_record_, path));
  for (size_t c = 0; c < src->signals_.size(); ++c) {
    src->info_.gain_to_uv.push_back(src->signals_[c].stim ? 1.0 : 1e6);
    src->info_.offset_to_uv.push_back(0.0);
  }
  src->info_.unit = "V";
  src->info_.channel_ids_from_file = true;
  SetBand(prefilters, &src->info_);
  return src;
}

absl::StatusOr<Traces> EdfSource::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, frames_));
  const int64_t spr = samples_per_record_;
  const int64_t channels = num_channels();
  const int64_t record_bytes = record_samples_ * bytes_per_sample_;
  Traces t = Traces::Uninitialized(SampleType::kFloat64, end - start, channels);
  if (end == start) return t;
  const int64_t first = start / spr, last = (end - 1) / spr;  // records, inclusive
  const int64_t per_read = std::max<int64_t>(1, kReadBytes / record_bytes);
  std::vector<unsigned char> buf(
      static_cast<size_t>(std::min(per_read, last - first + 1) * record_bytes));
  for (int64_t r0 = first; r0 <= last; r0 += per_read) {
    const int64_t n = std::min(per_read, last - r0 + 1);
    NF_RETURN_IF_ERROR(PreadFully(fd_.get(), buf.data(), static_cast<size_t>(n * record_bytes),
                                  header_bytes_ + r0 * record_bytes, path_));
    for (int64_t r = r0; r < r0 + n; ++r) {
      const int64_t k0 = std::max<int64_t>(start - r * spr, 0);
      const int64_t k1 = std::min<int64_t>(end - r * spr, spr);
      const unsigned char* record = buf.data() + (r - r0) * record_bytes;
      double* out = t.data<double>() + (r * spr + k0 - start) * channels;
      for (int64_t c = 0; c < channels; ++c) {
        const Signal& s = signals_[static_cast<size_t>(c)];
        const unsigned char* p = record + (s.offset_in_record + k0) * bytes_per_sample_;
        double* o = out + c;
        for (int64_t k = k0; k < k1; ++k, p += bytes_per_sample_, o += channels) {
          // MNE's order: d * cal, + offset, * unit.
          double v = static_cast<double>(DecodeSample(p, bytes_per_sample_)) * s.cal;
          v += s.offset;
          v *= s.unit;
          *o = s.stim ? static_cast<double>(static_cast<int64_t>(v) & ((1 << 17) - 1)) : v;
        }
      }
    }
  }
  return t;
}

absl::StatusOr<std::vector<RecordingEvent>> EdfSource::Events() const {
  std::vector<RecordingEvent> events;
  if (annotations_.empty()) return events;
  int64_t per_record = 0;
  for (const auto& a : annotations_) per_record += a.second * bytes_per_sample_;
  NF_ASSIGN_OR_RETURN(const int64_t total, CheckedMul(per_record, records_, path_));
  if (total > kMaxAnnotationBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ": ", total, " bytes of annotations, more than the ", kMaxAnnotationBytes, " read"));
  }
  std::string tals;
  tals.reserve(static_cast<size_t>(total));
  const int64_t record_bytes = record_samples_ * bytes_per_sample_;
  std::string piece;
  for (int64_t r = 0; r < records_; ++r) {
    for (const auto& [offset, spr] : annotations_) {
      piece.resize(static_cast<size_t>(spr * bytes_per_sample_));
      NF_RETURN_IF_ERROR(PreadFully(fd_.get(), piece.data(), piece.size(),
                                    header_bytes_ + r * record_bytes + offset * bytes_per_sample_,
                                    path_));
      tals += piece;  // EDF's 2 and BDF's 3 bytes per sample are all text
    }
  }
  // A TAL: [+-]onset [\x15 duration] \x14 text \x14 [text \x14 ...] \x00.
  const double fs = info_.sampling_rate_hz;
  size_t i = 0;
  while (i < tals.size()) {
    if (tals[i] != '+' && tals[i] != '-') {
      ++i;
      continue;
    }
    const size_t end = tals.find(std::string("\x14\x00", 2), i);
    if (end == std::string::npos) break;
    const std::string tal = tals.substr(i, end - i + 1);
    i = end + 2;
    const size_t text = tal.find('\x14');
    const std::string timing = tal.substr(0, text);
    const size_t dur_at = timing.find('\x15');
    double onset = 0, duration = 0;
    if (!absl::SimpleAtod(timing.substr(0, dur_at), &onset) ||
        (dur_at != std::string::npos && !absl::SimpleAtod(timing.substr(dur_at + 1), &duration))) {
      continue;  // not a TAL (MNE's pattern would not match it either)
    }
    std::vector<std::string> texts = absl::StrSplit(tal.substr(text + 1), '\x14');
    for (const std::string& description : texts) {
      if (description.empty()) continue;
      RecordingEvent e;
      e.onset_frame = static_cast<int64_t>(std::nearbyint(onset * fs));
      e.duration_frames = static_cast<int64_t>(std::nearbyint(duration * fs));
      e.description = description;
      events.push_back(std::move(e));
    }
  }
  return events;
}

}  // namespace neurofeat
