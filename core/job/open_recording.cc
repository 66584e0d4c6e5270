#include "core/job/open_recording.h"

#include <cmath>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/io/recording_readers.h"
#include "core/source/channel_subset_source.h"
#include "core/source/in_memory_source.h"
#include "core/source/relabelled_source.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

absl::Status CheckRequestRate(double fs) {
  if (!(fs > 0) || !(fs <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat("recording.sampling_rate_hz: ", fs,
                                                   " Hz is not a sampling rate in (0, ",
                                                   kMaxSamplingRateHz, "]"));
  }
  return absl::OkStatus();
}

absl::Status CheckSamplesFinite(const Traces& t, const std::string& field) {
  if (t.type() == SampleType::kInt16) return absl::OkStatus();
  for (int64_t i = 0; i < t.size(); ++i) {
    const double v = t.type() == SampleType::kFloat32 ? t.data<float>()[i] : t.data<double>()[i];
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": sample ", v, " at frame ",
                                                     i / t.channels(), ", channel ",
                                                     i % t.channels(), " is not finite"));
    }
  }
  return absl::OkStatus();
}

// A short list for messages: the first few names, then how many more.
std::string NameList(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  if (names.size() <= kShown) return absl::StrJoin(names, ",");
  return absl::StrCat(absl::StrJoin(names.begin(), names.begin() + kShown, ","), ",... (",
                      names.size(), " in all)");
}

absl::Status ApplyRate(const RecordingRequest& r, RecordingInfo* info) {
  if (r.sampling_rate_hz != 0) {
    NF_RETURN_IF_ERROR(CheckRequestRate(r.sampling_rate_hz));
    if (info->sampling_rate_hz > 0 &&
        std::fabs(info->sampling_rate_hz - r.sampling_rate_hz) > 1e-9 * info->sampling_rate_hz) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.sampling_rate_hz: ", r.sampling_rate_hz,
                       " Hz differs from the file's ", info->sampling_rate_hz, " Hz"));
    }
    info->sampling_rate_hz = r.sampling_rate_hz;
  }
  if (!(info->sampling_rate_hz > 0) && !r.rate_optional) {
    return absl::InvalidArgumentError(
        "recording.sampling_rate_hz: required (the data do not state one)");
  }
  return absl::OkStatus();
}

absl::Status ApplyChannelNames(const RecordingRequest& r, RecordingInfo* info) {
  if (r.channel_names.empty()) return absl::OkStatus();
  const int64_t channels = static_cast<int64_t>(info->channel_ids.size());
  if (static_cast<int64_t>(r.channel_names.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "recording.channel_names: ", r.channel_names.size(), " names for ", channels, " channels"));
  }
  // Names the file states are the recording's: a request may repeat them,
  // not rename them (a renamed channel would silently change which columns
  // a table's names point at).
  if (info->channel_ids_from_file && r.channel_names != info->channel_ids) {
    return absl::InvalidArgumentError(
        absl::StrCat("recording.channel_names: ", NameList(r.channel_names),
                     " differ from the file's ", NameList(info->channel_ids)));
  }
  info->channel_ids = r.channel_names;
  return absl::OkStatus();
}

absl::Status ApplyPerChannel(const std::vector<double>& values, const char* field, int64_t channels,
                             std::vector<double>* out) {
  if (values.empty()) return absl::OkStatus();
  for (size_t i = 0; i < values.size(); ++i) {
    NF_RETURN_IF_ERROR(CheckFinite(values[i], absl::StrCat("recording.", field, "[", i, "]")));
  }
  if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels) {
    return absl::InvalidArgumentError(absl::StrCat("recording.", field, ": ", values.size(),
                                                   " values for ", channels,
                                                   " channels (give one, or one per channel)"));
  }
  out->assign(static_cast<size_t>(channels), values[0]);
  for (size_t c = 0; c < values.size(); ++c) (*out)[c] = values[c];
  return absl::OkStatus();
}

