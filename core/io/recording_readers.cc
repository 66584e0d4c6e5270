#include "core/io/recording_readers.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/checked_math.h"
#include "core/io/binary_source.h"
#include "core/io/brainvision_source.h"
#include "core/io/edf_source.h"
#include "core/io/eeglab_source.h"
#include "core/io/fif_source.h"
#include "core/io/neuropixels.h"
#include "core/io/npy.h"
#include "core/io/nwb_source.h"
#include "core/io/openephys_settings.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat {
namespace {

absl::StatusOr<std::string> Resolve(const ReaderOptions& options, const std::string& path) {
  if (options.resolve) return options.resolve(path);
  return path;
}

// Sidecars (.meta, structure.oebin) are small; a huge one is refused
// rather than loaded.
constexpr int64_t kMaxSidecarBytes = int64_t{16} << 20;

absl::StatusOr<std::string> ReadText(const std::string& path) {
  return ReadSmallFile(path, kMaxSidecarBytes);
}

// A sampling rate from a file header: finite, in (0, kMaxSamplingRateHz].
absl::Status CheckRate(double fs, const std::string& field) {
  if (!(fs > 0) || !(fs <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", fs, " Hz is not a sampling rate in (0, ", kMaxSamplingRateHz, "]"));
  }
  return absl::OkStatus();
}

// The format a name says, case-insensitively; kAuto when it says none.
RecordingFormat FormatOfName(const std::string& path) {
  const std::string p = absl::AsciiStrToLower(path);
  static const std::pair<const char*, RecordingFormat> kSuffixes[] = {
      {".npy", RecordingFormat::kNpy},      {".oebin", RecordingFormat::kOpenEphys},
      {".edf", RecordingFormat::kEdf},      {".bdf", RecordingFormat::kEdf},
      {".bin", RecordingFormat::kSpikeGlx}, {".vhdr", RecordingFormat::kBrainVision},
      {".set", RecordingFormat::kEeglab},   {".fif", RecordingFormat::kFif},
      {".nwb", RecordingFormat::kNwb},
  };
  for (const auto& [suffix, format] : kSuffixes) {
    if (absl::EndsWith(p, suffix)) return format;
  }
  return RecordingFormat::kAuto;
}

// The format a file's first bytes say; kAuto when they say none (raw
// binary, SpikeGLX and Open Ephys have no magic of their own).
RecordingFormat FormatOfHeader(absl::string_view head) {
  auto starts = [&](absl::string_view magic) { return absl::StartsWith(head, magic); };
  if (starts("\x93NUMPY")) return RecordingFormat::kNpy;
  if (starts("0       ") || starts("\xff"
                                   "BIOSEMI"))
    return RecordingFormat::kEdf;
  if (starts("Brain Vision Data Exchange Header File") ||
      starts("BrainVision Data Exchange Header File")) {
    return RecordingFormat::kBrainVision;
  }
  // MAT v5 and v7.3 (HDF5 behind a 512-byte MATLAB header): EEGLAB sets.
  if (starts("MATLAB 5.0 MAT-file") || starts("MATLAB 7.3 MAT-file")) {
    return RecordingFormat::kEeglab;
  }
  if (starts("\x89HDF\r\n\x1a\n")) return RecordingFormat::kNwb;
  // FIF: the first tag is FIFF_FILE_ID (kind 100) of type FIFFT_ID_STRUCT
  // (31), big-endian.
  if (starts(absl::string_view("\0\0\0\x64\0\0\0\x1f", 8))) return RecordingFormat::kFif;
  return RecordingFormat::kAuto;
}

// ---- SpikeGLX --------------------------------------------------------------

using Meta = std::map<std::string, std::string>;

Meta ParseMeta(const std::string& text) {
  Meta meta;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    if (!key.empty() && key[0] == '~') key = key.substr(1);
    meta[key] = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return meta;
}

absl::StatusOr<double> MetaNumber(const Meta& meta, const std::string& key,
                                  const std::string& path) {
  auto it = meta.find(key);
  double v = 0;
  if (it == meta.end() || !absl::SimpleAtod(it->second, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", key,
        it == meta.end() ? " is missing" : absl::StrCat(" is not a finite number: ", it->second)));
  }
  return v;
}

// A meta number that must be a whole number in [lo, hi].
absl::StatusOr<int64_t> MetaInteger(const Meta& meta, const std::string& key,
                                    const std::string& path, int64_t lo, int64_t hi) {
  auto it = meta.find(key);
  int64_t v = 0;
  if (it == meta.end() || !absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", key,
        it == meta.end() ? " is missing" : absl::StrCat(" is not a whole number: ", it->second)));
  }
  NF_RETURN_IF_ERROR(CheckCount(v, lo, hi, absl::StrCat(path, ": ", key)));
  return v;
}

