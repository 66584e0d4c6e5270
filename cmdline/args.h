// File: args.h
//
// A strict command-line parser for neurofeat and neurofeatd, whose flags
// use dashes (--chunk-duration), which absl flags cannot name. Unknown flags,
// repeated flags (unless declared repeatable), missing values and stray
// positional arguments are errors that name the flag and list the known ones.
//
// Example:
//   ArgParser parser("preprocess", {{"input", true, "IN.npy"}, ...});
//   NF_ASSIGN_OR_RETURN(ParsedArgs args, parser.Parse(argc, argv, 2));
//   std::string in = args.Get("input");
#ifndef NEUROFEAT_CMDLINE_ARGS_H_
#define NEUROFEAT_CMDLINE_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat {

struct FlagSpec {
  std::string name;  // without the leading dashes
  bool takes_value = true;
  std::string help;
  bool repeatable = false;  // --data-root A --data-root B
};

class ParsedArgs {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // Get() returns the value, or "" for a flag without one.
  std::string Get(const std::string& name) const;
  std::optional<std::string> GetOptional(const std::string& name) const;
  // Required() is InvalidArgument "--name is required" when absent.
  absl::StatusOr<std::string> Required(const std::string& name) const;
  // GetDouble()/GetInt() parse a value, or return InvalidArgument naming the
  // flag and value.
  absl::StatusOr<std::optional<double>> GetDouble(const std::string& name) const;
  absl::StatusOr<std::optional<int64_t>> GetInt(const std::string& name) const;
  // GetAll() is every value of a repeatable flag, in order.
  std::vector<std::string> GetAll(const std::string& name) const;

 private:
  friend class ArgParser;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::vector<FlagSpec> flags)
      : command_(std::move(command)), flags_(std::move(flags)) {}
  // Parse() reads argv[first..argc).
  absl::StatusOr<ParsedArgs> Parse(int argc, char** argv, int first) const;
  // Usage() lists the flags with their help.
  std::string Usage() const;

 private:
  std::string command_;
  std::vector<FlagSpec> flags_;
};

// ParseDurationSeconds() accepts "1s", "250ms", "2.5" (seconds), "10min", "1h",
// "7d" and returns
// seconds; InvalidArgument naming `flag` otherwise or if not positive.
// At most 1e9 s; zero only when `allow_zero`.
absl::StatusOr<double> ParseDurationSeconds(const std::string& text, const std::string& flag,
                                            bool allow_zero = false);

// ParseFramePosition() accepts a frame number ("1800000") or a time with a
// unit ("60s", "500ms"), converted with `fs_hz` and truncated to a frame.
absl::StatusOr<int64_t> ParseFramePosition(const std::string& text, double fs_hz,
                                           const std::string& flag);

}  // namespace neurofeat

#endif  // NEUROFEAT_CMDLINE_ARGS_H_
