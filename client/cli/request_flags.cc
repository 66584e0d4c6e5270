#include "client/cli/request_flags.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "api/dtype_convert.h"
#include "api/pipeline_convert.h"
#include "client/cli/text_file.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/io/recording_readers.h"
#include "core/job/open_recording.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

absl::StatusOr<std::optional<double>> PositiveFlag(const ParsedArgs& args,
                                                   const std::string& name) {
  NF_ASSIGN_OR_RETURN(std::optional<double> v, args.GetDouble(name));
  if (v.has_value() && (!(*v > 0) || !std::isfinite(*v))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", args.Get(name), " must be positive"));
  }
  return v;
}

absl::Status ReadLocations(const std::string& path, v1::Recording* recording) {
  NF_ASSIGN_OR_RETURN(NpyArray a, ReadNpy(path));
  if (a.header.shape.size() != 2 || a.header.shape[1] != 2 ||
      a.header.dtype != NpyDtype::kFloat64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel-locations=", path, " must be a (channels, 2) float64 array"));
  }
  for (int64_t i = 0; i < a.header.shape[0]; ++i) {
    v1::ChannelLocation* l = recording->add_channel_locations();
    l->set_x(a.as<double>()[2 * i]);
    l->set_y(a.as<double>()[2 * i + 1]);
  }
  return absl::OkStatus();
}

// The rate a local --input states in its header (EDF, BrainVision, ...), so
// that times (--start 60s, --chunk-duration) convert to frames without
// --fs; nullopt when it states none or cannot be opened (the request then
// reports why).
std::optional<double> HeaderRate(const ParsedArgs& args, RecordingFormat format) {
  if (!args.Has("input") || args.Has("fs")) return std::nullopt;
  RecordingRequest request;
  request.file = RecordingRequest::File{args.Get("input"), format};
  request.file->nwb_series = args.Get("nwb-series");
  absl::StatusOr<RecordingInput> input = OpenRecording(request, RecordingFiles{});
  if (!input.ok() || !(input->signal.fs > 0)) return std::nullopt;
  return input->signal.fs;
}

