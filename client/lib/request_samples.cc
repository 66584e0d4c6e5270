#include "client/lib/request_samples.h"

#include "absl/strings/str_cat.h"
#include "api/recording_convert.h"
#include "core/io/recording_readers.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

// A local recording in a format with a header: opened here with the
// request's metadata (checked against the file), sent as samples.
absl::Status UploadLocalRecording(NeurofeatClient& client, const RequestSamples& samples,
                                  v1::Recording* r,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  r->mutable_path()->set_path(samples.local_path);
  NF_ASSIGN_OR_RETURN(RecordingRequest request, api::ToRecordingRequest(*r));
  request.file->format = samples.local_format;
  NF_ASSIGN_OR_RETURN(RecordingInput input, OpenRecording(request, RecordingFiles{}));
  if (input.has_epochs()) {
    return absl::InvalidArgumentError(absl::StrCat(samples.local_path, ": holds epochs"));
  }
  NF_ASSIGN_OR_RETURN(std::string id,
                      client.UploadTraces(*input.source, samples.chunk_bytes, progress));
  const RecordingInfo& info = input.source->info();
  r->set_upload_id(id);
  r->set_sampling_rate_hz(info.sampling_rate_hz);
  r->clear_channel_names();
  for (const std::string& c : info.channel_ids) r->add_channel_names(c);
  r->clear_exclude_channels();  // already left out
  if (r->gains_to_uv_size() == 0) {
    for (double g : info.gain_to_uv) r->add_gains_to_uv(g);
    for (double o : info.offset_to_uv) r->add_offsets_to_uv(o);
  }
  if (!r->has_highpass_hz() && input.signal.highpass.has_value()) {
    r->set_highpass_hz(*input.signal.highpass);
  }
  if (!r->has_lowpass_hz() && input.signal.lowpass.has_value()) {
    r->set_lowpass_hz(*input.signal.lowpass);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AttachSamples(NeurofeatClient& client, const RequestSamples& samples, v1::Recording* r,
                           const std::function<void(int64_t, int64_t)>& progress) {
  if (!samples.remote_path.empty()) {
    r->mutable_path()->set_path(samples.remote_path);
    r->mutable_path()->set_format(samples.remote_format);
    return absl::OkStatus();
  }
  RecordingFormat format = samples.local_format;
  if (format == RecordingFormat::kAuto) {
    NF_ASSIGN_OR_RETURN(format, DetectRecordingFormat(samples.local_path));
  }
  if (format != RecordingFormat::kNpy) {
    return UploadLocalRecording(client, samples, r, progress);
  }
  NF_ASSIGN_OR_RETURN(std::string id,
                      client.UploadNpy(samples.local_path, samples.chunk_bytes, progress));
  r->clear_path();
  r->set_upload_id(id);
  return absl::OkStatus();
}

}  // namespace neurofeat::client
