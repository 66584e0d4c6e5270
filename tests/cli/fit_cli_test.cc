// `neurofeat fit` + `extract`: EEGDash's trainable CommonSpatialPattern,
// fitted on labelled windows, against EEGDash HEAD f359a73a's fitted state
// and features (tests/data/eegdash/allfeatures_csp_*), and the errors of an
// unfitted or ill-labelled fit.
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/io/npy.h"
#include "core/util/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::TestDataPath;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

testing::CliResult RunNeurofeat(const std::string& args, const TempDir& dir) {
  return testing::RunCli(NF_BINARY_DIR, args, dir);
}

const char kChannels[] = "Fz,C3,C4,Pz";
const char kCspPipeline[] = R"({"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]})";

std::vector<std::vector<double>> Csv(const std::string& text, std::vector<std::string>* header) {
  std::vector<std::vector<double>> rows;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (first) {
      *header = cells;
      first = false;
      continue;
    }
    std::vector<double> r;
    for (const auto& c : cells) r.push_back(std::strtod(c.c_str(), nullptr));
    rows.push_back(r);
  }
  return rows;
}

TEST(FitCliTest, CommonSpatialPatternFitsAndExtractsAsEegDash) {
  TempDir dir;
  WriteFile(dir.File("p.json"), kCspPipeline);
  const std::string x = TestDataPath("eegdash/allfeatures_X.npy");
  auto fit = RunNeurofeat(
      absl::StrCat("fit --input ", x, " --labels ", TestDataPath("eegdash/allfeatures_target.npy"),
                   " --channels ", kChannels, " --pipeline ", dir.File("p.json"), " --output ",
                   dir.File("fitted.json")),
      dir);
  ASSERT_EQ(fit.exit_code, 0) << fit.output;
  EXPECT_THAT(fit.output, HasSubstr("fitted features.csp: 4 filters"));

  // The model against EEGDash's fitted state.
  absl::StatusOr<JsonValue> fitted = ParseJson(ReadFile(dir.File("fitted.json")));
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  const JsonValue& model = *fitted->Find("features")->list()[0].Find("params")->Find("fitted");
  absl::StatusOr<JsonValue> golden =
      ParseJson(ReadFile(TestDataPath("eegdash/allfeatures_csp_fitted_state.json")));
  ASSERT_TRUE(golden.ok());
  const auto& want_eig = golden->Find("eigvals (kept, ordered)")->list();
  const auto& got_eig = model.Find("eigvals")->list();
  ASSERT_EQ(got_eig.size(), want_eig.size());
  for (size_t j = 0; j < want_eig.size(); ++j) {
    EXPECT_NEAR(got_eig[j].number_value(), want_eig[j].number_value(), 1e-10) << j;
  }
  // EEGDash's weights are columns; ours rows (one filter each); sign free.
  const auto& want_w = golden->Find("weights (columns = filters)")->list();
  const auto& got_w = model.Find("weights")->list();
  for (size_t j = 0; j < got_w.size(); ++j) {
    double dot = 0;
    for (size_t c = 0; c < 4; ++c) {
      dot += got_w[j].list()[c].number_value() * want_w[c].list()[j].number_value();
    }
    EXPECT_NEAR(std::fabs(dot), 1.0, 1e-9) << "filter " << j;
  }
  // EEGDash's class means are float32 (numpy's mean of float32 windows):
  // equal to about 1e-6 relative. The mean does not change a variance.
  const auto& want_mean = golden->Find("mean")->list();
  double largest = 0;
  for (const JsonValue& m : want_mean) largest = std::max(largest, std::fabs(m.number_value()));
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(model.Find("mean")->list()[c].number_value(), want_mean[c].number_value(),
                1e-5 * largest);
  }

  // Extract with the fitted pipeline: EEGDash's table.
  auto ex = RunNeurofeat(
      absl::StrCat("extract --input ", x, " --fs 256 --channels ", kChannels, " --pipeline ",
                   dir.File("fitted.json"), " --no-cache --output ", dir.File("csp.csv")),
      dir);
  ASSERT_EQ(ex.exit_code, 0) << ex.output;
  std::vector<std::string> got_header, want_header;
  auto got = Csv(ReadFile(dir.File("csp.csv")), &got_header);
  auto want = Csv(ReadFile(TestDataPath("eegdash/allfeatures_csp_eegdash_head.csv")), &want_header);
  // Ours leads with window and start_sample; EEGDash ends with the target.
  ASSERT_EQ(got.size(), want.size());
  for (int j = 0; j < 4; ++j) {
    const std::string col = absl::StrCat("csp_", j);
    const auto g = std::find(got_header.begin(), got_header.end(), col) - got_header.begin();
    const auto w = std::find(want_header.begin(), want_header.end(), col) - want_header.begin();
    ASSERT_LT(g, static_cast<long>(got_header.size())) << col;
    double worst = 0;
    for (size_t r = 0; r < want.size(); ++r) {
      worst = std::max(worst, std::fabs(got[r][g] - want[r][w]) / std::fabs(want[r][w]));
    }
    // The golden README's CSP tolerance is rtol 1e-5; observed about 2e-8
    // (EEGDash merges batch statistics computed around float32 means).
    EXPECT_LT(worst, 1e-7) << col;
    std::printf("%s: max relative difference %.3g\n", col.c_str(), worst);
  }
}

