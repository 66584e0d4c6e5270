#include "api/pipeline_convert.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

// ---- Shape of the pipeline JSON ----------------------------------------------
//
// Protobuf's JSON parser stops at the first mistake with a message about
// its own types ("Message type \"neurofeat.v1.FeaturePreprocessor\" ...").
// The text is first read as plain JSON and walked beside the v1 messages'
// descriptors, so a mistake is reported at its JSON path with what was
// expected there; only a text that has the right shape is handed to
// protobuf.
namespace {

// A short rendering of a user's string (messages stay readable).
std::string Shown(absl::string_view s) {
  constexpr size_t kMax = 40;
  return s.size() <= kMax ? std::string(s) : absl::StrCat(s.substr(0, kMax), "…");
}

// "a string (\"x\")", "a number (3)", "a list", ... for "got ...".
std::string Got(const JsonValue& v) {
  switch (v.kind()) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBool:
      return v.bool_value() ? "true" : "false";
    case JsonValue::Kind::kNumber:
      return absl::StrCat("a number (", FormatJsonNumber(v.number_value()), ")");
    case JsonValue::Kind::kString:
      return absl::StrCat("a string (\"", Shown(v.string_value()), "\")");
    case JsonValue::Kind::kList:
      return "a list";
    case JsonValue::Kind::kObject:
      return "an object";
  }
  return "a value";
}

bool IsStruct(const pb::Descriptor* d) { return d->full_name() == "google.protobuf.Struct"; }
bool IsValue(const pb::Descriptor* d) { return d->full_name() == "google.protobuf.Value"; }

// What a message looks like in JSON: an object {"fn": …, "params": …}.
std::string ExpectedObject(const pb::Descriptor* d) {
  if (IsStruct(d)) return "an object of parameters {\"name\": value, …}";
  std::vector<std::string> keys;
  for (int i = 0; i < d->field_count(); ++i) {
    keys.push_back(absl::StrCat("\"", d->field(i)->name(), "\": …"));
  }
  return absl::StrCat("an object {", absl::StrJoin(keys, ", "), "}");
}

// What a single value of field `f` looks like.
std::string ExpectedValue(const pb::FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return IsValue(f->message_type()) ? "a value" : ExpectedObject(f->message_type());
    case pb::FieldDescriptor::CPPTYPE_STRING:
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return "a string";
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    default:
      return "an integer";
  }
}

// What a repeated field looks like: a list [{…}, …], a list of numbers.
std::string ExpectedList(const pb::FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return "a list [{…}, …]";
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return "a list of strings [\"…\", …]";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return "a list of numbers [1.5, …]";
    default:
      return absl::StrCat("a list of ", ExpectedValue(f), "s");
  }
}

// The JSON kind a single value of `f` takes, to tell "put it in [ ]" apart.
bool KindFits(const JsonValue& v, const pb::FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return IsValue(f->message_type()) || v.is_object();
    case pb::FieldDescriptor::CPPTYPE_STRING:
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return v.is_string();
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return v.is_bool();
    default:
      return v.is_number();
  }
}

absl::Status Expected(const std::string& path, const std::string& expected, const JsonValue& got,
                      absl::string_view hint = "") {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", expected, ", got ", Got(got), hint));
}

// Optimal string alignment distance (Levenshtein plus transpositions),
// case-insensitive: "bandpas" -> "bandpass" is 1, "freq_mni" -> "freq_min" 1.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  const std::string x = absl::AsciiStrToLower(a), y = absl::AsciiStrToLower(b);
  std::vector<std::vector<size_t>> d(x.size() + 1, std::vector<size_t>(y.size() + 1));
  for (size_t i = 0; i <= x.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= y.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    for (size_t j = 1; j <= y.size(); ++j) {
      const size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.size()][y.size()];
}

// The known field name closest to `key`, if close enough to be a typo: an
// edit distance of at most a third of the name (at least 1, at most 3), or
// one name the start of the other ("common_ref", "lowpass_filter").
std::optional<std::string> ClosestKey(absl::string_view key, const pb::Descriptor* d) {
  constexpr size_t kLongestTypo = 64;  // field names are short; bounds the distance table
  if (key.size() > kLongestTypo) return std::nullopt;
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    for (const std::string& name : {f->name(), f->json_name()}) {
      size_t distance = EditDistance(key, name);
      const size_t limit = std::clamp<size_t>(name.size() / 3, 1, 3);
      const std::string lower_key = absl::AsciiStrToLower(key), lower = absl::AsciiStrToLower(name);
      const bool prefix =
          std::min(key.size(), name.size()) >= 3 &&
          (absl::StartsWith(lower, lower_key) || absl::StartsWith(lower_key, lower));
      if (distance > limit && !prefix) continue;
      if (distance > limit) distance = limit + 1;  // prefixes rank after typos
      if (!best.has_value() || distance < best_distance) {
        best = f->name();
        best_distance = distance;
      }
    }
  }
  return best;
}

// "preprocess[0].bandpass" + "freq_min"; keys that are no identifier are
// quoted: preprocess[0]["freq min"].
std::string Join(const std::string& path, absl::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  if (plain) return path.empty() ? Shown(key) : absl::StrCat(path, ".", Shown(key));
  return absl::StrCat(path, "[\"", Shown(key), "\"]");
}

