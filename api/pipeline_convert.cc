#include "api/pipeline_convert.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <regex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"

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

absl::StatusOr<std::optional<double>> MarginMs(const pb::Value& v, bool present,
                                               const std::string& path) {
  if (!present || v.kind_case() == pb::Value::KIND_NOT_SET ||
      v.kind_case() == pb::Value::kNullValue) {
    return std::optional<double>();
  }
  if (v.kind_case() == pb::Value::kStringValue && v.string_value() == "auto") {
    return std::optional<double>();
  }
  if (v.kind_case() == pb::Value::kNumberValue) {
    if (!std::isfinite(v.number_value()) || v.number_value() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".margin_ms=", v.number_value(),
                                                     " must be a non-negative number of ms"));
    }
    return std::optional<double>(v.number_value());
  }
  std::string shown;
  (void)pb::util::MessageToJsonString(v, &shown);
  return absl::InvalidArgumentError(
      absl::StrCat(path, ".margin_ms=", shown, " must be a number of ms or \"auto\""));
}

template <typename Step>
absl::Status FillCommon(const Step& s, const std::string& path, std::optional<double>* margin_ms,
                        FilterDirection* direction) {
  NF_ASSIGN_OR_RETURN(*margin_ms, MarginMs(s.margin_ms(), s.has_margin_ms(), path));
  if (s.has_direction()) {
    NF_ASSIGN_OR_RETURN(*direction, ParseFilterDirection(s.direction(), path + ".direction"));
  }
  return absl::OkStatus();
}

absl::Status Required(bool present, const std::string& field) {
  if (!present) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return absl::OkStatus();
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
  ChainSpec spec;
  for (int i = 0; i < pipeline.preprocess_size(); ++i) {
    const v1::PreprocessStep& step = pipeline.preprocess(i);
    const std::string base = absl::StrCat("preprocess[", i, "]");
    PreprocessStepSpec out;
    switch (step.step_case()) {
      case v1::PreprocessStep::kBandpass: {
        const auto& s = step.bandpass();
        out.path = base + ".bandpass";
        ButterworthOptions o;
        o.band = BandType::kBandpass;
        if (s.has_freq_min()) o.freq_min_hz = s.freq_min();
        if (s.has_freq_max()) o.freq_max_hz = s.freq_max();
        if (s.has_filter_order()) o.filter_order = s.filter_order();
        NF_RETURN_IF_ERROR(FillCommon(s, out.path, &o.margin_ms, &o.direction));
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kHighpass: {
        const auto& s = step.highpass();
        out.path = base + ".highpass";
        ButterworthOptions o;
        o.band = BandType::kHighpass;
        if (s.has_freq_min()) o.freq_min_hz = s.freq_min();
        if (s.has_filter_order()) o.filter_order = s.filter_order();
        NF_RETURN_IF_ERROR(FillCommon(s, out.path, &o.margin_ms, &o.direction));
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kLowpass: {
        const auto& s = step.lowpass();
        out.path = base + ".lowpass";
        ButterworthOptions o;
        o.band = BandType::kLowpass;
        NF_RETURN_IF_ERROR(Required(s.has_freq_max(), out.path + ".freq_max"));
        o.freq_max_hz = s.freq_max();
        if (s.has_filter_order()) o.filter_order = s.filter_order();
        NF_RETURN_IF_ERROR(FillCommon(s, out.path, &o.margin_ms, &o.direction));
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kBandstop: {
        const auto& s = step.bandstop();
        out.path = base + ".bandstop";
        ButterworthOptions o;
        o.band = BandType::kBandstop;
        NF_RETURN_IF_ERROR(Required(s.has_freq_min(), out.path + ".freq_min"));
        NF_RETURN_IF_ERROR(Required(s.has_freq_max(), out.path + ".freq_max"));
        o.freq_min_hz = s.freq_min();
        o.freq_max_hz = s.freq_max();
        if (s.has_filter_order()) o.filter_order = s.filter_order();
        NF_RETURN_IF_ERROR(FillCommon(s, out.path, &o.margin_ms, &o.direction));
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kNotch: {
        const auto& s = step.notch();
        out.path = base + ".notch";
        NotchOptions o;
        NF_RETURN_IF_ERROR(Required(s.has_freq(), out.path + ".freq"));
        o.freq_hz = s.freq();
        if (s.has_q()) o.q = s.q();
        NF_RETURN_IF_ERROR(FillCommon(s, out.path, &o.margin_ms, &o.direction));
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kCommonReference: {
        const auto& s = step.common_reference();
        out.path = base + ".common_reference";
        CommonReferenceOptions o;
        if (s.has_reference()) {
          if (s.reference() == "global") {
            o.reference = ReferenceKind::kGlobal;
          } else if (s.reference() == "single") {
            o.reference = ReferenceKind::kSingle;
          } else if (s.reference() == "local") {
            o.reference = ReferenceKind::kLocal;
          } else {
            return absl::InvalidArgumentError(
                absl::StrCat(out.path, ".reference=\"", s.reference(),
                             "\" is not one of global, single, local"));
          }
        }
        if (s.has_operator_()) {
          if (s.operator_() == "median") {
            o.op = ReferenceOperator::kMedian;
          } else if (s.operator_() == "average") {
            o.op = ReferenceOperator::kAverage;
          } else {
            return absl::InvalidArgumentError(absl::StrCat(out.path, ".operator=\"", s.operator_(),
                                                           "\" is not one of median, average"));
          }
        }
        o.ref_channel_ids.assign(s.ref_channel_ids().begin(), s.ref_channel_ids().end());
        if (s.local_radius_size() != 0) {
          if (s.local_radius_size() != 2) {
            return absl::InvalidArgumentError(absl::StrCat(out.path, ".local_radius has ",
                                                           s.local_radius_size(),
                                                           " values; give [inner, outer]"));
          }
          o.local_radius_inner = s.local_radius(0);
          o.local_radius_outer = s.local_radius(1);
        }
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kScale: {
        const auto& s = step.scale();
        out.path = base + ".scale";
        ScaleOptions o;
        if (s.gain_size() > 0) o.gain.assign(s.gain().begin(), s.gain().end());
        if (s.offset_size() > 0) o.offset.assign(s.offset().begin(), s.offset().end());
        out.options = o;
        break;
      }
      case v1::PreprocessStep::kPhaseShift: {
        const auto& s = step.phase_shift();
        out.path = base + ".phase_shift";
        PhaseShiftOptions o;
        if (s.has_margin_ms()) o.margin_ms = s.margin_ms();
        o.inter_sample_shift.assign(s.inter_sample_shift().begin(), s.inter_sample_shift().end());
        out.options = o;
        break;
      }
      case v1::PreprocessStep::STEP_NOT_SET:
        return absl::InvalidArgumentError(
            absl::StrCat(base, " names no step (known: ", KnownKeysAt("preprocess"), ")"));
    }
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
