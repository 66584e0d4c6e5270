#include "api/recording_convert.h"

#include "api/dtype_convert.h"
#include "core/status_macros.h"

namespace neurofeat::api {

absl::StatusOr<RecordingRequest> ToRecordingRequest(const v1::Recording& r) {
  RecordingRequest out;
  switch (r.source_case()) {
    case v1::Recording::kSamples: {
      RecordingRequest::Inline s;
      NF_ASSIGN_OR_RETURN(s.type, ToSampleType(r.samples().dtype(), "recording.samples.dtype"));
      s.shape.assign(r.samples().shape().begin(), r.samples().shape().end());
      s.data = &r.samples().data();
      out.samples = std::move(s);
      break;
    }
    case v1::Recording::kUploadId:
      out.upload_id = r.upload_id();
      break;
    case v1::Recording::kPath: {
      const v1::ServerPath& p = r.path();
      RecordingRequest::File f;
      f.path = p.path();
      NF_ASSIGN_OR_RETURN(f.format, ToRecordingFormat(p.format()));
      if (p.format() == v1::RAW) {
        NF_ASSIGN_OR_RETURN(f.raw_type, ToSampleType(p.raw_dtype(), "recording.path.raw_dtype"));
      }
      f.raw_channels = p.raw_num_channels();
      f.raw_header_bytes = p.raw_header_bytes();
      f.stream_index = p.stream_index();
      f.nwb_series = p.nwb_series();
      out.file = std::move(f);
      break;
    }
    default:
      break;  // OpenRecording names what is missing
  }
  out.sampling_rate_hz = r.sampling_rate_hz();
  out.channel_names.assign(r.channel_names().begin(), r.channel_names().end());
  out.gains_to_uv.assign(r.gains_to_uv().begin(), r.gains_to_uv().end());
  out.offsets_to_uv.assign(r.offsets_to_uv().begin(), r.offsets_to_uv().end());
  for (const v1::ChannelLocation& l : r.channel_locations()) {
    out.channel_locations.push_back({l.x(), l.y()});
  }
  if (r.has_highpass_hz()) out.highpass_hz = r.highpass_hz();
  if (r.has_lowpass_hz()) out.lowpass_hz = r.lowpass_hz();
  out.scale_to_uv = r.scale_to_uv();
  out.exclude_channels.assign(r.exclude_channels().begin(), r.exclude_channels().end());
  return out;
}

absl::StatusOr<RecordingInput> ToRecordingInput(const v1::Recording& recording,
                                                const FileAccess& files) {
  NF_ASSIGN_OR_RETURN(RecordingRequest request, ToRecordingRequest(recording));
  return OpenRecording(request, files);
}

}  // namespace neurofeat::api
