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
#include "core/features/csp.h"
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

struct FitData {
  NpyArray windows;
  std::vector<int64_t> labels;
  std::vector<std::string> channels;
};

// Fits every CommonSpatialPattern node of `nodes` (a "features" list) that
// reads the windows; `path` names the list for messages.
absl::Status FitNodes(JsonValue* nodes, const std::string& path, bool under_preprocessor,
                      const FitData& data, int* fitted) {
  if (nodes == nullptr || !nodes->is_list()) return absl::OkStatus();
  for (size_t i = 0; i < nodes->mutable_list()->size(); ++i) {
    JsonValue& node = (*nodes->mutable_list())[i];
    if (!node.is_object()) continue;
    const JsonValue* name = node.Find("name");
    const std::string here = absl::StrCat(
        path, ".",
        name != nullptr && name->is_string() ? name->string_value() : absl::StrCat("[", i, "]"));
    const JsonValue* fn = node.Find("fn");
    if (fn != nullptr && fn->is_string() && fn->string_value() == "CommonSpatialPattern") {
      if (under_preprocessor) {
        return absl::UnimplementedError(absl::StrCat(
            here,
            ": fitting a CommonSpatialPattern below a preprocessor is not supported yet; "
            "place it directly under the windows (\"features\" at the top level)"));
      }
      const int64_t w = data.windows.header.shape[0], c = data.windows.header.shape[1],
                    t = data.windows.header.shape[2];
      absl::StatusOr<CspModel> model =
          FitCsp(data.windows.as<float>(), w, c, t, data.labels, data.channels);
      if (!model.ok()) {
        return absl::Status(model.status().code(),
                            absl::StrCat(here, ": ", model.status().message()));
      }
      JsonValue* params = nullptr;
      auto& members = *node.mutable_object();
      if (auto it = members.find("params"); it != members.end() && it->second.is_object()) {
        params = &it->second;
      } else {
        members["params"] = JsonValue::MakeObject({});
        params = &members["params"];
      }
      (*params->mutable_object())["fitted"] = CspModelToJson(*model);
      ++*fitted;
      std::printf("fitted %s: %zu filters, eigenvalues", here.c_str(), model->eigvals.size());
      for (double e : model->eigvals) std::printf(" %.6g", e);
      std::printf(
          " (classes %lld: %lld samples, %lld: %lld)\n", static_cast<long long>(model->labels[0]),
          static_cast<long long>(model->counts[0]), static_cast<long long>(model->labels[1]),
          static_cast<long long>(model->counts[1]));
    }
    auto& members = *node.mutable_object();
    auto children = members.find("features");
    if (children != members.end()) {
      const bool has_pre = members.count("preprocessor") > 0;
      NF_RETURN_IF_ERROR(
          FitNodes(&children->second, here, under_preprocessor || has_pre, data, fitted));
    }
  }
  return absl::OkStatus();
}

absl::Status Run(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(const std::string input, args.Required("input"));
  NF_ASSIGN_OR_RETURN(const std::string labels_path, args.Required("labels"));
  NF_ASSIGN_OR_RETURN(const std::string pipeline_path, args.Required("pipeline"));
  NF_ASSIGN_OR_RETURN(const std::string output, args.Required("output"));
  FitData data;
  NF_ASSIGN_OR_RETURN(data.windows, ReadNpy(input));
  if (data.windows.header.shape.size() != 3 || data.windows.header.dtype != NpyDtype::kFloat32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--input=", input, ": labelled windows are a float32 array (windows, channels, times)"));
  }
  NF_ASSIGN_OR_RETURN(data.labels, ReadLabels(labels_path));
  const int64_t channels = data.windows.header.shape[1];
  if (auto names = args.GetOptional("channels")) {
    data.channels = absl::StrSplit(*names, ',');
    if (static_cast<int64_t>(data.channels.size()) != channels) {
      return absl::InvalidArgumentError(absl::StrCat("--channels names ", data.channels.size(),
                                                     " channels; the windows have ", channels));
    }
  } else {
    for (int64_t c = 0; c < channels; ++c) data.channels.push_back(absl::StrCat(c));
  }
  NF_ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(pipeline_path, int64_t{64} << 20));
  // The pipeline must be valid as given (the same checks as extract).
  NF_RETURN_IF_ERROR(api::ParsePipelineJson(text).status());
  NF_ASSIGN_OR_RETURN(JsonValue pipeline, ParseJson(text));
  int fitted = 0;
  JsonValue* features = nullptr;
  if (pipeline.is_object()) {
    auto it = pipeline.mutable_object()->find("features");
    if (it != pipeline.mutable_object()->end()) features = &it->second;
  }
  NF_RETURN_IF_ERROR(FitNodes(features, "features", false, data, &fitted));
  if (fitted == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--pipeline=", pipeline_path, ": no trainable node (CommonSpatialPattern) to fit"));
  }
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
