#include "core/features/fit_pipeline.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/features/csp.h"
#include "core/status_macros.h"

namespace neurofeat {

bool IsTrainableNode(const JsonValue& node) {
  const JsonValue* fn = node.is_object() ? node.Find("fn") : nullptr;
  return fn != nullptr && fn->is_string() && fn->string_value() == "CommonSpatialPattern";
}

namespace {

struct FitInput {
  const Windows* windows;
  const std::vector<int64_t>* labels;
  const std::vector<std::string>* channels;
  const std::function<bool()>* cancelled;
};

absl::Status FitNodes(JsonValue* nodes, const std::string& path, bool under_preprocessor,
                      const FitInput& in, std::vector<std::string>* report) {
  if (nodes == nullptr || !nodes->is_list()) return absl::OkStatus();
  for (size_t i = 0; i < nodes->mutable_list()->size(); ++i) {
    JsonValue& node = (*nodes->mutable_list())[i];
    if (!node.is_object()) continue;
    const JsonValue* name = node.Find("name");
    const std::string here = absl::StrCat(
        path, ".",
        name != nullptr && name->is_string() ? name->string_value() : absl::StrCat("[", i, "]"));
    auto& members = *node.mutable_object();
    if (IsTrainableNode(node)) {
      if (under_preprocessor) {
        return absl::UnimplementedError(absl::StrCat(
            here,
            ": fitting a CommonSpatialPattern below a preprocessor is not supported yet; "
            "place it directly under the windows (\"features\" at the top level)"));
      }
      const Windows& w = *in.windows;
      absl::StatusOr<CspModel> model = FitCsp(w.data.data(), w.n_windows, w.channels, w.n_times,
                                              *in.labels, *in.channels, *in.cancelled);
      if (!model.ok()) {
        return absl::Status(model.status().code(),
                            absl::StrCat(here, ": ", model.status().message()));
      }
      auto params = members.find("params");
      if (params == members.end() || !params->second.is_object()) {
        members["params"] = JsonValue::MakeObject({});
        params = members.find("params");
      }
      (*params->second.mutable_object())["fitted"] = CspModelToJson(*model);
      std::string line = absl::StrCat(here, ": ", model->eigvals.size(), " filters, eigenvalues");
      for (double e : model->eigvals) absl::StrAppendFormat(&line, " %.6g", e);
      absl::StrAppend(&line, " (class ", model->labels[0], ": ", model->counts[0],
                      " samples, class ", model->labels[1], ": ", model->counts[1], ")");
      report->push_back(std::move(line));
    }
    auto children = members.find("features");
    if (children != members.end()) {
      const bool has_pre = members.count("preprocessor") > 0;
      NF_RETURN_IF_ERROR(
          FitNodes(&children->second, here, under_preprocessor || has_pre, in, report));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FitPipeline(JsonValue* pipeline, const Windows& windows,
                                                     const std::vector<int64_t>& labels,
                                                     const std::vector<std::string>& channels,
                                                     const std::function<bool()>& cancelled) {
  if (static_cast<int64_t>(channels.size()) != windows.channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "channels: ", channels.size(), " names for windows of ", windows.channels, " channels"));
  }
  std::vector<std::string> report;
  JsonValue* features = nullptr;
  if (pipeline->is_object()) {
    auto it = pipeline->mutable_object()->find("features");
    if (it != pipeline->mutable_object()->end()) features = &it->second;
  }
  NF_RETURN_IF_ERROR(FitNodes(features, "features", false,
                              FitInput{&windows, &labels, &channels, &cancelled}, &report));
  if (report.empty()) {
    return absl::InvalidArgumentError("pipeline: no trainable node (CommonSpatialPattern) to fit");
  }
  return report;
}

}  // namespace neurofeat
