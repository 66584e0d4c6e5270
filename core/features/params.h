// File: params.h
//
// ParamReader: strict, typed access to the `params` object of a feature node.
// Every key must be read by the feature that owns the node; Finish() turns
// the keys nobody read into an error that lists the known ones. Messages name
// the node path and the value, e.g.
//   features.sig.q25.params.q: expected a number in [0, 1], got 1.5
#ifndef NEUROFEAT_CORE_FEATURES_PARAMS_H_
#define NEUROFEAT_CORE_FEATURES_PARAMS_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/util/json.h"

namespace neurofeat {

// A named frequency band [lo, hi) in Hz.
struct Band {
  std::string name;
  double lo = 0.0;
  double hi = 0.0;
};

// EEGDash's DEFAULT_FREQ_BANDS: delta, theta, alpha, beta.
const std::vector<Band>& DefaultBands();

// A parameter a feature reads, with its default as JSON ("null": none).
struct ParamDoc {
  std::string name;
  std::string default_json;
};

class ParamReader {
 public:
  // `path` is the node's path for messages ("features.spec.bp").
  ParamReader(const JsonValue& params, std::string path);

  absl::StatusOr<double> Number(const std::string& key, double default_value);
  // Absent or null gives nullopt.
  absl::StatusOr<std::optional<double>> OptionalNumber(const std::string& key);
  absl::StatusOr<int64_t> Int(const std::string& key, int64_t default_value);
  absl::StatusOr<std::optional<int64_t>> OptionalInt(const std::string& key);
  absl::StatusOr<bool> Bool(const std::string& key, bool default_value);
  // A list of {"name": s, "lo": x, "hi": y}; order decides column order.
  absl::StatusOr<std::vector<Band>> Bands(const std::string& key,
                                          const std::vector<Band>& defaults);
  // A list of [a, b] channel-name pairs; absent or null gives nullopt.
  absl::StatusOr<std::optional<std::vector<std::pair<std::string, std::string>>>> Pairs(
      const std::string& key);
  // A list of strings (required).
  absl::StatusOr<std::vector<std::string>> Strings(const std::string& key);
  // [lo, hi] with lo <= hi; absent or null gives nullopt.
  absl::StatusOr<std::optional<std::pair<double, double>>> Range(const std::string& key);

  // Any JSON value (a fitted model's state); absent or null gives nullptr.
  const JsonValue* Value(const std::string& key);
  // Finish() fails if a key was given that no accessor asked for.
  absl::Status Finish() const;

  // Field() is "<path>.params.<key>", for messages.
  std::string Field(const std::string& key) const;
  const std::string& path() const { return path_; }
  // The parameters asked for so far, in order, with their defaults.
  const std::vector<ParamDoc>& described() const { return described_; }

 private:
  void Describe(const std::string& key, std::string default_json);
  const JsonValue* Find(const std::string& key);

  const JsonValue& params_;  // an object, or null for none
  std::string path_;
  std::set<std::string> known_;
  std::vector<ParamDoc> described_;
};

// DescribeValue() renders a JSON value for an error message and for
// descriptors (canonical JSON: the same value always prints the same).
std::string DescribeValue(const JsonValue& v);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_PARAMS_H_