// A positive finite meta number, with a default when absent.
absl::StatusOr<double> MetaPositiveOr(const Meta& meta, const std::string& key,
                                      const std::string& path, double fallback) {
  if (meta.count(key) == 0) return fallback;
  NF_ASSIGN_OR_RETURN(double v, MetaNumber(meta, key, path));
  if (!(v > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key, "=", v, " must be > 0"));
  }
  return v;
}

// Per-channel gains of an imec probe's AP or LF band from the imro table:
// NP 1.0 entries are (chan bank ref apgain lfgain hpf); 2.0 probes have a
// fixed gain of 80.
absl::StatusOr<std::vector<double>> ImroGains(const std::string& imro, bool lf, int64_t count,
                                              const std::string& path) {
  std::vector<double> gains;
  std::vector<std::string> entries = absl::StrSplit(imro, '(', absl::SkipEmpty());
  for (size_t i = 1; i < entries.size() && static_cast<int64_t>(gains.size()) < count; ++i) {
    std::string e = entries[i];  // entry 0 is the header
    if (!e.empty() && e.back() == ')') e.pop_back();
    std::vector<std::string> f = absl::StrSplit(e, ' ', absl::SkipEmpty());
    double g = 80.0;
    if (f.size() >= 6 && absl::SimpleAtod(f[lf ? 4 : 3], &g)) {
      if (!(g > 0) || !std::isfinite(g)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": imroTbl entry ", i - 1, " has gain ", f[lf ? 4 : 3]));
      }
      gains.push_back(g);
    } else {
      gains.push_back(80.0);
    }
  }
  gains.resize(static_cast<size_t>(count), gains.empty() ? 80.0 : gains.back());
  return gains;
}

// A Neuropixels 1.0 by its imro table's type, imDatPrb_type or part number.
bool IsNeuropixels1(const Meta& meta) {
  int type = -1;
  if (auto it = meta.find("imroTbl"); it != meta.end()) {
    const size_t open = it->second.find('('), comma = it->second.find(',');
    if (open != std::string::npos && comma != std::string::npos && comma > open) {
      if (!absl::SimpleAtoi(it->second.substr(open + 1, comma - open - 1), &type)) type = -1;
    }
  }
  if (type < 0) {
    if (auto it = meta.find("imDatPrb_type"); it != meta.end()) {
      if (!absl::SimpleAtoi(it->second, &type)) type = -1;
    }
  }
  if (type == 0) return true;
  if (auto it = meta.find("imDatPrb_pn"); it != meta.end()) {
    return IsNeuropixels1PartNumber(it->second);
  }
  return false;
}

