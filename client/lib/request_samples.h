// File: request_samples.h
//
// AttachSamples(): the samples of a request's recording, on the client
// side, for every caller that sends requests (the CLI's single runs, its
// dataset runs, the replica client): a file the server reads under its
// data roots (a path), a local .npy sent as it is (an upload), or a local
// recording in any other format the engine reads, opened here and sent as
// its samples. An upload carries no header, so the request then also gets
// what the file states: its rate, channel names, gains and band; channels
// the request leaves out are left out before sending.
//
// Example:
//   RequestSamples s;
//   s.local_path = "sub-01_task-rest_eeg.vhdr";
//   NF_RETURN_IF_ERROR(AttachSamples(client, s, request.mutable_recording(), nullptr));
#ifndef NEUROFEAT_CLIENT_LIB_REQUEST_SAMPLES_H_
#define NEUROFEAT_CLIENT_LIB_REQUEST_SAMPLES_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "client/lib/neurofeat_client.h"
#include "core/io/reader_options.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

struct RequestSamples {
  // A file under the server's data roots, in `remote_format`; or
  std::string remote_path;
  v1::FileFormat remote_format = v1::FILE_FORMAT_AUTO;
  // a local file, in `local_format` (detected by default), uploaded.
  std::string local_path;
  RecordingFormat local_format = RecordingFormat::kAuto;
  // Bytes per upload message.
  int64_t chunk_bytes = int64_t{1} << 20;
};

// AttachSamples() sets `recording`'s source (and, for a local non-.npy
// file, its metadata) on `client`'s server. Uploads are per server: call it
// again for each attempt on another replica. `progress(bytes, total)` may be
// empty.
// Errors: the local file's (NotFound, InvalidArgument naming the field),
// the upload's.
absl::Status AttachSamples(NeurofeatClient& client, const RequestSamples& samples,
                           v1::Recording* recording,
                           const std::function<void(int64_t, int64_t)>& progress);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_LIB_REQUEST_SAMPLES_H_
