#include "core/features/params.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"

namespace neurofeat {

const std::vector<Band>& DefaultBands() {
  static const auto* bands = new std::vector<Band>{
      {"delta", 1.0, 4.5}, {"theta", 4.5, 8.0}, {"alpha", 8.0, 12.0}, {"beta", 12.0, 30.0}};
  return *bands;
}

// JSON with object keys in sorted order (protobuf's printer follows its map
// order, which is unspecified): the same value always prints the same, so it
// can be part of a cache descriptor.
std::string DescribeValue(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNullValue:
      return "null";
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue:
      return absl::StrCat(v.number_value());
    case google::protobuf::Value::kStringValue: {
      std::string out = "\"";
      for (char c : v.string_value()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out + "\"";
    }
    case google::protobuf::Value::kListValue: {
      std::vector<std::string> items;
      for (const auto& item : v.list_value().values()) items.push_back(DescribeValue(item));
      return absl::StrCat("[", absl::StrJoin(items, ","), "]");
    }
    case google::protobuf::Value::kStructValue: {
      std::vector<std::string> keys;
      for (const auto& [k, unused] : v.struct_value().fields()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      std::vector<std::string> items;
      for (const auto& k : keys) {
        google::protobuf::Value key;
        key.set_string_value(k);
        items.push_back(
            absl::StrCat(DescribeValue(key), ":", DescribeValue(v.struct_value().fields().at(k))));
      }
      return absl::StrCat("{", absl::StrJoin(items, ","), "}");
    }
    default:
      return "<value>";
  }
}

ParamReader::ParamReader(const google::protobuf::Struct& params, std::string path)
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

const google::protobuf::Value* ParamReader::Find(const std::string& key) {
  known_.insert(key);
  auto it = params_.fields().find(key);
  if (it == params_.fields().end()) return nullptr;
  if (it->second.kind_case() == google::protobuf::Value::kNullValue) return nullptr;
  return &it->second;
}

absl::StatusOr<std::optional<double>> ParamReader::OptionalNumber(const std::string& key) {
  Describe(key, "null");
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return std::optional<double>();
  if (v->kind_case() != google::protobuf::Value::kNumberValue ||
      !std::isfinite(v->number_value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected a finite number, got ", DescribeValue(*v)));
  }
  return std::optional<double>(v->number_value());
}

absl::StatusOr<double> ParamReader::Number(const std::string& key, double default_value) {
  Describe(key, absl::StrCat(default_value));
  auto v = OptionalNumber(key);
  if (!v.ok()) return v.status();
  return v->value_or(default_value);
}

absl::StatusOr<std::optional<int64_t>> ParamReader::OptionalInt(const std::string& key) {
  Describe(key, "null");
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return std::optional<int64_t>();
  const double d =
      v->kind_case() == google::protobuf::Value::kNumberValue ? v->number_value() : 0.5;
  if (v->kind_case() != google::protobuf::Value::kNumberValue || d != std::floor(d) ||
      std::fabs(d) > 9e15) {
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
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return default_value;
  if (v->kind_case() != google::protobuf::Value::kBoolValue) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": expected true or false, got ", DescribeValue(*v)));
  }
  return v->bool_value();
}

absl::StatusOr<std::vector<Band>> ParamReader::Bands(const std::string& key,
                                                     const std::vector<Band>& defaults) {
  // The default, printed as a given value would be (canonical forms match).
  google::protobuf::Value list;
  for (const Band& b : defaults) {
    google::protobuf::Struct* band =
        list.mutable_list_value()->add_values()->mutable_struct_value();
    (*band->mutable_fields())["name"].set_string_value(b.name);
    (*band->mutable_fields())["lo"].set_number_value(b.lo);
    (*band->mutable_fields())["hi"].set_number_value(b.hi);
  }
  Describe(key, DescribeValue(list));
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return defaults;
  const std::string shape_hint =
      "expected a list of {\"name\": ..., \"lo\": Hz, \"hi\": Hz} (a list, because its order "
      "decides the column order)";
  if (v->kind_case() != google::protobuf::Value::kListValue || v->list_value().values().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Field(key), ": ", shape_hint, ", got ", DescribeValue(*v)));
  }
  std::vector<Band> bands;
  std::set<std::string> names;
  int index = 0;
  for (const auto& item : v->list_value().values()) {
    const std::string field = absl::StrCat(Field(key), "[", index++, "]");
    if (item.kind_case() != google::protobuf::Value::kStructValue) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", shape_hint, ", got ", DescribeValue(item)));
    }
    Band band;
    bool has_name = false, has_lo = false, has_hi = false;
    for (const auto& [k, f] : item.struct_value().fields()) {
      if (k == "name" && f.kind_case() == google::protobuf::Value::kStringValue &&
          !f.string_value().empty()) {
        band.name = f.string_value();
        has_name = true;
      } else if ((k == "lo" || k == "hi") &&
                 f.kind_case() == google::protobuf::Value::kNumberValue &&
                 std::isfinite(f.number_value())) {
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
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return Result();
  std::vector<std::pair<std::string, std::string>> pairs;
  bool ok =
      v->kind_case() == google::protobuf::Value::kListValue && !v->list_value().values().empty();
  if (ok) {
    for (const auto& item : v->list_value().values()) {
      if (item.kind_case() != google::protobuf::Value::kListValue ||
          item.list_value().values_size() != 2 ||
          item.list_value().values(0).kind_case() != google::protobuf::Value::kStringValue ||
          item.list_value().values(1).kind_case() != google::protobuf::Value::kStringValue) {
        ok = false;
        break;
      }
      pairs.emplace_back(item.list_value().values(0).string_value(),
                         item.list_value().values(1).string_value());
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
  const google::protobuf::Value* v = Find(key);
  std::vector<std::string> out;
  bool ok = v != nullptr && v->kind_case() == google::protobuf::Value::kListValue &&
            !v->list_value().values().empty();
  if (ok) {
    for (const auto& item : v->list_value().values()) {
      if (item.kind_case() != google::protobuf::Value::kStringValue) {
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
  const google::protobuf::Value* v = Find(key);
  if (v == nullptr) return Result();
  const bool ok =
      v->kind_case() == google::protobuf::Value::kListValue && v->list_value().values_size() == 2 &&
      v->list_value().values(0).kind_case() == google::protobuf::Value::kNumberValue &&
      v->list_value().values(1).kind_case() == google::protobuf::Value::kNumberValue &&
      std::isfinite(v->list_value().values(0).number_value()) &&
      std::isfinite(v->list_value().values(1).number_value()) &&
      v->list_value().values(0).number_value() <= v->list_value().values(1).number_value();
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        Field(key), ": expected [lo, hi] in Hz with lo <= hi, got ", DescribeValue(*v)));
  }
  return Result(std::make_pair(v->list_value().values(0).number_value(),
                               v->list_value().values(1).number_value()));
}

absl::Status ParamReader::Finish() const {
  for (const auto& [key, value] : params_.fields()) {
    if (known_.count(key) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(key), ": unknown parameter (known: ",
                       known_.empty() ? std::string("none") : absl::StrJoin(known_, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