// The readout channel of each saved neural channel: snsSaveChanSubset
// ("all", or ranges "0:383,768") in order.
absl::StatusOr<std::vector<int64_t>> SavedReadoutChannels(const Meta& meta, int64_t neural,
                                                          const std::string& meta_path) {
  std::vector<int64_t> out;
  auto it = meta.find("snsSaveChanSubset");
  if (it == meta.end() || it->second == "all") {
    for (int64_t c = 0; c < neural; ++c) out.push_back(c);
    return out;
  }
  for (absl::string_view part : absl::StrSplit(it->second, ',')) {
    std::vector<absl::string_view> ab = absl::StrSplit(part, ':');
    int64_t a = 0, b = 0;
    if (ab.empty() || ab.size() > 2 || !absl::SimpleAtoi(ab[0], &a) ||
        !absl::SimpleAtoi(ab.back(), &b) || a < 0 || b < a || b >= kMaxChannels) {
      return absl::InvalidArgumentError(
          absl::StrCat(meta_path, ": snsSaveChanSubset=", it->second, " is not a list of ranges"));
    }
    for (int64_t c = a; c <= b && static_cast<int64_t>(out.size()) < neural; ++c) out.push_back(c);
  }
  if (static_cast<int64_t>(out.size()) < neural) {
    return absl::InvalidArgumentError(absl::StrCat(meta_path, ": snsSaveChanSubset=", it->second,
                                                   " names fewer than the ", neural,
                                                   " neural channels saved"));
  }
  out.resize(static_cast<size_t>(neural));
  return out;
}

