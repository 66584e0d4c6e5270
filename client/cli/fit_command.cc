// neurofeat fit: fits the trainable nodes of a pipeline (EEGDash's
// CommonSpatialPattern) on labelled windows and writes the fitted pipeline:
// the input pipeline with each trainable node's model in its params
// ("fitted"), which `extract` then applies like any other pipeline (its
// digest covers the model, so cached results of another fit never mix).
#include <cstdio>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/pipeline_convert.h"
#include "client/cli/command_status.h"
#include "client/cli/commands.h"
#include "cmdline/args.h"
#include "core/features/fit_pipeline.h"
#include "core/io/npy.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat::client {
namespace {

const ArgParser& Parser() {
  static const ArgParser parser(
      "fit", {{"input", true, "X.npy: labelled windows (windows, channels, times), float32"},
              {"labels", true, "y.npy: one integer label per window (two classes)"},
              {"pipeline", true, "pipeline JSON with trainable nodes (CommonSpatialPattern)"},
              {"channels", true, "channel names, comma-separated. Default 0,1,..."},
              {"output", true, "the fitted pipeline JSON to write"},
              {"help", false, "show this help"}});
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

absl::Status Run(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(const std::string input, args.Required("input"));
  NF_ASSIGN_OR_RETURN(const std::string labels_path, args.Required("labels"));
  NF_ASSIGN_OR_RETURN(const std::string pipeline_path, args.Required("pipeline"));
  NF_ASSIGN_OR_RETURN(const std::string output, args.Required("output"));
  NF_ASSIGN_OR_RETURN(NpyArray x, ReadNpy(input));
  if (x.header.shape.size() != 3 || x.header.dtype != NpyDtype::kFloat32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--input=", input, ": labelled windows are a float32 array (windows, channels, times)"));
  }
  Windows windows;
  windows.n_windows = x.header.shape[0];
  windows.channels = x.header.shape[1];
  windows.n_times = x.header.shape[2];
  windows.data.assign(x.as<float>(),
                      x.as<float>() + windows.n_windows * windows.channels * windows.n_times);
  NF_ASSIGN_OR_RETURN(const std::vector<int64_t> labels, ReadLabels(labels_path));
  std::vector<std::string> channels;
  if (auto names = args.GetOptional("channels")) {
    channels = absl::StrSplit(*names, ',');
    if (static_cast<int64_t>(channels.size()) != windows.channels) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--channels names ", channels.size(), " channels; the windows have ", windows.channels));
    }
  } else {
    for (int64_t c = 0; c < windows.channels; ++c) channels.push_back(absl::StrCat(c));
  }
  NF_ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(pipeline_path, int64_t{64} << 20));
  // The pipeline must be valid as given (the same checks as extract).
  NF_RETURN_IF_ERROR(api::ParsePipelineJson(text).status());
  NF_ASSIGN_OR_RETURN(JsonValue pipeline, ParseJson(text));
  absl::StatusOr<std::vector<std::string>> report =
      FitPipeline(&pipeline, windows, labels, channels);
  if (!report.ok()) {
    return absl::Status(report.status().code(), absl::StrCat("--pipeline=", pipeline_path, ": ",
                                                             report.status().message()));
  }
  for (const std::string& line : *report) std::printf("fitted %s\n", line.c_str());
  const std::string out_text = ToCanonicalJson(pipeline) + "\n";
  // The fitted pipeline parses as any pipeline does.
  NF_RETURN_IF_ERROR(api::ParsePipelineJson(out_text).status());
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
  if (!s.ok()) return ReportCommandError("fit", s);
  return 0;
}

}  // namespace neurofeat::client
