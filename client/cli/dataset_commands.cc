// neurofeat bids-plan | upload: the pieces of a dataset run, for other
// clients (the Python package runs them for datasets on the client's disk).
// Both print JSON on stdout: protobuf's JSON form of the v1 messages.
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/bids_convert.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "client/cli/dataset_plan.h"
#include "client/cli/embedded.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "client/lib/request_samples.h"
#include "core/io/recording_readers.h"
#include "core/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace neurofeat::client {
namespace {

absl::Status PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    return absl::InternalError("cannot print the answer as JSON");
  }
  std::printf("%s\n", json.c_str());
  return absl::OkStatus();
}

template <typename Fn>
int RunWith(const char* command, std::vector<FlagSpec> flags, int argc, char** argv, Fn fn) {
  flags.push_back({"help", false, "show this help"});
  const ArgParser parser(command, flags);
  int exit_code = 0;
  std::optional<ParsedArgs> args = ParseCommandArgs(parser, command, argc, argv, &exit_code);
  if (!args) return exit_code;
  absl::Status s = fn(*args);
  return s.ok() ? 0 : ReportCommandError(command, ForFlags(s));
}

}  // namespace

int RunBidsPlanCommand(int argc, char** argv) {
  std::vector<FlagSpec> flags = DatasetFlags();
  flags.push_back(
      {"pipeline", true, "P.json: its window sizes windows at events without duration"});
  flags.push_back({"threads", true, "cap on threads opening headers"});
  for (FlagSpec& f : RemoteFlags()) flags.push_back(std::move(f));
  return RunWith("bids-plan", flags, argc, argv, [](const ParsedArgs& args) -> absl::Status {
    NF_RETURN_IF_ERROR(args.Required("bids").status());
    v1::Pipeline pipeline;
    if (args.Has("pipeline")) {
      NF_ASSIGN_OR_RETURN(pipeline, PipelineFromFlag(args));
    }
    std::vector<PlannedRecording> plan;
    if (args.Has("server")) {
      NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
      NF_ASSIGN_OR_RETURN(plan, PlanBidsFromFlags(args, pipeline, replicas.get()));
    } else {
      NF_ASSIGN_OR_RETURN(auto engine, EmbeddedEngine::Create(args, /*use_cache=*/false));
      absl::Status status;
      engine->InArena([&] {
        absl::StatusOr<std::vector<PlannedRecording>> p =
            PlanBidsFromFlags(args, pipeline, nullptr);
        status = p.status();
        if (p.ok()) plan = *std::move(p);
      });
      NF_RETURN_IF_ERROR(status);
    }
    return PrintJson(api::ToPlanBidsResponse(plan));
  });
}

int RunUploadCommand(int argc, char** argv) {
  std::vector<FlagSpec> flags = {
      {"input", true, "a local recording in any format read (uploaded as its samples)"},
      {"fs", true, "sampling rate, Hz (default: the file's)"},
      {"channels", true, "comma-separated channel names (default: the file's)"},
      {"exclude-channels", true, "comma-separated channels to leave out"}};
  for (FlagSpec& f : RemoteFlags()) flags.push_back(std::move(f));
  return RunWith("upload", flags, argc, argv, [](const ParsedArgs& args) -> absl::Status {
    NF_RETURN_IF_ERROR(args.Required("server").status());
    NF_ASSIGN_OR_RETURN(const std::string input, args.Required("input"));
    NF_ASSIGN_OR_RETURN(RecordingFormat format,
                        ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
    v1::Recording recording;
    if (auto fs = args.GetOptional("fs")) {
      NF_ASSIGN_OR_RETURN(std::optional<double> v, args.GetDouble("fs"));
      recording.set_sampling_rate_hz(*v);
    }
    if (auto c = args.GetOptional("channels")) {
      for (absl::string_view n : absl::StrSplit(*c, ','))
        recording.add_channel_names(std::string(n));
    }
    if (auto c = args.GetOptional("exclude-channels")) {
      for (absl::string_view n : absl::StrSplit(*c, ',', absl::SkipEmpty())) {
        recording.add_exclude_channels(std::string(n));
      }
    }
    NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
    RequestSamples samples;
    samples.local_path = input;
    samples.local_format = format;
    NF_RETURN_IF_ERROR(AttachSamples(replicas->client(0), samples, &recording, nullptr));
    return PrintJson(recording);
  });
}

}  // namespace neurofeat::client