absl::StatusOr<OpenedRecording> OpenSpikeGlx(const std::string& bin, const ReaderOptions& options) {
  std::string meta_path = bin;
  if (!absl::EndsWith(meta_path, ".bin")) {
    return absl::InvalidArgumentError(absl::StrCat(bin, ": a SpikeGLX path ends in .bin"));
  }
  meta_path.replace(meta_path.size() - 4, 4, ".meta");
  NF_ASSIGN_OR_RETURN(meta_path, Resolve(options, meta_path));
  NF_ASSIGN_OR_RETURN(std::string text, ReadText(meta_path));
  const Meta meta = ParseMeta(text);
  // Every header number is checked before it sizes anything.
  NF_ASSIGN_OR_RETURN(const int64_t channels,
                      MetaInteger(meta, "nSavedChans", meta_path, 1, kMaxChannels));
  const bool imec = meta.count("imSampRate") > 0;
  const std::string rate_key = imec ? "imSampRate" : "niSampRate";
  NF_ASSIGN_OR_RETURN(double fs, MetaNumber(meta, rate_key, meta_path));
  NF_RETURN_IF_ERROR(CheckRate(fs, absl::StrCat(meta_path, ": ", rate_key)));
  RecordingInfo info;
  info.sampling_rate_hz = fs;
  const bool lf = absl::EndsWith(bin, ".lf.bin");
  // Channel counts by kind: imec "AP,LF,SY", nidq "MN,MA,XA,DW"; they must
  // add up to nSavedChans.
  const std::string counts_key = imec ? "snsApLfSy" : "snsMnMaXaDw";
  std::vector<int64_t> counts;
  if (auto it = meta.find(counts_key); it != meta.end()) {
    int64_t total = 0;
    for (absl::string_view c : absl::StrSplit(it->second, ',')) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(c, &v) || v < 0 || v > channels) {
        return absl::InvalidArgumentError(
            absl::StrCat(meta_path, ": ", counts_key, "=", it->second, " is not a list of counts"));
      }
      counts.push_back(v);
      total += v;
    }
    if (total != channels) {
      return absl::InvalidArgumentError(absl::StrCat(meta_path, ": ", counts_key, "=", it->second,
                                                     " does not add up to nSavedChans=", channels));
    }
  }
  if (imec) {
    NF_ASSIGN_OR_RETURN(const double range, MetaPositiveOr(meta, "imAiRangeMax", meta_path, 0.6));
    NF_ASSIGN_OR_RETURN(const double max_int, MetaPositiveOr(meta, "imMaxInt", meta_path, 512.0));
    const int64_t neural = counts.size() == 3 ? counts[0] + counts[1] : channels - 1;
    NF_ASSIGN_OR_RETURN(
        const std::vector<double> gains,
        ImroGains(meta.count("imroTbl") ? meta.at("imroTbl") : "", lf, neural, meta_path));
    for (int64_t c = 0; c < channels; ++c) {
      const bool sync = c >= neural;
      info.channel_ids.push_back(sync ? absl::StrCat("SY", c - neural)
                                      : absl::StrCat(lf ? "LF" : "AP", c));
      info.gain_to_uv.push_back(sync ? 1.0 : range / max_int / gains[c] * 1e6);
      info.offset_to_uv.push_back(0.0);
    }
    if (!IsNeuropixels1(meta)) {
      info.inter_sample_shift_note = absl::StrCat(
          meta_path, ": the probe is not a Neuropixels 1.0; its shifts are not known here");
    } else {
      info.inter_sample_shift_note = absl::StrCat(meta_path, ": Neuropixels 1.0");
      NF_ASSIGN_OR_RETURN(const std::vector<int64_t> readout,
                          SavedReadoutChannels(meta, neural, meta_path));
      for (int64_t c = 0; c < channels; ++c) {
        // The sync channel is not multiplexed: no shift.
        info.inter_sample_shift.push_back(c < neural ? Neuropixels1Shift(readout[c], !lf) : 0.0);
      }
    }
  } else {
    NF_ASSIGN_OR_RETURN(const double range, MetaPositiveOr(meta, "niAiRangeMax", meta_path, 5.0));
    NF_ASSIGN_OR_RETURN(const double max_int, MetaPositiveOr(meta, "niMaxInt", meta_path, 32768.0));
    NF_ASSIGN_OR_RETURN(const double mn_gain, MetaPositiveOr(meta, "niMNGain", meta_path, 1.0));
    NF_ASSIGN_OR_RETURN(const double ma_gain, MetaPositiveOr(meta, "niMAGain", meta_path, 1.0));
    const int64_t mn = counts.size() == 4 ? counts[0] : 0;
    const int64_t ma = counts.size() == 4 ? counts[1] : 0;
    const int64_t xa = counts.size() == 4 ? counts[2] : channels;
    for (int64_t c = 0; c < channels; ++c) {
      info.channel_ids.push_back(absl::StrCat("NI", c));
      const double gain = c < mn ? mn_gain : (c < mn + ma ? ma_gain : 1.0);
      const bool analog = c < mn + ma + xa;
      info.gain_to_uv.push_back(analog ? range / max_int / gain * 1e6 : 1.0);
      info.offset_to_uv.push_back(0.0);
    }
  }
  BinaryLayout layout;
  layout.type = SampleType::kInt16;
  layout.channels = channels;
  layout.channels_field = absl::StrCat(meta_path, ": nSavedChans");
  if (meta.count("fileSizeBytes")) {
    // The .bin may still grow while SpikeGLX records; the header's size is
    // what was complete when the .meta was written. It must fit the file.
    NF_ASSIGN_OR_RETURN(const int64_t bytes,
                        MetaInteger(meta, "fileSizeBytes", meta_path, 0, kMaxCount));
    layout.frames = bytes / (2 * channels);
  }
  absl::StatusOr<std::unique_ptr<InterleavedBinarySource>> src =
      InterleavedBinarySource::Open(bin, layout, std::move(info));
  if (!src.ok() && meta.count("fileSizeBytes") &&
      absl::StrContains(src.status().message(), "truncated")) {
    return absl::InvalidArgumentError(
        absl::StrCat(meta_path, ": fileSizeBytes=", meta.at("fileSizeBytes"), " does not fit ", bin,
                     " (", src.status().message(), ")"));
  }
  if (!src.ok()) return src.status();
  return OpenedRecording{*std::move(src), RecordingFormat::kSpikeGlx, bin, {}, {}};
}

// ---- Open Ephys binary -----------------------------------------------------

