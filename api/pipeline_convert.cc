#include "api/pipeline_convert.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <regex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/preprocess/step_registry.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat::api {
namespace {

namespace pb = google::protobuf;

// Walks "preprocess[0].bandpass" from Pipeline and lists the field names of
// the message found there.
std::string KnownKeysAt(const std::string& path) {
  const pb::Descriptor* d = v1::Pipeline::descriptor();
  if (!path.empty()) {
    for (absl::string_view part : absl::StrSplit(path, '.')) {
      std::string name(part.substr(0, part.find('[')));
      const pb::FieldDescriptor* f = d->FindFieldByName(name);
      if (f == nullptr) f = d->FindFieldByCamelcaseName(name);
      if (f == nullptr || f->message_type() == nullptr) return "";
      d = f->message_type();
    }
  }
  std::vector<std::string> names;
  for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
  return absl::StrJoin(names, ", ");
}

std::string PathOr(const std::string& path, const std::string& what) {
  return path.empty() ? what : path;
}

// StepJson() is a step's message in the JSON contract's form (protobuf's
// JSON mapping, proto field names), as core reads step options.
absl::StatusOr<JsonValue> StepJson(const pb::Message& message, const std::string& path) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto printed = pb::util::MessageToJsonString(message, &json, options);
  if (!printed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(printed.message())));
  }
  // Core's parser is stricter than protobuf's (nesting at most 64 deep):
  // what it refuses is refused as input.
  absl::StatusOr<JsonValue> value = ParseJson(json);
  if (!value.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", value.status().message()));
  }
  return value;
}

}  // namespace

absl::StatusOr<v1::Pipeline> ParsePipelineJson(const std::string& json) {
  v1::Pipeline pipeline;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(json, &pipeline, options);
  if (st.ok()) return pipeline;
  std::string message(st.message());
  // "(preprocess[0].bandpass) freq_mn: Cannot find field." -> name the
  // unknown key and list the known ones.
  static const std::regex kUnknown(R"(^\(([^)]*)\) ([^:]+): Cannot find field\.?$)");
  std::smatch m;
  if (std::regex_match(message, m, kUnknown)) {
    const std::string path = m[1].str(), key = m[2].str();
    return absl::InvalidArgumentError(absl::StrCat("pipeline: unknown key \"", key, "\" in ",
                                                   PathOr(path, "the top level"),
                                                   " (known: ", KnownKeysAt(path), ")"));
  }
  static const std::regex kTopUnknown(R"(^([^:( ]+): Cannot find field\.?$)");
  if (std::regex_match(message, m, kTopUnknown)) {
    return absl::InvalidArgumentError(absl::StrCat("pipeline: unknown key \"", m[1].str(),
                                                   "\" at the top level (known: ", KnownKeysAt(""),
                                                   ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat("pipeline: ", message));
}

absl::StatusOr<ChainSpec> ToChainSpec(const v1::Pipeline& pipeline) {
  // Each step is the message set in the oneof, handed to core's registry by
  // its field name: the proto keeps one typed message per step, and this
  // edge knows none of them.
  const pb::OneofDescriptor* oneof = v1::PreprocessStep::descriptor()->FindOneofByName("step");
  const StepRegistry& registry = StepRegistry::Default();
  ChainSpec spec;
  for (int i = 0; i < pipeline.preprocess_size(); ++i) {
    const v1::PreprocessStep& step = pipeline.preprocess(i);
    const std::string base = absl::StrCat("preprocess[", i, "]");
    const pb::FieldDescriptor* field = step.GetReflection()->GetOneofFieldDescriptor(step, oneof);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(base, " names no step (known: ", KnownKeysAt("preprocess"), ")"));
    }
    PreprocessStepSpec out;
    out.path = absl::StrCat(base, ".", field->name());
    NF_ASSIGN_OR_RETURN(JsonValue json,
                        StepJson(step.GetReflection()->GetMessage(step, field), out.path));
    NF_ASSIGN_OR_RETURN(out.options, registry.ParseOptions(field->name(), json, out.path));
    spec.steps.push_back(std::move(out));
  }
  return spec;
}

namespace {

FeatureNodeSpec ToFeatureNodeSpec(const v1::FeatureNode& node) {
  FeatureNodeSpec spec;
  spec.name = node.name();
  spec.fn = node.fn();
  spec.params = ToJsonValue(node.params());
  spec.has_preprocessor = node.has_preprocessor();
  spec.preprocessor_fn = node.preprocessor().fn();
  spec.preprocessor_params = ToJsonValue(node.preprocessor().params());
  for (const auto& child : node.features()) spec.features.push_back(ToFeatureNodeSpec(child));
  return spec;
}

}  // namespace

std::vector<FeatureNodeSpec> ToFeatureSpecs(const v1::Pipeline& pipeline) {
  std::vector<FeatureNodeSpec> specs;
  for (const auto& node : pipeline.features()) specs.push_back(ToFeatureNodeSpec(node));
  return specs;
}

std::string PipelineToJson(const v1::Pipeline& pipeline) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)pb::util::MessageToJsonString(pipeline, &out, options);
  return out;
}

JsonValue ToJsonValue(const pb::Value& v) {
  switch (v.kind_case()) {
    case pb::Value::kBoolValue:
      return JsonValue::Bool(v.bool_value());
    case pb::Value::kNumberValue:
      return JsonValue::Number(v.number_value());
    case pb::Value::kStringValue:
      return JsonValue::String(v.string_value());
    case pb::Value::kListValue: {
      JsonValue::List items;
      for (const pb::Value& item : v.list_value().values()) items.push_back(ToJsonValue(item));
      return JsonValue::MakeList(std::move(items));
    }
    case pb::Value::kStructValue: {
      JsonValue::Object members;
      for (const auto& [k, m] : v.struct_value().fields()) members.emplace(k, ToJsonValue(m));
      return JsonValue::MakeObject(std::move(members));
    }
    default:
      return JsonValue();
  }
}

JsonValue ToJsonValue(const pb::Struct& s) {
  JsonValue::Object members;
  for (const auto& [k, m] : s.fields()) members.emplace(k, ToJsonValue(m));
  return JsonValue::MakeObject(std::move(members));
}

absl::StatusOr<std::optional<WindowSpec>> ToWindowSpec(const v1::Pipeline& pipeline) {
  if (!pipeline.has_window()) return std::optional<WindowSpec>();
  const v1::Window& w = pipeline.window();
  if (!w.has_size_samples()) {
    return absl::InvalidArgumentError("window.size_samples: required (window length in samples)");
  }
  WindowSpec spec;
  spec.size = w.size_samples();
  spec.stride = w.has_stride_samples() ? w.stride_samples() : w.size_samples();
  spec.drop_last = w.has_drop_last() ? w.drop_last() : true;
  if (spec.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("window.size_samples: must be >= 1, got ", spec.size));
  }
  if (spec.stride < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("window.stride_samples: must be >= 1, got ", spec.stride));
  }
  return std::optional<WindowSpec>(spec);
}

absl::StatusOr<PipelineSpec> ToPipelineSpec(const v1::Pipeline& pipeline) {
  PipelineSpec spec;
  NF_ASSIGN_OR_RETURN(spec.chain, ToChainSpec(pipeline));
  NF_ASSIGN_OR_RETURN(spec.window, ToWindowSpec(pipeline));
  spec.features = ToFeatureSpecs(pipeline);
  return spec;
}

}  // namespace neurofeat::api
