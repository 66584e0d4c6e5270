#include "core/io/edf_source.h"

#include <edflib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

const char* EdfError(int code) {
  switch (code) {
    case EDFLIB_MALLOC_ERROR:
      return "out of memory";
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY:
      return "no such file";
    case EDFLIB_FILE_CONTAINS_FORMAT_ERRORS:
      return "the file is not valid EDF/EDF+/BDF/BDF+";
    case EDFLIB_MAXFILES_REACHED:
      return "too many EDF files open";
    case EDFLIB_FILE_READ_ERROR:
      return "read error";
    case EDFLIB_FILE_ALREADY_OPENED:
      return "already open";
    default:
      return "cannot open";
  }
}

// Physical unit -> factor to µV; 1 when the unit is not a voltage.
double MicrovoltsPer(const std::string& unit) {
  const std::string u = absl::AsciiStrToLower(absl::StripAsciiWhitespace(unit));
  if (u == "v") return 1e6;
  if (u == "mv") return 1e3;
  if (u == "nv") return 1e-3;
  return 1.0;  // uV, µV, or not a voltage
}

}  // namespace

absl::StatusOr<std::unique_ptr<EdfSource>> EdfSource::Open(const std::string& path) {
  // EDFlib opens by name; it gets the name of a descriptor already checked
  // to be a regular file, so a FIFO can never block it.
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  // The header struct holds every signal's parameters (~60 kB): heap, not stack.
  auto hdr_owner = std::make_unique<edf_hdr_struct>();
  edf_hdr_struct& hdr = *hdr_owner;
  if (edfopen_file_readonly(FdPath(file.fd.get()).c_str(), &hdr, EDFLIB_DO_NOT_READ_ANNOTATIONS) !=
      0) {
    if (hdr.filetype == EDFLIB_NO_SUCH_FILE_OR_DIRECTORY) {
      return absl::NotFoundError(absl::StrCat("file not found: ", path));
    }
    if (hdr.filetype == EDFLIB_FILE_CONTAINS_FORMAT_ERRORS)
      return OpenDirect(std::move(file), path);
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", EdfError(hdr.filetype)));
  }
  auto src = std::unique_ptr<EdfSource>(new EdfSource());
  src->handle_ = hdr.handle;
  src->path_ = path;
  // EDFlib refuses a second open of a name it holds open; keeping the
  // descriptor keeps its "/proc/self/fd/N" name unique while EDFlib has it.
  src->fd_ = std::move(file.fd);
  if (hdr.edfsignals < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no signals besides annotations"));
  }
  std::map<int, std::vector<std::string>> by_rate;
  for (int s = 0; s < hdr.edfsignals; ++s) {
    by_rate[hdr.signalparam[s].smp_in_datarecord].push_back(
        std::string(absl::StripAsciiWhitespace(hdr.signalparam[s].label)));
  }
  const double record_s = static_cast<double>(hdr.datarecord_duration) / EDFLIB_TIME_DIMENSION;
  if (by_rate.size() > 1) {
    std::vector<std::string> groups;
    for (const auto& [n, labels] : by_rate) {
      groups.push_back(absl::StrCat(n / record_s, " Hz: ", absl::StrJoin(labels, ",")));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": signals have different sampling rates (", absl::StrJoin(groups, "; "),
                     "); one rate per recording is supported"));
  }
  src->frames_ = hdr.signalparam[0].smp_in_file;
  src->info_.sampling_rate_hz = hdr.signalparam[0].smp_in_datarecord / record_s;
  if (src->frames_ < 1 || !(src->info_.sampling_rate_hz > 0) ||
      !(src->info_.sampling_rate_hz <= kMaxSamplingRateHz) || hdr.edfsignals > kMaxChannels) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header states ", src->frames_,
                                                   " frames at ", src->info_.sampling_rate_hz,
                                                   " Hz of ", hdr.edfsignals, " signals"));
  }
  for (int s = 0; s < hdr.edfsignals; ++s) {
    src->info_.channel_ids.push_back(
        std::string(absl::StripAsciiWhitespace(hdr.signalparam[s].label)));
    src->info_.gain_to_uv.push_back(MicrovoltsPer(hdr.signalparam[s].physdimension));
    src->info_.offset_to_uv.push_back(0.0);
  }
  return src;
}

EdfSource::~EdfSource() {
  if (handle_ >= 0) edfclose_file(handle_);
}

