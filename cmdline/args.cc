#include "cmdline/args.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace neurofeat {

std::string ParsedArgs::Get(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second;
}

std::optional<std::string> ParsedArgs::GetOptional(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> ParsedArgs::Required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  return it->second;
}

absl::StatusOr<std::optional<double>> ParsedArgs::GetDouble(const std::string& name) const {
  auto v = GetOptional(name);
  if (!v.has_value()) return std::optional<double>();
  double d = 0;
  if (!absl::SimpleAtod(*v, &d) || !std::isfinite(d)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "=", *v, " is not a number"));
  }
  return std::optional<double>(d);
}

absl::StatusOr<std::optional<int64_t>> ParsedArgs::GetInt(const std::string& name) const {
  auto v = GetOptional(name);
  if (!v.has_value()) return std::optional<int64_t>();
  int64_t i = 0;
  if (!absl::SimpleAtoi(*v, &i)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "=", *v, " is not an integer"));
  }
  return std::optional<int64_t>(i);
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<ParsedArgs> ArgParser::Parse(int argc, char** argv, int first) const {
  ParsedArgs out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\"; flags start with --"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : flags_) {
      if (f.name == name) spec = &f;
    }
    if (spec == nullptr) {
      std::string known;
      for (const FlagSpec& f : flags_)
        absl::StrAppend(&known, known.empty() ? "" : ", ", "--", f.name);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for '", command_, "' (known: ", known, ")"));
    }
    if (out.values_.count(name) > 0 && !spec->repeatable) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " is given more than once"));
    }
    if (spec->takes_value) {
      if (!value.has_value()) {
        if (i + 1 >= argc)
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
    } else if (value.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
    }
    out.values_[name] = value.value_or("");
    out.all_values_[name].push_back(value.value_or(""));
  }
  return out;
}

std::string ArgParser::Usage() const {
  std::string s = absl::StrCat("usage: neurofeat ", command_, " [flags]\n");
  for (const FlagSpec& f : flags_) {
    absl::StrAppend(&s, "  --", f.name, f.takes_value ? " VALUE" : "", "\n      ", f.help, "\n");
  }
  return s;
}

namespace {

// "250ms" -> 0.25, "2s" -> 2, "3" -> 3 (seconds); false if not of that form.
bool ParseTime(absl::string_view text, double* seconds, bool* had_unit) {
  double scale = 1.0;
  *had_unit = true;
  if (absl::ConsumeSuffix(&text, "ms")) {
    scale = 1e-3;
  } else if (absl::ConsumeSuffix(&text, "min")) {
    scale = 60.0;
  } else if (absl::ConsumeSuffix(&text, "h")) {
    scale = 3600.0;
  } else if (absl::ConsumeSuffix(&text, "d")) {
    scale = 86400.0;
  } else if (absl::ConsumeSuffix(&text, "s")) {
    scale = 1.0;
  } else {
    *had_unit = false;
  }
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) return false;
  *seconds = v * scale;
  return true;
}

}  // namespace

absl::StatusOr<double> ParseDurationSeconds(const std::string& text, const std::string& flag,
                                            bool allow_zero) {
  double s = 0;
  bool unit = false;
  // A billion seconds (32 years) is past any timeout and far inside the
  // range of every clock's integer ticks.
  if (!ParseTime(text, &s, &unit) || !(allow_zero ? s >= 0 : s > 0) || !(s <= 1e9)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, " is not a ", allow_zero ? "" : "positive ",
                     "duration of at most 1e9 s (examples: 1s, 500ms, 2.5, 10min, 1h, 7d)"));
  }
  return s;
}

absl::StatusOr<int64_t> ParseFramePosition(const std::string& text, double fs_hz,
                                           const std::string& flag) {
  int64_t frame = 0;
  if (absl::SimpleAtoi(text, &frame)) {
    if (frame < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", text, " is negative"));
    }
    return frame;
  }
  double s = 0;
  bool unit = false;
  if (!ParseTime(text, &s, &unit) || !unit || s < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text, " is neither a frame number nor a time such as 60s or 500ms"));
  }
  if (!(fs_hz > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text, " is a time, and the sampling rate is not known: give --fs"));
  }
  return static_cast<int64_t>(std::floor(s * fs_hz + 1e-9));
}

}  // namespace neurofeat
