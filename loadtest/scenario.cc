#include "loadtest/scenario.h"

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat::loadtest {
namespace {

absl::StatusOr<double> Number(const JsonValue& v, const std::string& key, double fallback) {
  const JsonValue* n = v.Find(key);
  if (n == nullptr) return fallback;
  if (!n->is_number()) return absl::InvalidArgumentError(absl::StrCat(key, ": expected a number"));
  return n->number_value();
}

absl::StatusOr<std::string> String(const JsonValue& v, const std::string& key) {
  const JsonValue* s = v.Find(key);
  if (s == nullptr || !s->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": expected a string"));
  }
  return s->string_value();
}

absl::StatusOr<v1::Pipeline> PipelineOf(const JsonValue& item, const std::string& where) {
  const JsonValue* p = item.Find("pipeline");
  if (p == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, ".pipeline: required"));
  absl::StatusOr<v1::Pipeline> pipeline = api::ParsePipelineJson(ToCanonicalJson(*p));
  if (!pipeline.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", pipeline.status().message()));
  }
  return pipeline;
}

absl::StatusOr<v1::Recording> RecordingOf(const JsonValue& item, const std::string& where) {
  v1::Recording r;
  NF_ASSIGN_OR_RETURN(std::string path, String(item, "path"));
  r.mutable_path()->set_path(path);
  NF_ASSIGN_OR_RETURN(double fs, Number(item, "fs", 0));
  if (fs > 0) r.set_sampling_rate_hz(fs);
  return r;
}

absl::StatusOr<RequestTemplate> TemplateOf(const JsonValue& item, int index) {
  const std::string where = absl::StrCat("requests[", index, "]");
  RequestTemplate t;
  NF_ASSIGN_OR_RETURN(t.weight, Number(item, "weight", 1.0));
  NF_ASSIGN_OR_RETURN(std::string rpc, String(item, "rpc"));
  NF_ASSIGN_OR_RETURN(double chunk, Number(item, "chunk_frames", 0));
  if (rpc == "extract") {
    t.rpc = Rpc::kExtract;
    NF_ASSIGN_OR_RETURN(*t.extract.mutable_recording(), RecordingOf(item, where));
    NF_ASSIGN_OR_RETURN(*t.extract.mutable_pipeline(), PipelineOf(item, where));
    t.extract.set_chunk_frames(static_cast<int64_t>(chunk));
    // Load measures the engine: the result cache would answer repeats.
    t.extract.set_cache_policy(v1::CACHE_BYPASS);
  } else if (rpc == "preprocess") {
    t.rpc = Rpc::kPreprocess;
    NF_ASSIGN_OR_RETURN(*t.preprocess.mutable_recording(), RecordingOf(item, where));
    NF_ASSIGN_OR_RETURN(*t.preprocess.mutable_pipeline(), PipelineOf(item, where));
    t.preprocess.set_chunk_frames(static_cast<int64_t>(chunk));
    if (const JsonValue* dtype = item.Find("output_dtype")) {
      if (!dtype->is_string() ||
          (dtype->string_value() != "int16" && dtype->string_value() != "float32")) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".output_dtype: \"int16\" or \"float32\""));
      }
      t.preprocess.set_output_dtype(dtype->string_value() == "int16" ? v1::INT16 : v1::FLOAT32);
    }
  } else if (rpc == "fit") {
    t.rpc = Rpc::kFit;
    NF_ASSIGN_OR_RETURN(*t.fit.mutable_recording(), RecordingOf(item, where));
    NF_ASSIGN_OR_RETURN(*t.fit.mutable_pipeline(), PipelineOf(item, where));
    NF_ASSIGN_OR_RETURN(double labels, Number(item, "label_count", 0));
    if (!(labels >= 2)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".label_count: the fit's windows (>= 2), labelled 0, 1, 0, ..."));
    }
    for (int64_t w = 0; w < static_cast<int64_t>(labels); ++w) t.fit.add_labels(w % 2);
  } else if (rpc == "upload") {
    t.rpc = Rpc::kUpload;
    NF_ASSIGN_OR_RETURN(t.upload_file, String(item, "file"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".rpc: \"", rpc, "\" is not extract, preprocess, fit or upload"));
  }
  if (!(t.weight > 0))
    return absl::InvalidArgumentError(absl::StrCat(where, ".weight: must be > 0"));
  return t;
}

}  // namespace

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kExtract:
      return "Extract";
    case Rpc::kPreprocess:
      return "Preprocess";
    case Rpc::kUpload:
      return "Upload";
    case Rpc::kFit:
      return "Fit";
  }
  return "?";
}

absl::StatusOr<Scenario> ParseScenario(const std::string& json) {
  NF_ASSIGN_OR_RETURN(JsonValue root, ParseJson(json));
  Scenario s;
  if (const JsonValue* mode = root.Find("mode")) {
    if (!mode->is_string() ||
        (mode->string_value() != "open" && mode->string_value() != "closed")) {
      return absl::InvalidArgumentError("mode: \"open\" or \"closed\"");
    }
    s.open_loop = mode->string_value() == "open";
  }
  NF_ASSIGN_OR_RETURN(s.rate, Number(root, "rate", s.rate));
  NF_ASSIGN_OR_RETURN(double concurrency, Number(root, "concurrency", s.concurrency));
  NF_ASSIGN_OR_RETURN(s.duration_s, Number(root, "duration_s", s.duration_s));
  NF_ASSIGN_OR_RETURN(s.warmup_s, Number(root, "warmup_s", s.warmup_s));
  NF_ASSIGN_OR_RETURN(s.deadline_s, Number(root, "deadline_s", s.deadline_s));
  NF_ASSIGN_OR_RETURN(double outstanding, Number(root, "max_outstanding", s.max_outstanding));
  NF_ASSIGN_OR_RETURN(double verify, Number(root, "verify_every", s.verify_every));
  s.concurrency = static_cast<int>(concurrency);
  s.max_outstanding = static_cast<int>(outstanding);
  s.verify_every = static_cast<int>(verify);
  if (const JsonValue* rr = root.Find("round_robin")) {
    if (!rr->is_bool()) return absl::InvalidArgumentError("round_robin: true or false");
    s.round_robin = rr->bool_value();
  }
  if (!(s.rate > 0) || s.concurrency < 1 || !(s.duration_s > 0) || s.warmup_s < 0 ||
      !(s.deadline_s > 0) || s.max_outstanding < 1 || s.verify_every < 0) {
    return absl::InvalidArgumentError(
        "rate, concurrency, duration_s, deadline_s and max_outstanding must be positive");
  }
  const JsonValue* requests = root.Find("requests");
  if (requests == nullptr || !requests->is_list() || requests->list().empty()) {
    return absl::InvalidArgumentError("requests: a non-empty list");
  }
  for (size_t i = 0; i < requests->list().size(); ++i) {
    NF_ASSIGN_OR_RETURN(RequestTemplate t, TemplateOf(requests->list()[i], static_cast<int>(i)));
    s.requests.push_back(std::move(t));
  }
  return s;
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path) {
  NF_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, int64_t{16} << 20));
  absl::StatusOr<Scenario> s = ParseScenario(text);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.status().message()));
  return s;
}

}  // namespace neurofeat::loadtest