namespace {

std::string HeaderField(const std::string& h, size_t at, size_t width) {
  return std::string(absl::StripAsciiWhitespace(h.substr(at, width)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EdfSource>> EdfSource::OpenDirect(OpenedFile file,
                                                                 const std::string& path) {
  const int fd = file.fd.get();
  const int64_t file_size = file.size;
  auto src = std::unique_ptr<EdfSource>(new EdfSource());
  src->fd_ = std::move(file.fd);
  src->path_ = path;
  if (file_size < 256) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid EDF/BDF header"));
  }
  std::string fixed(256, '\0');
  NF_RETURN_IF_ERROR(PreadFully(fd, fixed.data(), 256, 0, path));
  const bool bdf = static_cast<unsigned char>(fixed[0]) == 0xFF;
  src->bytes_per_sample_ = bdf ? 3 : 2;
  int64_t header_bytes = 0, records = 0, ns = 0;
  double record_s = 0;
  if (!absl::SimpleAtoi(HeaderField(fixed, 184, 8), &header_bytes) ||
      !absl::SimpleAtoi(HeaderField(fixed, 236, 8), &records) ||
      !absl::SimpleAtod(HeaderField(fixed, 244, 8), &record_s) ||
      !absl::SimpleAtoi(HeaderField(fixed, 252, 4), &ns) || ns < 1 || ns > 4096 ||
      header_bytes != 256 * (ns + 1) || header_bytes > file_size || records < 1 ||
      records > kMaxCount || !(record_s > 0) || !std::isfinite(record_s)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid EDF/BDF header"));
  }
  std::string h(header_bytes, '\0');
  NF_RETURN_IF_ERROR(PreadFully(fd, h.data(), header_bytes, 0, path));
  auto field = [&](int64_t base_width_offset, int64_t width, int64_t s) {
    return HeaderField(h, 256 + base_width_offset * ns + s * width, width);
  };
  std::map<int64_t, std::vector<std::string>> by_rate;
  int64_t offset = 0;
  for (int64_t s = 0; s < ns; ++s) {
    const std::string label = field(0, 16, s);
    double pmin = 0, pmax = 0, dmin = 0, dmax = 0;
    int64_t spr = 0;
    if (!absl::SimpleAtod(field(104, 8, s), &pmin) || !absl::SimpleAtod(field(112, 8, s), &pmax) ||
        !absl::SimpleAtod(field(120, 8, s), &dmin) || !absl::SimpleAtod(field(128, 8, s), &dmax) ||
        !absl::SimpleAtoi(field(216, 8, s), &spr) || spr < 1 || spr > kMaxCount || dmax == dmin ||
        !std::isfinite(pmin) || !std::isfinite(pmax) || !std::isfinite(dmin) ||
        !std::isfinite(dmax)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": signal ", s, " (", label, ") has a malformed header"));
    }
    if (label != "EDF Annotations" && label != "BDF Annotations") {
      Signal sig;
      sig.offset_in_record = offset;
      sig.scale = (pmax - pmin) / (dmax - dmin);
      sig.dmin = dmin;
      sig.pmin = pmin;
      src->signals_.push_back(sig);
      src->info_.channel_ids.push_back(label);
      src->info_.gain_to_uv.push_back(MicrovoltsPer(field(96, 8, s)));
      src->info_.offset_to_uv.push_back(0.0);
      by_rate[spr].push_back(label);
    }
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
  src->header_bytes_ = header_bytes;
  src->samples_per_record_ = by_rate.begin()->first;
  src->record_samples_ = offset;
  src->info_.sampling_rate_hz = src->samples_per_record_ / record_s;
  if (!(src->info_.sampling_rate_hz <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", src->samples_per_record_,
                                                   " samples per ", record_s,
                                                   " s record is not a sampling rate"));
  }
  // Every size from the header is checked against the file's real size.
  absl::StatusOr<int64_t> frames = CheckedMul(records, src->samples_per_record_, path);
  absl::StatusOr<int64_t> data =
      CheckedProduct({records, offset, src->bytes_per_sample_}, absl::StrCat(path, ": records"));
  if (!frames.ok() || !data.ok() || *data > file_size - header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is truncated: the header promises ", records, " records of ", offset,
                     " samples, more than its ", file_size, " bytes hold"));
  }
  src->frames_ = *frames;
  return src;
}

absl::StatusOr<Traces> EdfSource::ReadDirect(int64_t start, int64_t end) const {
  const int64_t spr = samples_per_record_;
  const int64_t r0 = start / spr, r1 = (end + spr - 1) / spr;
  const int64_t record_bytes = record_samples_ * bytes_per_sample_;
  std::vector<unsigned char> buf((r1 - r0) * record_bytes);
  NF_RETURN_IF_ERROR(
      PreadFully(fd_.get(), buf.data(), buf.size(), header_bytes_ + r0 * record_bytes, path_));
  Traces t = Traces::Uninitialized(SampleType::kFloat64, end - start, num_channels());
  for (int64_t f = start; f < end; ++f) {
    const int64_t r = f / spr - r0, k = f % spr;
    double* row = t.row<double>(f - start);
    for (size_t c = 0; c < signals_.size(); ++c) {
      const Signal& s = signals_[c];
      const unsigned char* p =
          buf.data() + r * record_bytes + (s.offset_in_record + k) * bytes_per_sample_;
      int32_t d = bytes_per_sample_ == 2 ? static_cast<int16_t>(p[0] | (p[1] << 8))
                                         : ((p[0] | (p[1] << 8) | (p[2] << 16)) << 8) >> 8;
      row[c] = (d - s.dmin) * s.scale + s.pmin;
    }
  }
  return t;
}

absl::StatusOr<Traces> EdfSource::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, frames_));
  if (handle_ < 0) return ReadDirect(start, end);
  const int64_t channels = num_channels();
  const int64_t n = end - start;
  Traces t = Traces::Uninitialized(SampleType::kFloat64, n, channels);
  std::vector<double> buf(n);
  MutexLock lock(&mu_);
  for (int64_t c = 0; c < channels; ++c) {
    if (edfseek(handle_, static_cast<int>(c), start, EDFSEEK_SET) != start) {
      return absl::InternalError(absl::StrCat(path_, ": seek to frame ", start, " failed"));
    }
    int64_t done = 0;
    while (done < n) {
      const int want = static_cast<int>(std::min<int64_t>(n - done, 1 << 20));
      const int got =
          edfread_physical_samples(handle_, static_cast<int>(c), want, buf.data() + done);
      if (got <= 0) {
        return absl::DataLossError(
            absl::StrCat(path_, ": reading signal ", c, " at frame ", start + done, " failed"));
      }
      done += got;
    }
    for (int64_t i = 0; i < n; ++i) t.row<double>(i)[c] = buf[i];
  }
  return t;
}

}  // namespace neurofeat
