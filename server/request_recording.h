// File: request_recording.h
//
// The server side of a request's Recording: inline samples, a finished
// upload, or a file under a data root, opened as a TraceSource (continuous
// traces) or as windows (pre-cut epochs), with the request's metadata
// (names, rate, gains, band) checked against what the file says.
#ifndef NEUROFEAT_SERVER_REQUEST_RECORDING_H_
#define NEUROFEAT_SERVER_REQUEST_RECORDING_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "core/features/feature_kernel.h"
#include "core/features/windows.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/trace_source.h"
#include "neurofeat/v1/service.pb.h"
#include "server/path_policy.h"
#include "server/upload_store.h"

namespace neurofeat::server {

struct RecordingDeps {
  const PathPolicy* paths = nullptr;
  const UploadStore* uploads = nullptr;
};

struct RequestRecording {
  // Continuous traces (2-D input); null for epochs.
  std::shared_ptr<const TraceSource> source;
  // Pre-cut epochs (3-D input): inline ones in memory, files read lazily.
  std::optional<Windows> epochs;
  std::optional<EpochsFile> epochs_file;
  bool has_epochs() const { return epochs.has_value() || epochs_file.has_value(); }
  int64_t epoch_times() const {
    return epochs.has_value() ? epochs->n_times : epochs_file->n_times;
  }
  // What features see: rate, channel names, applied band.
  SignalInfo signal;
  // A scale-to-uV step to put first in the chain (scale_to_uv), if any.
  std::optional<ScaleOptions> scale;
  // Bytes of one frame of the source (for working-set estimates).
  int64_t frame_bytes = 0;
  // What identifies the samples, for the cache: the file holding them (its
  // digest is remembered by identity), or inline bytes to hash.
  std::string data_path;
  const std::string* inline_bytes = nullptr;
  // The source's own description (frames, channels, type, names, gains).
  std::string source_descriptor;
};

// OpenRequestRecording() never reads more than the headers of a file;
// inline and uploaded epochs are read whole (they are bounded by message and
// upload limits). Errors name the field: recording.sampling_rate_hz,
// recording.channel_names, recording.samples.shape, recording.path.path ...
absl::StatusOr<RequestRecording> OpenRequestRecording(const v1::Recording& recording,
                                                      const RecordingDeps& deps);

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_REQUEST_RECORDING_H_