// The Neuropixels shifts of an Open Ephys stream from the settings file the
// GUI wrote beside its experiment folders (Record Node N/settings.xml for
// experiment1, settings_K.xml for experimentK). Never fatal: a recording
// without usable settings has no shifts and a note saying why.
void AddOpenEphysShifts(const std::string& oebin, const std::string& stream_name, int64_t channels,
                        const ReaderOptions& options, RecordingInfo* info) {
  const std::filesystem::path recording = std::filesystem::path(oebin).parent_path();
  const std::filesystem::path experiment = recording.parent_path();
  const std::string folder = experiment.filename().string();
  int64_t number = 1;
  if (absl::StartsWith(folder, "experiment") &&
      !absl::SimpleAtoi(folder.substr(std::string("experiment").size()), &number)) {
    number = 1;
  }
  const std::string name = number <= 1 ? "settings.xml" : absl::StrCat("settings_", number, ".xml");
  const std::string settings = (experiment.parent_path() / name).string();
  absl::StatusOr<std::string> path = Resolve(options, settings);
  absl::StatusOr<std::string> text =
      path.ok() ? ReadText(*path) : absl::StatusOr<std::string>(path.status());
  if (!text.ok()) {
    info->inter_sample_shift_note =
        absl::StrCat("no Open Ephys settings: ", text.status().message());
    return;
  }
  absl::StatusOr<OpenEphysShifts> shifts = NeuropixelsShiftsFromOpenEphysSettings(
      *text, settings, stream_name, channels, info->sampling_rate_hz);
  if (!shifts.ok()) {
    info->inter_sample_shift_note = std::string(shifts.status().message());
    return;
  }
  info->inter_sample_shift = std::move(shifts->shifts);
  info->inter_sample_shift_note = std::move(shifts->note);
}