absl::Status CheckMessage(const JsonValue& v, const pb::Descriptor* d, const std::string& path);

// One value of field `f` (an element, when the field is repeated).
absl::Status CheckSingle(const JsonValue& v, const pb::FieldDescriptor* f,
                         const std::string& path) {
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (IsValue(f->message_type())) return absl::OkStatus();  // any JSON value
      return CheckMessage(v, f->message_type(), path);
    case pb::FieldDescriptor::CPPTYPE_STRING:
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      if (!v.is_string()) return Expected(path, ExpectedValue(f), v);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (!v.is_bool()) return Expected(path, ExpectedValue(f), v);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      // Protobuf's JSON mapping also takes numbers in strings.
      double unused;
      const bool number =
          v.is_number() || (v.is_string() && (absl::SimpleAtod(v.string_value(), &unused) ||
                                              v.string_value() == "NaN"));
      if (!number) return Expected(path, ExpectedValue(f), v);
      return absl::OkStatus();
    }
    default: {
      // Integers: int64 fields print as strings in protobuf's JSON, so
      // "256" is taken as 256.
      const bool is_32 = f->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32;
      const double lo = is_32 ? -2147483648.0 : -9223372036854775808.0;
      const double hi_excluded = is_32 ? 2147483648.0 : 9223372036854775808.0;
      double x = 0;
      int64_t parsed = 0;
      if (v.is_number()) {
        x = v.number_value();
      } else if (v.is_string() && absl::SimpleAtoi(v.string_value(), &parsed)) {
        x = static_cast<double>(parsed);
      } else {
        return Expected(path, ExpectedValue(f), v);
      }
      if (!std::isfinite(x) || x != std::trunc(x)) return Expected(path, ExpectedValue(f), v);
      if (x < lo || x >= hi_excluded) {
        return Expected(path,
                        is_32 ? "an integer from -2147483648 to 2147483647"
                              : "an integer from -9223372036854775808 to 9223372036854775807",
                        v);
      }
      return absl::OkStatus();
    }
  }
}

// Field `f` with value `v` (null: absent, as protobuf reads it).
absl::Status CheckField(const JsonValue& v, const pb::FieldDescriptor* f, const std::string& path) {
  if (v.is_null()) return absl::OkStatus();
  if (!f->is_repeated()) return CheckSingle(v, f, path);
  if (!v.is_list()) {
    return Expected(path, ExpectedList(f), v, KindFits(v, f) ? "; put it in [ ]" : "");
  }
  for (size_t i = 0; i < v.list().size(); ++i) {
    const std::string item = absl::StrCat(path, "[", i, "]");
    if (v.list()[i].is_null()) return Expected(item, ExpectedValue(f), v.list()[i]);
    NF_RETURN_IF_ERROR(CheckSingle(v.list()[i], f, item));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const JsonValue& v, const pb::Descriptor* d, const std::string& path) {
  if (!v.is_object()) return Expected(PathOr(path, "pipeline"), ExpectedObject(d), v);
  if (IsStruct(d)) return absl::OkStatus();  // parameters: the feature checks them
  // A step is a one-key object: its key names the step.
  const bool keys_are_steps = d == v1::PreprocessStep::descriptor();
  std::map<const pb::OneofDescriptor*, std::string> oneof_seen;
  for (const auto& [key, value] : v.object()) {
    const std::string at = Join(path, key);
    const pb::FieldDescriptor* f = d->FindFieldByName(key);
    if (f == nullptr) f = d->FindFieldByCamelcaseName(key);
    if (f == nullptr) {
      std::vector<std::string> known;
      for (int i = 0; i < d->field_count(); ++i) known.push_back(d->field(i)->name());
      const std::optional<std::string> closest = ClosestKey(key, d);
      return absl::InvalidArgumentError(absl::StrCat(
          at, ": unknown ", keys_are_steps ? "step" : "key",
          closest.has_value() ? absl::StrCat("; did you mean \"", *closest, "\"?") : "",
          " (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (const pb::OneofDescriptor* oneof = f->real_containing_oneof();
        oneof != nullptr && !value.is_null()) {
      auto [it, first] = oneof_seen.emplace(oneof, f->name());
      if (!first) {
        return absl::InvalidArgumentError(absl::StrCat(
            PathOr(path, "pipeline"), ": \"", it->second, "\" and \"", f->name(),
            keys_are_steps ? "\" are two steps in one item; give each step its own item of the list"
                           : "\" cannot both be given"));
      }
    }
    NF_RETURN_IF_ERROR(CheckField(value, f, at));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Pipeline> ParsePipelineJson(const std::string& json) {
  absl::StatusOr<JsonValue> tree = ParseJson(json);
  if (!tree.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("pipeline: ", tree.status().message()));
  }
  NF_RETURN_IF_ERROR(CheckMessage(*tree, v1::Pipeline::descriptor(), ""));
  v1::Pipeline pipeline;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(json, &pipeline, options);
  if (!st.ok()) {
    // The shape checks above should leave nothing for protobuf to refuse.
    return absl::InvalidArgumentError(absl::StrCat("pipeline: ", st.message().as_string()));
  }
  return pipeline;
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
