// File: step_registry.h
//
// The registry of preprocess steps, by the names the pipeline contract uses
// ("bandpass", "common_reference", ...), as SpikeInterface's
// preprocessing_classes maps names to classes. A registration says
// everything the engine needs to know about a step: its name, how its
// options are read from JSON, and how the step is made over its parent. A
// step made that way answers for its own margin and memory
// (PreprocessStep), so the chain asks the registry by name and knows no step
// itself.
//
// Each step registers itself in its own file, the way the feature bank's
// groups do: filter_step.cc defines RegisterFilterSteps(), and
// StepRegistry::Default() calls it once. Adding a step is its own .h/.cc
// (and the folder's CMakeLists.txt), one Register...() declaration here and
// one call in step_registry.cc, and its message in the v1 proto for the API
// to carry it; neither the chain nor the API's conversion changes.
//
// Example:
//   const StepRegistry& steps = StepRegistry::Default();
//   NF_ASSIGN_OR_RETURN(StepOptions options,
//       steps.ParseOptions("bandpass", json, "preprocess[0].bandpass"));
//   ChainSpec spec;
//   spec.steps.push_back({"preprocess[0].bandpass", std::move(options)});
#ifndef NEUROFEAT_CORE_PREPROCESS_STEP_REGISTRY_H_
#define NEUROFEAT_CORE_PREPROCESS_STEP_REGISTRY_H_

#include <any>
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/preprocess/preprocess_step.h"
#include "core/source/trace_source.h"
#include "core/util/json.h"

namespace neurofeat {

// A step's options struct names the step it configures:
//   struct ScaleOptions { ...; std::string step_name() const { return "scale"; } };
// (ButterworthOptions names one of four steps by its band.)
template <typename T>
concept StepOptionsStruct = std::copy_constructible<T> && requires(const T& options) {
  { options.step_name() } -> std::convertible_to<std::string>;
};

// StepOptions: the parsed options of one step, of whatever type that step
// reads (ButterworthOptions, ScaleOptions...), with the name of the step
// they configure. A value type: copies are independent.
//
// Example:
//   StepOptions o = NotchOptions{.freq_hz = 60};
//   o.step_name();                      // "notch"
//   o.get_if<NotchOptions>()->q = 35;   // nullptr for another type
class StepOptions {
 public:
  // StepOptions() configures no step: step_name() is "" (which no step
  // has, so a chain refuses it).
  StepOptions() = default;
  // A step's options struct converts implicitly, so that a spec reads
  // {"preprocess[0].bandpass", ButterworthOptions{}}.
  template <StepOptionsStruct T>
  requires(!std::same_as<std::remove_cvref_t<T>, StepOptions>)
      StepOptions(T options)  // NOLINT(google-explicit-constructor)
      : value_(std::move(options)), name_of_(&NameOf<T>) {}

  // step_name() is the name of the step these options configure, read from
  // the options as they are now.
  std::string step_name() const { return name_of_ == nullptr ? std::string() : name_of_(value_); }

  // get_if() is the options as a `T`, or nullptr when they are of another
  // type.
  template <typename T>
  const T* get_if() const {
    return std::any_cast<T>(&value_);
  }
  template <typename T>
  T* get_if() {
    return std::any_cast<T>(&value_);
  }

 private:
  template <typename T>
  static std::string NameOf(const std::any& value) {
    return std::any_cast<const T&>(value).step_name();
  }

  std::any value_;
  std::string (*name_of_)(const std::any&) = nullptr;
};

// StepParser reads a step's options from JSON (protobuf's JSON mapping of
// its v1 message, field names as in the proto), filling in defaults.
// `path` names the step in messages ("preprocess[0].bandpass").
// Errors: InvalidArgument naming the field and value (wrong type, unknown
// key, missing required field, a name that is not one of the choices);
// what needs the recording is checked by the factory.
using StepParser =
    std::function<absl::StatusOr<StepOptions>(const JsonValue& json, const std::string& path)>;

// StepFactory makes the step over `parent`, outputting `output_type`.
// Errors: InvalidArgument naming `path`, the field and the value when the
// options do not fit the recording (a corner above Nyquist, an unknown
// channel id...).
using StepFactory = std::function<absl::StatusOr<std::unique_ptr<PreprocessStep>>(
    const StepOptions& options, std::shared_ptr<const TraceSource> parent, SampleType output_type,
    const std::string& path)>;

struct StepRegistration {
  // The step's key in the pipeline JSON: "bandpass".
  std::string name;
  StepParser parse;
  StepFactory create;
  // Whether the step refuses non-finite input itself (the filters learn it
  // from their final state for free), so that a chain starting with it
  // needs no scan of the source. Default: false.
  bool checks_finite_input = false;
};

// MakeStepRegistration() registers a step whose options are an `Options`
// struct: `parse` is (const JsonValue&, const std::string& path) ->
// absl::StatusOr<Options>, `create` is (const Options&, parent,
// output_type, path) -> absl::StatusOr<std::unique_ptr<S>> for a
// PreprocessStep S.
template <StepOptionsStruct Options, typename Parse, typename Create>
StepRegistration MakeStepRegistration(std::string name, Parse parse, Create create,
                                      bool checks_finite_input = false) {
  StepRegistration r;
  r.name = name;
  r.parse = [parse = std::move(parse)](const JsonValue& json,
                                       const std::string& path) -> absl::StatusOr<StepOptions> {
    absl::StatusOr<Options> options = parse(json, path);
    if (!options.ok()) return options.status();
    return StepOptions(*std::move(options));
  };
  r.create = [name, create = std::move(create)](
                 const StepOptions& options, std::shared_ptr<const TraceSource> parent,
                 SampleType output_type,
                 const std::string& path) -> absl::StatusOr<std::unique_ptr<PreprocessStep>> {
    const Options* typed = options.get_if<Options>();
    if (typed == nullptr) {
      // The chain looks steps up by the options' own name: only a
      // registration of the wrong type for its name gets here.
      return absl::InternalError(absl::StrCat(path, ": the options of step \"", options.step_name(),
                                              "\" are not of the type step \"", name, "\" reads"));
    }
    return create(*typed, std::move(parent), output_type, path);
  };
  r.checks_finite_input = checks_finite_input;
  return r;
}

class StepRegistry {
 public:
  // Default() is the registry of every built-in step, built once on first
  // use and immutable after; safe to use from any thread.
  static const StepRegistry& Default();

  // Add() registers a step. REQUIRES: no step of that name yet (a second
  // registration of a name is a programming error and aborts).
  void Add(StepRegistration registration);

  // Find() is the step named `name`, or nullptr.
  const StepRegistration* Find(const std::string& name) const;
  // Lookup() is Find(), or InvalidArgument naming `path` and `name` and
  // listing the known names.
  absl::StatusOr<const StepRegistration*> Lookup(const std::string& name,
                                                 const std::string& path) const;
  // Names() lists the registered steps, sorted.
  std::vector<std::string> Names() const;

  // ParseOptions() reads the options of step `name` at `path`.
  // Errors: InvalidArgument from Lookup() or from the step's parser.
  absl::StatusOr<StepOptions> ParseOptions(const std::string& name, const JsonValue& json,
                                           const std::string& path) const;

 private:
  std::map<std::string, StepRegistration> registrations_;
};

// Each step's file registers its steps.
void RegisterFilterSteps(StepRegistry& registry);  // bandpass, highpass, lowpass, bandstop, notch
void RegisterCommonReferenceStep(StepRegistry& registry);
void RegisterScaleStep(StepRegistry& registry);
void RegisterPhaseShiftStep(StepRegistry& registry);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_STEP_REGISTRY_H_