absl::StatusOr<OpenedRecording> OpenOpenEphys(const std::string& oebin,
                                              const ReaderOptions& options) {
  NF_ASSIGN_OR_RETURN(std::string text, ReadText(oebin));
  absl::StatusOr<JsonValue> root = ParseJson(text);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(oebin, ": ", root.status().message()));
  }
  const JsonValue* continuous = root->Find("continuous");
  if (continuous == nullptr || !continuous->is_list() || continuous->list().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(oebin, ": no \"continuous\" streams"));
  }
  const int64_t streams = static_cast<int64_t>(continuous->list().size());
  if (options.stream_index < 0 || options.stream_index >= streams) {
    return absl::InvalidArgumentError(absl::StrCat(oebin, ": stream_index ", options.stream_index,
                                                   " is not in [0, ", streams, ")"));
  }
  const JsonValue& stream = continuous->list()[options.stream_index];
  if (!stream.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(oebin, ": continuous[", options.stream_index, "] is not an object"));
  }
  const JsonValue* folder = stream.Find("folder_name");
  const JsonValue* rate = stream.Find("sample_rate");
  const JsonValue* nch = stream.Find("num_channels");
  if (folder == nullptr || rate == nullptr || nch == nullptr || !folder->is_string() ||
      !rate->is_number() || !nch->is_number()) {
    return absl::InvalidArgumentError(
        absl::StrCat(oebin, ": continuous[", options.stream_index,
                     "] needs folder_name, sample_rate, num_channels"));
  }
  const std::string where = absl::StrCat(oebin, ": continuous[", options.stream_index, "]");
  RecordingInfo info;
  info.sampling_rate_hz = rate->number_value();
  NF_RETURN_IF_ERROR(CheckRate(info.sampling_rate_hz, where + ".sample_rate"));
  const double nch_value = nch->number_value();
  if (!(nch_value >= 1 && nch_value <= static_cast<double>(kMaxChannels)) ||
      nch_value != std::floor(nch_value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".num_channels: ", nch_value, " is not a whole number in [1, ", kMaxChannels, "]"));
  }
  const int64_t channels = static_cast<int64_t>(nch_value);
  if (const JsonValue* chans = stream.Find("channels"); chans != nullptr && chans->is_list()) {
    if (static_cast<int64_t>(chans->list().size()) != channels) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".num_channels: ", channels, " but ",
                                                     chans->list().size(), " channel entries"));
    }
    for (const JsonValue& ch : chans->list()) {
      const std::string at = absl::StrCat(where, ".channels[", info.channel_ids.size(), "]");
      if (!ch.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(at, ": not an object"));
      }
      const JsonValue* name = ch.Find("channel_name");
      const JsonValue* bit_volts = ch.Find("bit_volts");
      const JsonValue* units = ch.Find("units");
      if ((name != nullptr && !name->is_string()) ||
          (bit_volts != nullptr && !bit_volts->is_number()) ||
          (units != nullptr && !units->is_string())) {
        return absl::InvalidArgumentError(
            absl::StrCat(at,
                         ": channel_name, bit_volts, units must be a string, a number and a "
                         "string"));
      }
      info.channel_ids.push_back(name != nullptr ? name->string_value()
                                                 : absl::StrCat(info.channel_ids.size()));
      double factor = 1.0;
      if (units != nullptr) {
        const std::string u = absl::AsciiStrToLower(units->string_value());
        factor = u == "v" ? 1e6 : (u == "mv" ? 1e3 : 1.0);
      }
      const double bv = bit_volts != nullptr ? bit_volts->number_value() : 1.0;
      if (!std::isfinite(bv) || bv == 0) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".channels[",
                                                       info.channel_ids.size() - 1,
                                                       "].bit_volts: ", bv, " is not a gain"));
      }
      info.gain_to_uv.push_back(bv * factor);
      info.offset_to_uv.push_back(0.0);
    }
  }
  if (!info.channel_ids.empty() && static_cast<int64_t>(info.channel_ids.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat(oebin, ": num_channels ", channels, " but ",
                                                   info.channel_ids.size(), " channel entries"));
  }
  std::string dir = std::filesystem::path(oebin).parent_path().string();
  std::string sub = folder->string_value();
  while (!sub.empty() && sub.back() == '/') sub.pop_back();
  const JsonValue* stream_name = stream.Find("stream_name");
  AddOpenEphysShifts(
      oebin, stream_name != nullptr && stream_name->is_string() ? stream_name->string_value() : sub,
      channels, options, &info);
  NF_ASSIGN_OR_RETURN(std::string dat,
                      Resolve(options, absl::StrCat(dir.empty() ? "." : dir, "/continuous/", sub,
                                                    "/continuous.dat")));
  BinaryLayout layout;
  layout.type = SampleType::kInt16;
  layout.channels = channels;
  layout.channels_field = where + ".num_channels";
  NF_ASSIGN_OR_RETURN(auto src, InterleavedBinarySource::Open(dat, layout, std::move(info)));
  return OpenedRecording{std::move(src), RecordingFormat::kOpenEphys, dat, {}, {}};
}

}  // namespace

absl::StatusOr<RecordingFormat> ParseRecordingFormat(const std::string& name) {
  static const std::map<std::string, RecordingFormat> kNames = {
      {"auto", RecordingFormat::kAuto},
      {"npy", RecordingFormat::kNpy},
      {"raw", RecordingFormat::kRaw},
      {"spikeglx", RecordingFormat::kSpikeGlx},
      {"openephys", RecordingFormat::kOpenEphys},
      {"edf", RecordingFormat::kEdf},
      {"bdf", RecordingFormat::kEdf},
      {"brainvision", RecordingFormat::kBrainVision},
      {"eeglab", RecordingFormat::kEeglab},
      {"fif", RecordingFormat::kFif},
      {"nwb", RecordingFormat::kNwb}};
  auto it = kNames.find(name);
  if (it == kNames.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("format: \"", name,
                     "\" is not one of auto, npy, raw, spikeglx, openephys, edf, brainvision, "
                     "eeglab, fif, nwb"));
  }
  return it->second;
}

const char* RecordingFormatName(RecordingFormat format) {
  switch (format) {
    case RecordingFormat::kAuto:
      return "auto";
    case RecordingFormat::kNpy:
      return "npy";
    case RecordingFormat::kRaw:
      return "raw";
    case RecordingFormat::kSpikeGlx:
      return "spikeglx";
    case RecordingFormat::kOpenEphys:
      return "openephys";
    case RecordingFormat::kEdf:
      return "edf";
    case RecordingFormat::kBrainVision:
      return "brainvision";
    case RecordingFormat::kEeglab:
      return "eeglab";
    case RecordingFormat::kFif:
      return "fif";
    case RecordingFormat::kNwb:
      return "nwb";
  }
  return "?";
}

