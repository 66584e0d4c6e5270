// File: json.h
//
// JsonValue: a JSON value as core sees parameters (a feature node's
// `params`) and sidecar files (Open Ephys structure.oebin), so that core
// needs no protobuf type. ParseJson() is strict (RFC 8259: no comments, no
// trailing commas, no duplicate keys, nesting at most 64 deep) and never
// trusts sizes it has not read. ToCanonicalJson() prints a value the same way
// every time (keys sorted, numbers in their shortest round-trip form), so it
// can be part of a cache descriptor: two values print the same only if they
// are the same.
//
// Example:
//   NF_ASSIGN_OR_RETURN(JsonValue v, ParseJson(R"({"bands": [{"lo": 8}]})"));
//   const JsonValue* bands = v.Find("bands");
//   std::string key = ToCanonicalJson(v);
#ifndef NEUROFEAT_CORE_UTIL_JSON_H_
#define NEUROFEAT_CORE_UTIL_JSON_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace neurofeat {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kList, kObject };
  using List = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue>;

  // JsonValue() is null.
  JsonValue() = default;
  static JsonValue Bool(bool value);
  // Number() keeps any double; JSON text cannot hold NaN or infinity, but a
  // value converted from elsewhere can, and readers refuse them.
  static JsonValue Number(double value);
  static JsonValue String(std::string value);
  static JsonValue MakeList(List items);
  static JsonValue MakeObject(Object members);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_object() const { return kind_ == Kind::kObject; }

  // Accessors REQUIRE the matching kind (false, 0, empty otherwise).
  bool bool_value() const { return bool_; }
  double number_value() const { return number_; }
  const std::string& string_value() const { return string_; }
  const List& list() const { return list_; }
  const Object& object() const { return object_; }
  List* mutable_list() { return &list_; }
  Object* mutable_object() { return &object_; }

  // Find() is the member `key` of an object, or null (not an object, or no
  // such member).
  const JsonValue* Find(absl::string_view key) const;

  bool operator==(const JsonValue& other) const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  List list_;
  Object object_;
};

// ParseJson() parses one JSON text. Errors: InvalidArgument naming the
// byte offset and what was expected.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

// ToCanonicalJson() prints `value` without spaces, object keys sorted,
// numbers shortest round-trip (non-finite numbers as "NaN", "Infinity",
// "-Infinity", which only descriptors and messages ever show).
std::string ToCanonicalJson(const JsonValue& value);

// FormatJsonNumber() is a number as ToCanonicalJson() prints it.
std::string FormatJsonNumber(double value);

// AppendUtf8() appends the UTF-8 encoding of code point `cp` (JSON's \u
// escapes, XML's character references). REQUIRES cp <= 0x10FFFF.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_UTIL_JSON_H_
