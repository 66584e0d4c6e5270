#include "core/features/params.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace neurofeat {

const std::vector<Band>& DefaultBands() {
  static const auto* bands = new std::vector<Band>{
      {"delta", 1.0, 4.5}, {"theta", 4.5, 8.0}, {"alpha", 8.0, 12.0}, {"beta", 12.0, 30.0}};
  return *bands;
}

std::string DescribeValue(const JsonValue& v) { return ToCanonicalJson(v); }

ParamReader::ParamReader(const JsonValue& params, std::string path)
    : params_(params), path_(std::move(path)) {}

std::string ParamReader::Field(const std::string& key) const {
  return absl::StrCat(path_, ".params.", key);
}

void ParamReader::Describe(const std::string& key, std::string default_json) {
  for (const ParamDoc& d : described_) {
    if (d.name == key) return;
  }
  described_.push_back({key, std::move(default_json)});
}

const JsonValue* ParamReader::Find(const std::string& key) {
  known_.insert(key);
  const JsonValue* v = params_.Find(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

const JsonValue* ParamReader::Value(const std::string& key) {
  Describe(key, "null");
  return Find(key);
}

absl::StatusOr<std::optional<double>> ParamReader::OptionalNumber(const std::string& key) {
  Describe(key, "null");
  const JsonValue* v = Find(key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number() || !std::isfinite(v->number_value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected a finite number, got ", DescribeValue(*v)));
  }
  return std::optional<double>(v->number_value());
}

absl::StatusOr<double> ParamReader::Number(const std::string& key, double default_value) {
  Describe(key, FormatJsonNumber(default_value));
  auto v = OptionalNumber(key);
  if (!v.ok()) return v.status();
  return v->value_or(default_value);
}

absl::StatusOr<std::optional<int64_t>> ParamReader::OptionalInt(const std::string& key) {
  Describe(key, "null");
  const JsonValue* v = Find(key);
  if (v == nullptr) return std::optional<int64_t>();
  const double d = v->is_number() ? v->number_value() : 0.5;
  if (!v->is_number() || d != std::floor(d) || std::fabs(d) > 9e15) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected an integer, got ", DescribeValue(*v)));
  }
  return std::optional<int64_t>(static_cast<int64_t>(d));
}

absl::StatusOr<int64_t> ParamReader::Int(const std::string& key, int64_t default_value) {
  Describe(key, absl::StrCat(default_value));
  auto v = OptionalInt(key);
  if (!v.ok()) return v.status();
  return v->value_or(default_value);
}

absl::StatusOr<bool> ParamReader::Bool(const std::string& key, bool default_value) {
  Describe(key, default_value ? "true" : "false");
  const JsonValue* v = Find(key);
  if (v == nullptr) return default_value;
  if (!v->is_bool()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected true or false, got ", DescribeValue(*v)));
  }
  return v->bool_value();
}

absl::StatusOr<std::vector<Band>> ParamReader::Bands(const std::string& key,
                                                     const std::vector<Band>& defaults) {
  // The default, printed as a given value would be (canonical forms match).
  JsonValue list = JsonValue::MakeList({});
  for (const Band& b : defaults) {
    list.mutable_list()->push_back(JsonValue::MakeObject({{"name", JsonValue::String(b.name)},
                                                          {"lo", JsonValue::Number(b.lo)},
                                                          {"hi", JsonValue::Number(b.hi)}}));
  }
  Describe(key, DescribeValue(list));
  const JsonValue* v = Find(key);
  if (v == nullptr) return defaults;
  const std::string shape_hint =
      "expected a list of {\"name\": ..., \"lo\": Hz, \"hi\": Hz} (a list, because its order "
      "decides the column order)";
  if (!v->is_list() || v->list().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": ", shape_hint, ", got ", DescribeValue(*v)));
  }
  std::vector<Band> bands;
  std::set<std::string> names;
  int index = 0;
  for (const JsonValue& item : v->list()) {
    const std::string field = absl::StrCat(Field(key), "[", index++, "]");
    if (!item.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", shape_hint, ", got ", DescribeValue(item)));
    }
    Band band;
    bool has_name = false, has_lo = false, has_hi = false;
    for (const auto& [k, f] : item.object()) {
      if (k == "name" && f.is_string() && !f.string_value().empty()) {
        band.name = f.string_value();
        has_name = true;
      } else if ((k == "lo" || k == "hi") && f.is_number() && std::isfinite(f.number_value())) {
        (k == "lo" ? band.lo : band.hi) = f.number_value();
        (k == "lo" ? has_lo : has_hi) = true;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".", k, ": unexpected ", DescribeValue(f), " (known keys: name, lo, hi)"));
      }
    }
    if (!has_name || !has_lo || !has_hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a band needs name, lo and hi, got ", DescribeValue(item)));
    }
    if (band.lo > band.hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": band \"", band.name, "\" has lo ", band.lo, " > hi ", band.hi));
    }
    if (!names.insert(band.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": band name \"", band.name, "\" appears twice"));
    }
    bands.push_back(band);
  }
  return bands;
}