// The recording's metadata and, unless remote with --remote-path, --input
// (a local file in any format, detected by default).
absl::StatusOr<v1::Recording> RecordingFromFlags(const ParsedArgs& args) {
  v1::Recording r;
  NF_ASSIGN_OR_RETURN(RecordingFormat format,
                      ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
  if (args.Has("input")) {
    r.mutable_path()->set_path(args.Get("input"));
    r.mutable_path()->set_format(api::ToProtoFormat(format));
    r.mutable_path()->set_nwb_series(args.Get("nwb-series"));
  }
  NF_ASSIGN_OR_RETURN(std::optional<double> fs, PositiveFlag(args, "fs"));
  if (!fs.has_value()) fs = HeaderRate(args, format);
  if (fs.has_value()) r.set_sampling_rate_hz(*fs);
  if (auto ch = args.GetOptional("channels")) {
    for (const auto& name : absl::StrSplit(*ch, ',')) r.add_channel_names(std::string(name));
  }
  NF_ASSIGN_OR_RETURN(std::optional<double> hp, PositiveFlag(args, "highpass"));
  NF_ASSIGN_OR_RETURN(std::optional<double> lp, PositiveFlag(args, "lowpass"));
  if (hp.has_value()) r.set_highpass_hz(*hp);
  if (lp.has_value()) r.set_lowpass_hz(*lp);
  if (auto loc = args.GetOptional("channel-locations")) {
    NF_RETURN_IF_ERROR(ReadLocations(*loc, &r));
  }
  return r;
}

// --chunk-duration in frames at the rate (--fs or the file's); 0 (the
// engine's default, one second) when neither is known and no duration is
// given.
absl::StatusOr<int64_t> ChunkFrames(const ParsedArgs& args, double fs) {
  double chunk_s = 1.0;
  if (auto c = args.GetOptional("chunk-duration")) {
    NF_ASSIGN_OR_RETURN(chunk_s, ParseDurationSeconds(*c, "chunk-duration"));
    if (!(fs > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--chunk-duration=", *c, " needs the sampling rate: give --fs (the file states none)"));
    }
  }
  if (!(fs > 0)) return 0;
  NF_ASSIGN_OR_RETURN(int64_t frames, DoubleToCount(chunk_s * fs, "--chunk-duration"));
  return std::max<int64_t>(1, frames);
}

// The fields both requests have: pipeline, recording, chunking.
template <typename Request>
absl::Status FillCommon(const ParsedArgs& args, Request* request) {
  NF_ASSIGN_OR_RETURN(*request->mutable_pipeline(), PipelineFromFlag(args));
  NF_ASSIGN_OR_RETURN(*request->mutable_recording(), RecordingFromFlags(args));
  NF_ASSIGN_OR_RETURN(int64_t chunk, ChunkFrames(args, request->recording().sampling_rate_hz()));
  request->set_chunk_frames(chunk);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Pipeline> PipelineFromFlag(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(std::string path, args.Required("pipeline"));
  NF_ASSIGN_OR_RETURN(std::string json, ReadTextFile(path, "--pipeline"));
  absl::StatusOr<v1::Pipeline> pipeline = api::ParsePipelineJson(json);
  if (!pipeline.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", pipeline.status().message()));
  }
  return pipeline;
}

absl::StatusOr<v1::ExtractRequest> ExtractRequestFromFlags(const ParsedArgs& args) {
  v1::ExtractRequest request;
  NF_RETURN_IF_ERROR(FillCommon(args, &request));
  if (args.Has("no-cache") && args.Has("refresh-cache")) {
    return absl::InvalidArgumentError("--no-cache and --refresh-cache: give one");
  }
  if (args.Has("no-cache")) request.set_cache_policy(v1::CACHE_BYPASS);
  if (args.Has("refresh-cache")) request.set_cache_policy(v1::CACHE_REFRESH);
  return request;
}

absl::StatusOr<v1::PreprocessRequest> PreprocessRequestFromFlags(const ParsedArgs& args) {
  v1::PreprocessRequest request;
  NF_RETURN_IF_ERROR(FillCommon(args, &request));
  const double fs = request.recording().sampling_rate_hz();
  if (auto s = args.GetOptional("start")) {
    NF_ASSIGN_OR_RETURN(int64_t start, ParseFramePosition(*s, fs, "start"));
    request.set_start_frame(start);
  }
  if (auto e = args.GetOptional("end")) {
    NF_ASSIGN_OR_RETURN(int64_t end, ParseFramePosition(*e, fs, "end"));
    request.set_end_frame(end);
  }
  if (auto d = args.GetOptional("dtype")) {
    if (*d == "int16") {
      request.set_output_dtype(v1::INT16);
    } else if (*d == "float32") {
      request.set_output_dtype(v1::FLOAT32);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--dtype=", *d, " is not float32 or int16"));
    }
  }
  return request;
}

absl::Status ForFlags(const absl::Status& status) {
  if (status.ok()) return status;
  static const std::vector<std::pair<std::string, std::string>> kFlags = {
      {"recording.sampling_rate_hz", "--fs"},
      {"recording.channel_names", "--channels"},
      {"recording.channel_locations", "--channel-locations"},
      {"recording.highpass_hz", "--highpass"},
      {"recording.lowpass_hz", "--lowpass"},
      {"start_frame/end_frame", "--start/--end"},
      {"output_dtype", "--dtype"},
      {"chunk_frames", "--chunk-duration"},
      {"bids root", "--bids"}};
  return absl::Status(status.code(), absl::StrReplaceAll(status.message(), kFlags));
}

std::string RecordingName(const ParsedArgs& args) {
  if (auto r = args.GetOptional("recording")) return *r;
  std::string name = args.GetOptional("remote-path").value_or(args.Get("input"));
  const size_t slash = name.find_last_of('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

absl::Status CheckRateGiven(const ParsedArgs& args) {
  if (!args.Has("input") || args.Has("fs")) return absl::OkStatus();
  bool npy = args.GetOptional("format") == "npy";
  if (!args.Has("format")) {
    absl::StatusOr<RecordingFormat> detected = DetectRecordingFormat(args.Get("input"));
    npy = detected.ok() && *detected == RecordingFormat::kNpy;
  }
  if (npy) return args.Required("fs").status();
  return absl::OkStatus();
}

}  // namespace neurofeat::client