// Applies the request's metadata to what the source says.
absl::Status ApplyMetadata(const RecordingRequest& r, RecordingInfo* info) {
  const int64_t channels = static_cast<int64_t>(info->channel_ids.size());
  NF_RETURN_IF_ERROR(ApplyRate(r, info));
  NF_RETURN_IF_ERROR(ApplyChannelNames(r, info));
  NF_RETURN_IF_ERROR(ApplyPerChannel(r.gains_to_uv, "gains_to_uv", channels, &info->gain_to_uv));
  NF_RETURN_IF_ERROR(
      ApplyPerChannel(r.offsets_to_uv, "offsets_to_uv", channels, &info->offset_to_uv));
  if (!r.channel_locations.empty()) {
    if (static_cast<int64_t>(r.channel_locations.size()) != channels) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.channel_locations: ", r.channel_locations.size(), " for ",
                       channels, " channels"));
    }
    info->channel_locations.clear();
    for (size_t i = 0; i < r.channel_locations.size(); ++i) {
      const std::string field = absl::StrCat("recording.channel_locations[", i, "]");
      NF_RETURN_IF_ERROR(CheckFinite(r.channel_locations[i][0], field + ".x"));
      NF_RETURN_IF_ERROR(CheckFinite(r.channel_locations[i][1], field + ".y"));
      info->channel_locations.push_back(r.channel_locations[i]);
    }
  }
  return absl::OkStatus();
}

// Inline samples: (frames, channels) traces or (windows, channels, times)
// epochs, checked against their stated shape.
absl::Status OpenInline(const RecordingRequest::Inline& s, RecordingInput* out,
                        std::shared_ptr<const TraceSource>* source) {
  if (s.data == nullptr) return absl::InvalidArgumentError("recording.samples.data: missing");
  if (s.shape.size() != 2 && s.shape.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("recording.samples.shape: expected (frames, channels) or (windows, "
                     "channels, times), got ",
                     s.shape.size(), " dimensions"));
  }
  for (int64_t d : s.shape) {
    if (d < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.samples.shape: sizes must be >= 1, got ", d));
    }
  }
  NF_RETURN_IF_ERROR(
      CheckCount(s.shape[1], 1, kMaxChannels, "recording.samples.shape[1] (channels)"));
  std::vector<int64_t> factors = s.shape;
  factors.push_back(static_cast<int64_t>(SampleTypeSize(s.type)));
  NF_ASSIGN_OR_RETURN(const int64_t bytes, CheckedProduct(factors.data(), factors.size(),
                                                          "recording.samples.shape x dtype size"));
  if (static_cast<int64_t>(s.data->size()) != bytes) {
    return absl::InvalidArgumentError(absl::StrCat("recording.samples.data: ", s.data->size(),
                                                   " bytes, but recording.samples.shape x dtype "
                                                   "needs ",
                                                   bytes));
  }
  out->content_bytes = s.data;
  out->held_bytes = bytes;
  out->source_descriptor =
      absl::StrCat("inline dtype=", SampleTypeName(s.type), " shape=", absl::StrJoin(s.shape, "x"));
  RecordingInfo info;
  info.channel_ids = DefaultChannelIds(s.shape[1]);
  if (s.shape.size() == 3) {
    NF_ASSIGN_OR_RETURN(
        Windows w, WindowsFromEpochs(s.type, s.data->data(), s.shape[0], s.shape[1], s.shape[2]));
    out->held_bytes += static_cast<int64_t>(w.data.size() * sizeof(float));
    out->epochs = std::make_shared<const Windows>(std::move(w));
    out->signal.channels = info.channel_ids;
    return absl::OkStatus();
  }
  Traces t = Traces::Uninitialized(s.type, s.shape[0], s.shape[1]);
  if (!s.data->empty()) std::memcpy(t.bytes(), s.data->data(), s.data->size());
  NF_RETURN_IF_ERROR(CheckSamplesFinite(t, "recording.samples.data"));
  *source = std::make_shared<InMemorySource>(std::move(t), std::move(info));
  return absl::OkStatus();
}

