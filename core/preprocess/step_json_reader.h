// File: step_json_reader.h
//
// StepJsonReader: strict, typed access to the options object of one
// preprocess step, e.g. {"freq_min": 300, "margin_ms": "auto"} at
// "preprocess[0].bandpass". Each step's options parser reads its keys with
// it; Finish() turns the keys no one read into an error listing the known
// ones. Messages name the field path and the value:
//   preprocess[0].lowpass.freq_max is required
//
// Numbers follow protobuf's JSON mapping, which is how the v1 API hands
// steps over: a number, or the strings "NaN", "Infinity" and "-Infinity" for
// the values JSON cannot write (steps refuse them with their own messages).
// An absent or null key leaves the default in place.
//
// Example:
//   StepJsonReader r(json, "preprocess[0].notch");
//   NF_RETURN_IF_ERROR(r.Required("freq"));
//   NF_RETURN_IF_ERROR(r.Number("freq", &options.freq_hz));
//   NF_RETURN_IF_ERROR(r.Finish());
#ifndef NEUROFEAT_CORE_PREPROCESS_STEP_JSON_READER_H_
#define NEUROFEAT_CORE_PREPROCESS_STEP_JSON_READER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/util/json.h"

namespace neurofeat {

class StepJsonReader {
 public:
  // `json` is the step's options (an object; null reads as {}); `path` names
  // the step in messages ("preprocess[0].bandpass"). `json` must outlive
  // the reader.
  StepJsonReader(const JsonValue& json, std::string path);

  // Each accessor marks `key` as known and, when it is present and not null,
  // stores its value in `out`.
  // Errors: InvalidArgument "<path>.<key>=<value> must be ..." for a value of
  // the wrong type (and, for Int(), one that is not an integer in int's
  // range).
  absl::Status Number(const std::string& key, double* out);
  absl::Status Int(const std::string& key, int* out);
  absl::Status String(const std::string& key, std::string* out);
  absl::Status Numbers(const std::string& key, std::vector<double>* out);
  absl::Status Strings(const std::string& key, std::vector<std::string>* out);
  // Value() marks `key` as known and returns it as given (nullptr when
  // absent), for a key whose type varies (margin_ms: a number or "auto").
  const JsonValue* Value(const std::string& key);

  // Has() is whether `key` is present and not null.
  bool Has(const std::string& key) const;
  // Required(): InvalidArgument "<path>.<key> is required" unless Has(key).
  absl::Status Required(const std::string& key) const;

  // Finish(): InvalidArgument naming the first key no accessor asked for
  // and listing the ones they did (or naming what `json` is, when it is not
  // an object).
  absl::Status Finish() const;

  // Field() is "<path>.<key>", for messages.
  std::string Field(const std::string& key) const { return path_ + "." + key; }
  const std::string& path() const { return path_; }

 private:
  const JsonValue* Find(const std::string& key) const;

  const JsonValue& json_;
  std::string path_;
  std::set<std::string> known_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_STEP_JSON_READER_H_