// One FitRequest, one FitJob: a server's fit (windows uploaded, or read
// there) is the embedded fit, byte for byte.
TEST(FitCliTest, OnAServerUploadedOrReadThereTheFitIsTheSame) {
  TempDir dir;
  WriteFile(dir.File("p.json"), kCspPipeline);
  const std::string x = TestDataPath("eegdash/allfeatures_X.npy");
  const std::string common =
      absl::StrCat(" --labels ", TestDataPath("eegdash/allfeatures_target.npy"), " --channels ",
                   kChannels, " --pipeline ", dir.File("p.json"));
  auto embedded = RunNeurofeat(
      absl::StrCat("fit --input ", x, common, " --output ", dir.File("embedded.json")), dir);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  testing::ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto uploaded = RunNeurofeat(absl::StrCat("fit --server ", server.target(), " --input ", x,
                                            common, " --output ", dir.File("uploaded.json")),
                               dir);
  ASSERT_EQ(uploaded.exit_code, 0) << uploaded.output << server.Log();
  WriteFile(server.data_root() + "/x.npy", ReadFile(x));
  auto remote = RunNeurofeat(absl::StrCat("fit --server ", server.target(), " --remote-path x.npy",
                                          common, " --output ", dir.File("remote.json")),
                             dir);
  ASSERT_EQ(remote.exit_code, 0) << remote.output << server.Log();
  const std::string want = ReadFile(dir.File("embedded.json"));
  ASSERT_THAT(want, HasSubstr("\"fitted\""));
  EXPECT_EQ(ReadFile(dir.File("uploaded.json")), want);
  EXPECT_EQ(ReadFile(dir.File("remote.json")), want);
}

TEST(FitCliTest, AnUnfittedTrainableNodeIsAnErrorThatSaysToFit) {
  TempDir dir;
  WriteFile(dir.File("p.json"), kCspPipeline);
  auto ex =
      RunNeurofeat(absl::StrCat("extract --input ", TestDataPath("eegdash/allfeatures_X.npy"),
                                " --fs 256 --channels ", kChannels, " --pipeline ",
                                dir.File("p.json"), " --no-cache --output ", dir.File("csp.csv")),
                   dir);
  EXPECT_NE(ex.exit_code, 0);
  EXPECT_THAT(ex.output, HasSubstr("features.csp"));
  EXPECT_THAT(ex.output, HasSubstr("neurofeat fit"));
}

TEST(FitCliTest, LabelsMustBeOnePerWindowAndTwoClasses) {
  TempDir dir;
  WriteFile(dir.File("p.json"), kCspPipeline);
  const std::string x = TestDataPath("eegdash/allfeatures_X.npy");
  auto three = NpyWriter::Create(dir.File("y3.npy"), NpyDtype::kInt64, {48});
  ASSERT_TRUE(three.ok());
  std::vector<int64_t> y(48);
  for (int i = 0; i < 48; ++i) y[i] = i % 3;
  ASSERT_TRUE((*three)->AppendBytes(y.data(), y.size() * 8).ok());
  ASSERT_TRUE((*three)->Finish().ok());
  auto r =
      RunNeurofeat(absl::StrCat("fit --input ", x, " --labels ", dir.File("y3.npy"), " --pipeline ",
                                dir.File("p.json"), " --output ", dir.File("f.json")),
                   dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("exactly two classes"));
  auto short_labels = NpyWriter::Create(dir.File("y5.npy"), NpyDtype::kInt64, {5});
  ASSERT_TRUE(short_labels.ok());
  ASSERT_TRUE((*short_labels)->AppendBytes(y.data(), 5 * 8).ok());
  ASSERT_TRUE((*short_labels)->Finish().ok());
  r = RunNeurofeat(absl::StrCat("fit --input ", x, " --labels ", dir.File("y5.npy"), " --pipeline ",
                                dir.File("p.json"), " --output ", dir.File("f.json")),
                   dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("5 labels for 48 windows"));
  EXPECT_FALSE(std::ifstream(dir.File("f.json")).good());
  // A pipeline without a trainable node has nothing to fit.
  WriteFile(dir.File("q.json"), R"({"features": [{"name": "v", "fn": "signal_variance"}]})");
  r = RunNeurofeat(
      absl::StrCat("fit --input ", x, " --labels ", TestDataPath("eegdash/allfeatures_target.npy"),
                   " --pipeline ", dir.File("q.json"), " --output ", dir.File("f.json")),
      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("no trainable node"));
}

}  // namespace
}  // namespace neurofeat