ReaderOptions ReaderOptionsFor(const RecordingRequest& r, const RecordingFiles& files) {
  ReaderOptions options;
  options.npy_sampling_rate_hz = r.sampling_rate_hz;
  options.resolve = files.resolve;
  if (r.file.has_value()) {
    const RecordingRequest::File& f = *r.file;
    options.raw_type = f.raw_type;
    options.raw_channels = f.raw_channels;
    options.raw_sampling_rate_hz = r.sampling_rate_hz;
    options.raw_header_bytes = f.raw_header_bytes;
    options.raw_channels_field = "recording.path.raw_num_channels";
    options.raw_header_bytes_field = "recording.path.raw_header_bytes";
    options.stream_index = f.stream_index;
    options.nwb_series = f.nwb_series;
  }
  return options;
}

// The file (or spooled upload) at `path`: epochs from a 3-D .npy, else a
// source from the format's reader.
absl::Status OpenFile(const std::string& path, RecordingFormat format, const RecordingRequest& r,
                      const RecordingFiles& files, RecordingInput* out,
                      std::shared_ptr<const TraceSource>* source) {
  if (format == RecordingFormat::kAuto) {
    NF_ASSIGN_OR_RETURN(format, DetectRecordingFormat(path));
  }
  if (format == RecordingFormat::kNpy) {
    NF_ASSIGN_OR_RETURN(NpyHeader head, ReadNpyHeader(path));
    if (head.shape.size() == 3) {
      NF_ASSIGN_OR_RETURN(EpochsFile f, OpenEpochsFile(path));
      out->signal.channels = DefaultChannelIds(head.shape[1]);
      out->epochs_file = std::move(f);
      out->content_file = path;
      out->source_descriptor = absl::StrCat("epochs npy shape=", absl::StrJoin(head.shape, "x"));
      return absl::OkStatus();
    }
    if (!(r.sampling_rate_hz > 0)) {
      return absl::InvalidArgumentError(
          "recording.sampling_rate_hz: required (an .npy file holds no sampling rate)");
    }
  }
  NF_ASSIGN_OR_RETURN(OpenedRecording opened,
                      OpenRecordingFile(path, format, ReaderOptionsFor(r, files)));
  *source = opened.source;
  const RecordingInfo& info = opened.source->info();
  out->content_file = opened.data_path;
  out->more_content_files = opened.more_data_paths;
  out->events = std::move(opened.events);
  out->format = RecordingFormatName(opened.format);
  out->source_descriptor = absl::StrCat(
      "file format=", RecordingFormatName(opened.format), " frames=", opened.source->num_frames(),
      " channels=", opened.source->num_channels(),
      " dtype=", SampleTypeName(opened.source->sample_type()),
      " gains=", absl::StrJoin(info.gain_to_uv, ","), info.unit.empty() ? "" : " unit=", info.unit);
  return absl::OkStatus();
}

// The samples' source (continuous) or epochs, before the request's
// metadata is applied.
absl::Status OpenSamples(const RecordingRequest& r, const RecordingFiles& files,
                         RecordingInput* out, std::shared_ptr<const TraceSource>* source) {
  const int given = r.samples.has_value() + r.file.has_value() + r.upload_id.has_value();
  if (given != 1) {
    return absl::InvalidArgumentError("recording: give exactly one of samples, path or upload_id");
  }
  if (r.samples.has_value()) return OpenInline(*r.samples, out, source);
  if (r.upload_id.has_value()) {
    if (!files.upload) return absl::FailedPreconditionError("uploads are disabled");
    NF_ASSIGN_OR_RETURN(std::string path, files.upload(*r.upload_id));
    // Uploads are spooled .npy arrays.
    return OpenFile(path, RecordingFormat::kNpy, r, files, out, source);
  }
  std::string path;
  if (files.resolve) {
    NF_ASSIGN_OR_RETURN(path, files.resolve(r.file->path));
  } else {
    if (r.file->path.empty()) return absl::InvalidArgumentError("recording.path.path: empty");
    path = r.file->path;
  }
  return OpenFile(path, r.file->format, r, files, out, source);
}

