#include "api/recording_convert.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/dtype_convert.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/io/recording_readers.h"
#include "core/source/in_memory_source.h"
#include "core/source/relabelled_source.h"
#include "core/status_macros.h"

namespace neurofeat::api {
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

// Applies the request's metadata to what the source says.
absl::Status ApplyMetadata(const v1::Recording& r, RecordingInfo* info) {
  const int64_t channels = static_cast<int64_t>(info->channel_ids.size());
  if (r.sampling_rate_hz() != 0) {
    NF_RETURN_IF_ERROR(CheckRequestRate(r.sampling_rate_hz()));
    if (info->sampling_rate_hz > 0 &&
        std::fabs(info->sampling_rate_hz - r.sampling_rate_hz()) > 1e-9 * info->sampling_rate_hz) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.sampling_rate_hz: ", r.sampling_rate_hz(),
                       " Hz differs from the file's ", info->sampling_rate_hz, " Hz"));
    }
    info->sampling_rate_hz = r.sampling_rate_hz();
  }
  if (!(info->sampling_rate_hz > 0)) {
    return absl::InvalidArgumentError(
        "recording.sampling_rate_hz: required (the data do not state one)");
  }
  if (r.channel_names_size() > 0) {
    if (r.channel_names_size() != channels) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.channel_names: ", r.channel_names_size(), " names for ", channels,
                       " channels"));
    }
    info->channel_ids.assign(r.channel_names().begin(), r.channel_names().end());
  }
  auto per_channel = [&](const auto& values, const char* field,
                         std::vector<double>* out) -> absl::Status {
    if (values.empty()) return absl::OkStatus();
    for (int i = 0; i < values.size(); ++i) {
      NF_RETURN_IF_ERROR(CheckFinite(values[i], absl::StrCat("recording.", field, "[", i, "]")));
    }
    if (values.size() != 1 && values.size() != channels) {
      return absl::InvalidArgumentError(absl::StrCat("recording.", field, ": ", values.size(),
                                                     " values for ", channels,
                                                     " channels (give one, or one per channel)"));
    }
    out->assign(channels, values[0]);
    for (int64_t c = 0; c < values.size(); ++c) (*out)[c] = values[c];
    return absl::OkStatus();
  };
  NF_RETURN_IF_ERROR(per_channel(r.gains_to_uv(), "gains_to_uv", &info->gain_to_uv));
  NF_RETURN_IF_ERROR(per_channel(r.offsets_to_uv(), "offsets_to_uv", &info->offset_to_uv));
  if (r.channel_locations_size() > 0) {
    if (r.channel_locations_size() != channels) {
      return absl::InvalidArgumentError(
          absl::StrCat("recording.channel_locations: ", r.channel_locations_size(), " for ",
                       channels, " channels"));
    }
    info->channel_locations.clear();
    for (int i = 0; i < r.channel_locations_size(); ++i) {
      const auto& l = r.channel_locations(i);
      const std::string field = absl::StrCat("recording.channel_locations[", i, "]");
      NF_RETURN_IF_ERROR(CheckFinite(l.x(), field + ".x"));
      NF_RETURN_IF_ERROR(CheckFinite(l.y(), field + ".y"));
      info->channel_locations.push_back({l.x(), l.y()});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordingInput> ToRecordingInput(const v1::Recording& r, const FileAccess& files) {
  RecordingInput out;
  RecordingInfo info;
  std::shared_ptr<const TraceSource> source;
  if (r.sampling_rate_hz() != 0) NF_RETURN_IF_ERROR(CheckRequestRate(r.sampling_rate_hz()));
  switch (r.source_case()) {
    case v1::Recording::kSamples: {
      const v1::InlineSamples& s = r.samples();
      NF_ASSIGN_OR_RETURN(SampleType type, ToSampleType(s.dtype(), "recording.samples.dtype"));
      if (s.shape_size() != 2 && s.shape_size() != 3) {
        return absl::InvalidArgumentError(
            absl::StrCat("recording.samples.shape: expected (frames, channels) or (windows, "
                         "channels, times), got ",
                         s.shape_size(), " dimensions"));
      }
      for (int64_t d : s.shape()) {
        if (d < 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("recording.samples.shape: sizes must be >= 1, got ", d));
        }
      }
      NF_RETURN_IF_ERROR(
          CheckCount(s.shape(1), 1, kMaxChannels, "recording.samples.shape[1] (channels)"));
      std::vector<int64_t> factors(s.shape().begin(), s.shape().end());
      factors.push_back(static_cast<int64_t>(SampleTypeSize(type)));
      NF_ASSIGN_OR_RETURN(
          const int64_t bytes,
          CheckedProduct(factors.data(), factors.size(), "recording.samples.shape x dtype size"));
      if (static_cast<int64_t>(s.data().size()) != bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("recording.samples.data: ", s.data().size(),
                         " bytes, but recording.samples.shape x dtype "
                         "needs ",
                         bytes));
      }
      out.content_bytes = &s.data();
      out.held_bytes = static_cast<int64_t>(s.data().size());
      out.source_descriptor = absl::StrCat("inline dtype=", SampleTypeName(type),
                                           " shape=", absl::StrJoin(s.shape(), "x"));
      if (s.shape_size() == 3) {
        NF_ASSIGN_OR_RETURN(Windows w, WindowsFromEpochs(type, s.data().data(), s.shape(0),
                                                         s.shape(1), s.shape(2)));
        out.held_bytes += static_cast<int64_t>(w.data.size() * sizeof(float));
        out.epochs = std::make_shared<const Windows>(std::move(w));
        for (int64_t c = 0; c < s.shape(1); ++c) info.channel_ids.push_back(absl::StrCat(c));
      } else {
        Traces t = Traces::Uninitialized(type, s.shape(0), s.shape(1));
        if (!s.data().empty()) std::memcpy(t.bytes(), s.data().data(), s.data().size());
        NF_RETURN_IF_ERROR(CheckSamplesFinite(t, "recording.samples.data"));
        for (int64_t c = 0; c < s.shape(1); ++c) info.channel_ids.push_back(absl::StrCat(c));
        source = std::make_shared<InMemorySource>(std::move(t), info);
      }
      break;
    }
    case v1::Recording::kUploadId:
    case v1::Recording::kPath: {
      std::string path;
      RecordingFormat format = RecordingFormat::kNpy;
      ReaderOptions options;
      if (r.source_case() == v1::Recording::kUploadId) {
        if (!files.upload) return absl::FailedPreconditionError("uploads are disabled");
        NF_ASSIGN_OR_RETURN(path, files.upload(r.upload_id()));
      } else {
        const v1::ServerPath& p = r.path();
        NF_ASSIGN_OR_RETURN(format, ToRecordingFormat(p.format()));
        if (files.resolve) {
          NF_ASSIGN_OR_RETURN(path, files.resolve(p.path()));
        } else {
          if (p.path().empty()) return absl::InvalidArgumentError("recording.path.path: empty");
          path = p.path();
        }
        if (p.format() == v1::RAW) {
          NF_ASSIGN_OR_RETURN(SampleType t,
                              ToSampleType(p.raw_dtype(), "recording.path.raw_dtype"));
          options.raw_type = t;
          options.raw_channels = p.raw_num_channels();
          options.raw_sampling_rate_hz = r.sampling_rate_hz();
          options.raw_header_bytes = p.raw_header_bytes();
          options.raw_channels_field = "recording.path.raw_num_channels";
          options.raw_header_bytes_field = "recording.path.raw_header_bytes";
        }
        options.stream_index = p.stream_index();
        options.resolve = files.resolve;
      }
      options.npy_sampling_rate_hz = r.sampling_rate_hz();
      // A 3-D .npy holds epochs.
      if (format == RecordingFormat::kNpy || (format == RecordingFormat::kAuto && path.size() > 4 &&
                                              path.substr(path.size() - 4) == ".npy")) {
        NF_ASSIGN_OR_RETURN(NpyHeader head, ReadNpyHeader(path));
        if (head.shape.size() == 3) {
          NF_ASSIGN_OR_RETURN(EpochsFile f, OpenEpochsFile(path));
          const std::vector<int64_t> sh = head.shape;
          for (int64_t c = 0; c < sh[1]; ++c) info.channel_ids.push_back(absl::StrCat(c));
          info.sampling_rate_hz = 0;
          out.epochs_file = std::move(f);
          out.content_file = path;
          out.source_descriptor = absl::StrCat("epochs npy shape=", absl::StrJoin(sh, "x"));
          break;
        }
        if (!(r.sampling_rate_hz() > 0)) {
          return absl::InvalidArgumentError(
              "recording.sampling_rate_hz: required (an .npy file holds no sampling rate)");
        }
      }
      NF_ASSIGN_OR_RETURN(OpenedRecording opened, OpenRecordingFile(path, format, options));
      source = opened.source;
      info = source->info();
      out.content_file = opened.data_path;
      out.source_descriptor = absl::StrCat(
          "file format=", RecordingFormatName(opened.format), " frames=", source->num_frames(),
          " channels=", source->num_channels(), " dtype=", SampleTypeName(source->sample_type()),
          " gains=", absl::StrJoin(info.gain_to_uv, ","));
      break;
    }
    default:
      return absl::InvalidArgumentError("recording: give samples, path or upload_id");
  }
  NF_RETURN_IF_ERROR(ApplyMetadata(r, &info));
  if (r.scale_to_uv()) {
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
  }
  out.source = std::move(source);
  out.signal.fs = info.sampling_rate_hz;
  out.signal.channels = info.channel_ids;
  if (r.has_highpass_hz()) {
    NF_RETURN_IF_ERROR(CheckFinite(r.highpass_hz(), "recording.highpass_hz"));
    out.signal.highpass = r.highpass_hz();
  }
  if (r.has_lowpass_hz()) {
    NF_RETURN_IF_ERROR(CheckFinite(r.lowpass_hz(), "recording.lowpass_hz"));
    out.signal.lowpass = r.lowpass_hz();
  }
  return out;
}

}  // namespace neurofeat::api
