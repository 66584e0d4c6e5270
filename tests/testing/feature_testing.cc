#include "tests/testing/feature_testing.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/pipeline_convert.h"
#include "core/exec/compute_arena.h"
#include "core/features/feature_bank.h"
#include "core/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat::testing {

int CsvTable::Column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<CsvTable> ParseCsv(const std::string& text) {
  CsvTable table;
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty()) return absl::InvalidArgumentError("empty CSV");
  table.columns = absl::StrSplit(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    if (cells.size() != table.columns.size()) {
      return absl::InvalidArgumentError(absl::StrCat("CSV line ", i + 1, " has ", cells.size(),
                                                     " cells, header has ", table.columns.size()));
    }
    std::vector<double> row;
    for (const auto& c : cells) {
      char* end = nullptr;
      row.push_back(std::strtod(c.c_str(), &end));
      if (end == c.c_str()) return absl::InvalidArgumentError(absl::StrCat("bad number ", c));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

CsvTable LoadCsv(const std::string& relative) {
  std::ifstream in(relative.front() == '/' ? relative : TestDataPath(relative));
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<CsvTable> t = ParseCsv(ss.str());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : CsvTable{};
}

absl::StatusOr<FeatureTree> BuildTree(const std::string& pipeline_json, const SignalInfo& info,
                                      int64_t n_times) {
  NF_ASSIGN_OR_RETURN(v1::Pipeline pipeline, api::ParsePipelineJson(pipeline_json));
  return FeatureTree::Build(api::ToFeatureSpecs(pipeline), info, n_times);
}

absl::StatusOr<FeatureTable> Extract(const std::string& pipeline_json, const SignalInfo& info,
                                     const std::vector<float>& windows, int64_t n_windows,
                                     int64_t n_times) {
  NF_ASSIGN_OR_RETURN(FeatureTree tree, BuildTree(pipeline_json, info, n_times));
  NF_ASSIGN_OR_RETURN(Windows w,
                      WindowsFromEpochs(SampleType::kFloat32, windows.data(), n_windows,
                                        static_cast<int64_t>(info.channels.size()), n_times));
  absl::StatusOr<FeatureTable> table;
  RunInArena([&] { table = ExtractFeatures(tree, w); });
  return table;
}

std::string LeafPipeline(const std::string& fn, const std::string& params_json) {
  return absl::StrCat(R"({"features": [{"name": "f", "fn": ")", fn, R"(", "params": )", params_json,
                      "}]}");
}

std::string GroupPipeline(const std::string& pre_fn, const std::string& pre_params,
                          const std::string& fn, const std::string& params_json) {
  return absl::StrCat(R"({"features": [{"name": "g", "preprocessor": {"fn": ")", pre_fn,
                      R"(", "params": )", pre_params, R"(}, "features": [{"name": "f", "fn": ")",
                      fn, R"(", "params": )", params_json, "}]}]}");
}

absl::StatusOr<std::vector<double>> RunLeaf(const std::string& fn, const std::string& params_json,
                                            const NodeShape& shape, const NodeValue& value,
                                            const SignalInfo& info) {
  const FeatureDef* def = FeatureBank::Default().Find(fn);
  if (def == nullptr || !def->leaf) return absl::NotFoundError(fn);
  NF_ASSIGN_OR_RETURN(JsonValue params, ParseJson(params_json));
  ParamReader reader(params, "test");
  NF_ASSIGN_OR_RETURN(std::unique_ptr<LeafKernel> leaf, def->leaf(reader, shape, info));
  std::vector<double> out(leaf->columns().size());
  FftPlans plans;
  EvalContext ctx{&plans, {}};
  leaf->Compute(value, ctx, out.data());
  return out;
}

std::vector<double> ColumnValues(const FeatureTable& table, const std::string& name) {
  for (size_t c = 0; c < table.columns.size(); ++c) {
    if (table.columns[c] != name) continue;
    std::vector<double> v;
    for (int64_t r = 0; r < table.rows; ++r) v.push_back(table.at(r, static_cast<int64_t>(c)));
    return v;
  }
  ADD_FAILURE() << "no column " << name;
  return {};
}

SignalInfo InfoFor(double fs, int channels, std::optional<double> highpass,
                   std::optional<double> lowpass) {
  SignalInfo info;
  info.fs = fs;
  for (int c = 0; c < channels; ++c) info.channels.push_back(absl::StrCat("c", c));
  info.highpass = highpass;
  info.lowpass = lowpass;
  return info;
}

}  // namespace neurofeat::testing