absl::StatusOr<std::optional<std::vector<std::pair<std::string, std::string>>>> ParamReader::Pairs(
    const std::string& key) {
  using Result = std::optional<std::vector<std::pair<std::string, std::string>>>;
  Describe(key, "null");
  const JsonValue* v = Find(key);
  if (v == nullptr) return Result();
  std::vector<std::pair<std::string, std::string>> pairs;
  bool ok = v->is_list() && !v->list().empty();
  if (ok) {
    for (const JsonValue& item : v->list()) {
      if (!item.is_list() || item.list().size() != 2 || !item.list()[0].is_string() ||
          !item.list()[1].is_string()) {
        ok = false;
        break;
      }
      pairs.emplace_back(item.list()[0].string_value(), item.list()[1].string_value());
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        Field(key), ": expected a list of [channel, channel] pairs, got ", DescribeValue(*v)));
  }
  return Result(std::move(pairs));
}

absl::StatusOr<std::vector<std::string>> ParamReader::Strings(const std::string& key) {
  Describe(key, "null");
  const JsonValue* v = Find(key);
  std::vector<std::string> out;
  bool ok = v != nullptr && v->is_list() && !v->list().empty();
  if (ok) {
    for (const JsonValue& item : v->list()) {
      if (!item.is_string()) {
        ok = false;
        break;
      }
      out.push_back(item.string_value());
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected a non-empty list of channel names, got ",
                     v == nullptr ? "nothing" : DescribeValue(*v)));
  }
  return out;
}

absl::StatusOr<std::optional<std::pair<double, double>>> ParamReader::Range(
    const std::string& key) {
  using Result = std::optional<std::pair<double, double>>;
  Describe(key, "null");
  const JsonValue* v = Find(key);
  if (v == nullptr) return Result();
  const bool ok = v->is_list() && v->list().size() == 2 && v->list()[0].is_number() &&
                  v->list()[1].is_number() && std::isfinite(v->list()[0].number_value()) &&
                  std::isfinite(v->list()[1].number_value()) &&
                  v->list()[0].number_value() <= v->list()[1].number_value();
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        Field(key), ": expected [lo, hi] in Hz with lo <= hi, got ", DescribeValue(*v)));
  }
  return Result(std::make_pair(v->list()[0].number_value(), v->list()[1].number_value()));
}

absl::Status ParamReader::Finish() const {
  if (!params_.is_null() && !params_.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ".params: expected an object, got ", DescribeValue(params_)));
  }
  for (const auto& [key, value] : params_.object()) {
    if (known_.count(key) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(key), ": unknown parameter (known: ",
                       known_.empty() ? std::string("none") : absl::StrJoin(known_, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
