#include "core/preprocess/step_json_reader.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace neurofeat {
namespace {

// A number as protobuf's JSON mapping writes it: JSON numbers, and the three
// strings it uses for the doubles JSON has no literal for.
bool AsNumber(const JsonValue& v, double* out) {
  if (v.is_number()) {
    *out = v.number_value();
    return true;
  }
  if (v.is_string()) {
    if (v.string_value() == "NaN") {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (v.string_value() == "Infinity" || v.string_value() == "-Infinity") {
      const double inf = std::numeric_limits<double>::infinity();
      *out = v.string_value() == "Infinity" ? inf : -inf;
      return true;
    }
  }
  return false;
}

absl::Status WrongType(const std::string& field, const JsonValue& v, const char* expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=", ToCanonicalJson(v), " must be ", expected));
}

}  // namespace

StepJsonReader::StepJsonReader(const JsonValue& json, std::string path)
    : json_(json), path_(std::move(path)) {}

const JsonValue* StepJsonReader::Find(const std::string& key) const {
  const JsonValue* v = json_.Find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

bool StepJsonReader::Has(const std::string& key) const { return Find(key) != nullptr; }

absl::Status StepJsonReader::Required(const std::string& key) const {
  if (!Has(key)) return absl::InvalidArgumentError(absl::StrCat(Field(key), " is required"));
  return absl::OkStatus();
}

const JsonValue* StepJsonReader::Value(const std::string& key) {
  known_.insert(key);
  return json_.Find(key);
}

absl::Status StepJsonReader::Number(const std::string& key, double* out) {
  known_.insert(key);
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::OkStatus();
  if (!AsNumber(*v, out)) return WrongType(Field(key), *v, "a number");
  return absl::OkStatus();
}

absl::Status StepJsonReader::Int(const std::string& key, int* out) {
  known_.insert(key);
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::OkStatus();
  double d = 0;
  if (!AsNumber(*v, &d) || !(std::trunc(d) == d) ||
      d < static_cast<double>(std::numeric_limits<int>::min()) ||
      d > static_cast<double>(std::numeric_limits<int>::max())) {
    return WrongType(Field(key), *v, "an integer");
  }
  *out = static_cast<int>(d);
  return absl::OkStatus();
}

absl::Status StepJsonReader::String(const std::string& key, std::string* out) {
  known_.insert(key);
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_string()) return WrongType(Field(key), *v, "a string");
  *out = v->string_value();
  return absl::OkStatus();
}

absl::Status StepJsonReader::Numbers(const std::string& key, std::vector<double>* out) {
  known_.insert(key);
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_list()) return WrongType(Field(key), *v, "a list of numbers");
  std::vector<double> values(v->list().size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!AsNumber(v->list()[i], &values[i])) {
      return WrongType(absl::StrCat(Field(key), "[", i, "]"), v->list()[i], "a number");
    }
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status StepJsonReader::Strings(const std::string& key, std::vector<std::string>* out) {
  known_.insert(key);
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_list()) return WrongType(Field(key), *v, "a list of strings");
  std::vector<std::string> values;
  values.reserve(v->list().size());
  for (size_t i = 0; i < v->list().size(); ++i) {
    const JsonValue& item = v->list()[i];
    if (!item.is_string())
      return WrongType(absl::StrCat(Field(key), "[", i, "]"), item, "a string");
    values.push_back(item.string_value());
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status StepJsonReader::Finish() const {
  if (json_.is_null()) return absl::OkStatus();
  if (!json_.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, "=", ToCanonicalJson(json_), " must be an object of options"));
  }
  for (const auto& [key, value] : json_.object()) {
    if (!known_.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown key \"", key, "\" in ", path_, " (known: ", absl::StrJoin(known_, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