absl::StatusOr<RecordingFormat> DetectRecordingFormat(const std::string& path) {
  const RecordingFormat by_name = FormatOfName(path);
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  std::string head(static_cast<size_t>(std::min<int64_t>(file.size, 64)), '\0');
  NF_RETURN_IF_ERROR(PreadFully(file.fd.get(), head.data(), head.size(), 0, path));
  const RecordingFormat by_header = FormatOfHeader(head);
  if (by_header == RecordingFormat::kAuto) {
    // No magic: the name decides; a name that says nothing is raw binary
    // (which then needs its dtype and channel count).
    return by_name == RecordingFormat::kAuto ? RecordingFormat::kRaw : by_name;
  }
  if (by_name != RecordingFormat::kAuto && by_name != by_header &&
      by_name != RecordingFormat::kSpikeGlx) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the name says ", RecordingFormatName(by_name), " but the content is ",
                     RecordingFormatName(by_header)));
  }
  return by_header;
}

absl::StatusOr<OpenedRecording> OpenRecordingFile(const std::string& path, RecordingFormat format,
                                                  const ReaderOptions& options) {
  if (format == RecordingFormat::kAuto) {
    NF_ASSIGN_OR_RETURN(format, DetectRecordingFormat(path));
  }
  switch (format) {
    case RecordingFormat::kNpy: {
      if (!(options.npy_sampling_rate_hz > 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sampling_rate_hz: an .npy file holds no sampling rate; give one (", path, ")"));
      }
      RecordingInfo info;
      info.sampling_rate_hz = options.npy_sampling_rate_hz;
      NF_ASSIGN_OR_RETURN(auto src, NpyTraceSource::Open(path, info));
      return OpenedRecording{std::move(src), RecordingFormat::kNpy, path, {}, {}};
    }
    case RecordingFormat::kRaw: {
      if (!options.raw_type.has_value() || !(options.raw_sampling_rate_hz > 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "raw: a raw binary file needs dtype, num_channels and sampling_rate_hz (", path, ")"));
      }
      BinaryLayout layout;
      layout.type = *options.raw_type;
      layout.channels = options.raw_channels;
      layout.data_offset = options.raw_header_bytes;
      layout.channels_field = options.raw_channels_field;
      layout.offset_field = options.raw_header_bytes_field;
      RecordingInfo info;
      info.sampling_rate_hz = options.raw_sampling_rate_hz;
      NF_ASSIGN_OR_RETURN(auto src, InterleavedBinarySource::Open(path, layout, std::move(info)));
      return OpenedRecording{std::move(src), RecordingFormat::kRaw, path, {}, {}};
    }
    case RecordingFormat::kSpikeGlx:
      return OpenSpikeGlx(path, options);
    case RecordingFormat::kOpenEphys:
      return OpenOpenEphys(path, options);
    case RecordingFormat::kEdf: {
      NF_ASSIGN_OR_RETURN(std::unique_ptr<EdfSource> src, EdfSource::Open(path));
      NF_ASSIGN_OR_RETURN(std::vector<RecordingEvent> events, src->Events());
      return OpenedRecording{std::move(src), RecordingFormat::kEdf, path, {}, std::move(events)};
    }
    case RecordingFormat::kBrainVision:
      return OpenBrainVision(path, options);
    case RecordingFormat::kNwb:
      return OpenNwb(path, options);
    case RecordingFormat::kFif:
      return OpenFif(path, options);
    case RecordingFormat::kEeglab:
      return OpenEeglab(path, options);
    case RecordingFormat::kAuto:
      break;
  }
  return absl::InternalError("unreachable");
}

}  // namespace neurofeat