absl::Status ApplyBand(const RecordingRequest& r, const RecordingInfo& info, RecordingInput* out) {
  // A header's 0 Hz high-pass and Nyquist low-pass (MNE's defaults, which
  // FIF and BrainVision files state) say that nothing was applied.
  std::optional<double> hp = info.highpass_hz, lp = info.lowpass_hz;
  if (hp.has_value() && !(*hp > 0)) hp.reset();
  if (lp.has_value() && !(*lp < info.sampling_rate_hz / 2)) lp.reset();
  out->signal.highpass = r.highpass_hz.has_value() ? r.highpass_hz : hp;
  out->signal.lowpass = r.lowpass_hz.has_value() ? r.lowpass_hz : lp;
  if (r.highpass_hz.has_value()) {
    NF_RETURN_IF_ERROR(CheckFinite(*r.highpass_hz, "recording.highpass_hz"));
  }
  if (r.lowpass_hz.has_value()) {
    NF_RETURN_IF_ERROR(CheckFinite(*r.lowpass_hz, "recording.lowpass_hz"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordingInput> OpenRecording(const RecordingRequest& r,
                                             const RecordingFiles& files) {
  if (r.sampling_rate_hz != 0) NF_RETURN_IF_ERROR(CheckRequestRate(r.sampling_rate_hz));
  RecordingInput out;
  std::shared_ptr<const TraceSource> source;
  NF_RETURN_IF_ERROR(OpenSamples(r, files, &out, &source));
  RecordingInfo info;
  if (source != nullptr) {
    info = source->info();
  } else {
    info.channel_ids = out.signal.channels;  // epochs
    if (!r.exclude_channels.empty()) {
      return absl::InvalidArgumentError(
          "recording.exclude_channels: epochs keep all their channels (drop them before "
          "cutting)");
    }
  }
  NF_RETURN_IF_ERROR(ApplyMetadata(r, &info));
  if (r.scale_to_uv) {
    if (info.gain_to_uv.empty()) {
      return absl::InvalidArgumentError(
          "recording.scale_to_uv: the data state no gains; give recording.gains_to_uv");
    }
    ScaleOptions scale;
    scale.gain = info.gain_to_uv;
    scale.offset = info.offset_to_uv.empty() ? std::vector<double>{0.0} : info.offset_to_uv;
    out.scale = scale;
  }
  if (source != nullptr) {
    out.frame_bytes =
        source->num_channels() * static_cast<int64_t>(SampleTypeSize(source->sample_type()));
    source = std::make_shared<RelabelledSource>(std::move(source), info);
    if (!r.exclude_channels.empty()) {
      NF_ASSIGN_OR_RETURN(source, ChannelSubsetSource::Drop(std::move(source), r.exclude_channels,
                                                            "recording.exclude_channels"));
      if (out.scale.has_value()) {
        out.scale->gain = source->info().gain_to_uv;
        out.scale->offset = source->info().offset_to_uv.empty() ? std::vector<double>{0.0}
                                                                : source->info().offset_to_uv;
      }
      out.source_descriptor =
          absl::StrCat(out.source_descriptor, " without=", absl::StrJoin(r.exclude_channels, ","));
    }
    info = source->info();
  }
  out.source = std::move(source);
  out.signal.fs = info.sampling_rate_hz;
  out.signal.channels = info.channel_ids;
  out.unit = info.unit;
  NF_RETURN_IF_ERROR(ApplyBand(r, info, &out));
  return out;
}

}  // namespace neurofeat
