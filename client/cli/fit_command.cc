// neurofeat fit: fits the trainable nodes of a pipeline (EEGDash's
// CommonSpatialPattern) on labelled windows and writes the fitted pipeline:
// the input pipeline with each trainable node's model in its params
// ("fitted"), which `extract` then applies like any other pipeline (its
// digest covers the model, so cached results of another fit never mix).
// In-process, or on a server (--server) with the windows uploaded or read
// there (--remote-path): one FitRequest either way, one FitJob.
#include <cstdio>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/dtype_convert.h"
#include "api/pipeline_convert.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/embedded.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "client/lib/request_samples.h"
#include "cmdline/args.h"
#include "core/io/npy.h"
#include "core/io/recording_readers.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat::client {
namespace {

std::vector<FlagSpec> Flags() {
  std::vector<FlagSpec> flags = {
      {"input", true, "X.npy: labelled windows (windows, channels, times)"},
      {"labels", true, "y.npy: one integer label per window (two classes)"},
      {"pipeline", true, "pipeline JSON with trainable nodes (CommonSpatialPattern)"},
      {"channels", true, "channel names, comma-separated. Default 0,1,..."},
      {"output", true, "the fitted pipeline JSON to write"},
      {"threads", true, "cap on compute threads (embedded)"},
      {"help", false, "show this help"}};
  for (FlagSpec& f : RemoteFlags()) flags.push_back(std::move(f));
  return flags;
}

const ArgParser& Parser() {
  static const ArgParser parser("fit", Flags());
  return parser;
}

absl::StatusOr<std::vector<int64_t>> ReadLabels(const std::string& path) {
  NF_ASSIGN_OR_RETURN(NpyArray a, ReadNpy(path));
  if (a.header.shape.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--labels=", path, ": a 1-D array of labels, one per window"));
  }
  std::vector<int64_t> out;
  const int64_t n = a.header.shape[0];
  switch (a.header.dtype) {
    case NpyDtype::kInt64:
      out.assign(a.as<int64_t>(), a.as<int64_t>() + n);
      break;
    case NpyDtype::kInt32:
      out.assign(a.as<int32_t>(), a.as<int32_t>() + n);
      break;
    case NpyDtype::kInt16:
      out.assign(a.as<int16_t>(), a.as<int16_t>() + n);
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("--labels=", path, ": dtype ",
                                                     NpyDtypeDescr(a.header.dtype),
                                                     "; give integer labels (int16/32/64)"));
  }
  return out;
}

// The request the flags make; the windows are --input (embedded), an
// upload of it, or --remote-path (both with --server).
absl::StatusOr<v1::FitRequest> RequestFromFlags(const ParsedArgs& args) {
  v1::FitRequest request;
  NF_ASSIGN_OR_RETURN(const std::string labels_path, args.Required("labels"));
  NF_ASSIGN_OR_RETURN(const std::vector<int64_t> labels, ReadLabels(labels_path));
  for (int64_t l : labels) request.add_labels(l);
  NF_ASSIGN_OR_RETURN(*request.mutable_pipeline(), PipelineFromFlag(args));
  v1::Recording* r = request.mutable_recording();
  if (auto names = args.GetOptional("channels")) {
    for (absl::string_view c : absl::StrSplit(*names, ',')) r->add_channel_names(std::string(c));
  }
  if (args.Has("input")) {
    NF_ASSIGN_OR_RETURN(RecordingFormat format,
                        ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
    r->mutable_path()->set_path(args.Get("input"));
    r->mutable_path()->set_format(api::ToProtoFormat(format));
  }
  return request;
}

absl::StatusOr<v1::FitResponse> FitRemote(const ParsedArgs& args, v1::FitRequest request) {
  NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
  v1::FitResponse response;
  RequestSamples samples;
  if (auto remote = args.GetOptional("remote-path")) {
    samples.remote_path = *remote;
  } else {
    samples.local_path = args.Get("input");
  }
  const std::string key = PlacementKey(*replicas, samples);
  NF_RETURN_IF_ERROR(replicas->Call(key, [&](NeurofeatClient& client, CallDetails* details) {
    v1::FitRequest attempt = request;  // an upload is per server
    NF_RETURN_IF_ERROR(AttachSamples(client, samples, attempt.mutable_recording(), nullptr));
    NF_ASSIGN_OR_RETURN(response, client.Fit(attempt, details));
    return absl::OkStatus();
  }));
  return response;
}

absl::Status Run(const ParsedArgs& args) {
  NF_RETURN_IF_ERROR(CheckRemoteFlags(args));
  if (!args.Has("server") || !args.Has("remote-path")) {
    NF_RETURN_IF_ERROR(args.Required("input").status());
  }
  NF_ASSIGN_OR_RETURN(const std::string output, args.Required("output"));
  NF_ASSIGN_OR_RETURN(v1::FitRequest request, RequestFromFlags(args));
  absl::StatusOr<v1::FitResponse> response = absl::UnknownError("not run");
  if (args.Has("server")) {
    response = FitRemote(args, std::move(request));
  } else {
    NF_ASSIGN_OR_RETURN(auto engine, EmbeddedEngine::Create(args, /*use_cache=*/false));
    response = engine->Fit(request);
  }
  if (!response.ok()) {
    return absl::Status(response.status().code(), absl::StrCat("--pipeline=", args.Get("pipeline"),
                                                               ": ", response.status().message()));
  }
  for (const std::string& line : response->report()) std::printf("fitted %s\n", line.c_str());
  // Canonical JSON (sorted keys): the same fit is the same file.
  NF_ASSIGN_OR_RETURN(JsonValue fitted, ParseJson(api::PipelineToJson(response->pipeline())));
  const std::string out_text = ToCanonicalJson(fitted) + "\n";
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << out_text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("--output=", output, ": cannot write"));
  std::printf("wrote %s\n", output.c_str());
  return absl::OkStatus();
}

}  // namespace

int RunFitCommand(int argc, char** argv) {
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(Parser(), "fit", argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::Status s = Run(*args);
  if (!s.ok()) return ReportCommandError("fit", ForFlags(s));
  return 0;
}

}  // namespace neurofeat::client
