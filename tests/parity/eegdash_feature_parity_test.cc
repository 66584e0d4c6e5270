// Parity with EEGDash (tests/data/eegdash, copied from the golden set): every
// column of the how-to and all-features trees, compared by name within the
// tolerances of the golden README (section 5), on the same float32 windows.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using testing::CsvTable;

std::string ReadText(const std::string& relative) {
  std::ifstream in(neurofeat::testing::TestDataPath(relative));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// How a column is compared.
struct Rule {
  enum Kind { kRelative, kAbsolute, kExact, kMeanOfStd } kind = kRelative;
  double tol = 2e-6;
  double outlier_fraction = 0.0;  // share of values allowed outside tol
};

// The README's table: by the leaf's path (column name without the key and
// channel / pair suffix). Longest matching prefix wins.
Rule RuleFor(const std::string& column) {
  static const std::vector<std::pair<std::string, Rule>> kRules = {
      {"sig_mean_", {Rule::kMeanOfStd, 1e-6}},
      {"pick_mean_", {Rule::kMeanOfStd, 1e-6}},
      {"sig_skew_", {Rule::kAbsolute, 1e-5}},
      {"sig_kurt_", {Rule::kAbsolute, 1e-5}},
      {"sig_q", {Rule::kRelative, 1e-7}},
      {"sig_zc_", {Rule::kExact}},
      {"sig_dect_", {Rule::kExact}},
      {"spec_peak", {Rule::kExact}},
      {"spec_norm_peak_", {Rule::kExact}},
      {"spec_db_peak_", {Rule::kExact}},
      {"spec_norm_edge", {Rule::kExact}},
      {"spec_db_bp_", {Rule::kAbsolute, 1e-3}},
      {"spec_scorr_", {Rule::kAbsolute, 2e-5}},
      {"spec_norm_scorr_", {Rule::kAbsolute, 2e-5}},
      {"spec_db_scorr_", {Rule::kAbsolute, 2e-5}},
      {"conn_tcorr_", {Rule::kAbsolute, 2e-5}},
      {"pick_tcorr_", {Rule::kAbsolute, 2e-5}},
      {"conn_coh_icoh_", {Rule::kAbsolute, 2e-5}},
      {"conn_coh_lcoh_", {Rule::kAbsolute, 2e-5}},
      {"conn_coh2_icoh_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_ciplv_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_wpli_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_pli_", {Rule::kAbsolute, 2.0 / 512}},
      {"alpha_ph_dpli_", {Rule::kAbsolute, 2.0 / 512}},
      {"cplx_lz", {Rule::kExact}},
      // Counts are exact; the logarithms of equal counts may differ in the
      // last bits with another summation order.
      {"dim_petrosian_", {Rule::kRelative, 1e-12}},
      {"ent", {Rule::kRelative, 1e-12, 0.005}},
      {"mse", {Rule::kRelative, 1e-12, 0.005}},
      {"dfa_", {Rule::kRelative, 1e-6}},
      // Picked pairs (pairpick_eegdash_head.csv) keep their leaves' rules.
      {"conn_coh_pp_icoh_", {Rule::kAbsolute, 2e-5}},
      {"conn_coh_pp_lcoh_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_pp_ciplv_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_pp_wpli_", {Rule::kAbsolute, 2e-5}},
      {"alpha_ph_pp_pli_", {Rule::kAbsolute, 2.0 / 512}},
      {"alpha_ph_pp_dpli_", {Rule::kAbsolute, 2.0 / 512}},
      // The windows as columns are the float32 samples themselves. EEGDash's
      // envelope of float32 windows is float32 (scipy.fft keeps single
      // precision); ours is float64: 1e-6 of its largest value (4.3e-5 V).
      {"raw_", {Rule::kExact}},
      {"env_as_", {Rule::kAbsolute, 5e-11}},
  };
  Rule best;
  size_t best_len = 0;
  for (const auto& [prefix, rule] : kRules) {
    if (absl::StartsWith(column, prefix) && prefix.size() > best_len) {
      best = rule;
      best_len = prefix.size();
    }
  }
  return best;
}

// For kMeanOfStd: the tolerance is tol x the window's std of that channel.
std::string StdColumnFor(const std::string& mean_column) {
  const size_t at = mean_column.find("_mean_");
  return absl::StrCat("sig_std_", mean_column.substr(at + 6));
}

void ExpectParity(const FeatureTable& ours, const CsvTable& golden, bool allow_extra = false) {
  std::map<std::string, int> our_index;
  for (size_t i = 0; i < ours.columns.size(); ++i) our_index[ours.columns[i]] = static_cast<int>(i);
  ASSERT_EQ(static_cast<size_t>(ours.rows), golden.rows.size());
  int compared = 0;
  for (size_t g = 0; g < golden.columns.size(); ++g) {
    const std::string& name = golden.columns[g];
    if (name == "target") continue;
    auto it = our_index.find(name);
    ASSERT_NE(it, our_index.end()) << "missing column " << name;
    const Rule rule = RuleFor(name);
    int outliers = 0;
    double worst = 0.0;
    for (int64_t r = 0; r < ours.rows; ++r) {
      const double want = golden.rows[r][g];
      const double got = ours.at(r, it->second);
      double err = 0.0, tol = 0.0;
      switch (rule.kind) {
        case Rule::kRelative:
          err = std::fabs(got - want);
          tol = rule.tol * std::fabs(want);
          break;
        case Rule::kAbsolute:
          err = std::fabs(got - want);
          tol = rule.tol;
          break;
        case Rule::kExact:
          err = got == want ? 0.0 : 1.0;
          tol = 0.0;
          break;
        case Rule::kMeanOfStd: {
          const int s = golden.Column(StdColumnFor(name));
          ASSERT_GE(s, 0) << name;
          err = std::fabs(got - want);
          tol = rule.tol * golden.rows[r][s];
          break;
        }
      }
      if (!(err <= tol)) {
        ++outliers;
        worst = std::max(worst, err);
      }
    }
    const int allowed = static_cast<int>(rule.outlier_fraction * ours.rows);
    EXPECT_LE(outliers, allowed) << name << ": " << outliers << " of " << ours.rows
                                 << " values outside tolerance, worst error " << worst;
    ++compared;
  }
  if (!allow_extra) {
    // Same columns, and the same order up to the order of channel pairs
    // within one feature (EEGDash's follows a Python set).
    EXPECT_EQ(ours.columns.size() + 1, golden.columns.size());
    std::vector<std::string> ours_univariate, golden_univariate;
    for (const auto& c : ours.columns) {
      if (c.find("<>") == std::string::npos) ours_univariate.push_back(c);
    }
    for (const auto& c : golden.columns) {
      if (c.find("<>") == std::string::npos && c != "target") golden_univariate.push_back(c);
    }
    EXPECT_EQ(ours_univariate, golden_univariate);
  }
  EXPECT_GT(compared, 0);
}

std::vector<float> LoadWindows(const std::string& relative, int64_t* n, int64_t* c, int64_t* t) {
  NpyArray a = neurofeat::testing::LoadNpy(relative);
  *n = a.header.shape[0];
  *c = a.header.shape[1];
  *t = a.header.shape[2];
  const float* p = a.as<float>();
  return std::vector<float>(p, p + (*n) * (*c) * (*t));
}

SignalInfo Info(double fs, std::vector<std::string> channels, std::optional<double> hp,
                std::optional<double> lp) {
  SignalInfo info;
  info.fs = fs;
  info.channels = std::move(channels);
  info.highpass = hp;
  info.lowpass = lp;
  return info;
}

TEST(EegdashParity, AllFeaturesTreeMatchesEegdashHead) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  auto table = testing::Extract(ReadText("eegdash/allfeatures_pipeline.json"),
                                Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), x, n, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectParity(*table, testing::LoadCsv("eegdash/allfeatures_eegdash_head.csv"));
}

TEST(EegdashParity, MultiscaleEntropyLaggedEntropyAndSvdMatchV080) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  auto table = testing::Extract(ReadText("eegdash/mse_pipeline.json"),
                                Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), x, n, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectParity(*table, testing::LoadCsv("eegdash/allfeatures_mse_eegdash_v080.csv"));
}

// EEGDash's DFA fails on float32 windows; its golden was made on the same
// windows promoted to float64. Ours reads the float32 windows directly.
TEST(EegdashParity, DfaWorksOnFloat32WindowsAndMatchesTheFloat64Golden) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  auto table = testing::Extract(ReadText("eegdash/dfa_pipeline.json"),
                                Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), x, n, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectParity(*table, testing::LoadCsv("eegdash/allfeatures_dfa_float64_eegdash_head.csv"));
}

TEST(EegdashParity, HowtoTreeMatchesV080) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/howto_X_rows.npy", &n, &c, &t);
  auto table =
      testing::Extract(ReadText("eegdash/howto_pipeline.json"),
                       Info(128, {"O1", "Oz", "O2", "Cz", "Pz", "POz"}, 1.0, 40.0), x, n, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectParity(*table, testing::LoadCsv("eegdash/howto_eegdash_v080_rows.csv"));
}

// pick_channel_pairs_preprocessor under the coherency and phase-difference
// preprocessors of the all-features tree: the picked pairs' columns, in the
// order picked, are EEGDash HEAD's own values of those pairs
// (pairpick_eegdash_head.csv, made by make_eegdash_084_goldens.py).
TEST(EegdashParity, PairPickKeepsEegdashHeadPairsInTheGivenOrder) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  auto table = testing::Extract(ReadText("eegdash/pairpick_pipeline.json"),
                                Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), x, n, t);
  ASSERT_TRUE(table.ok()) << table.status();
  const CsvTable golden = testing::LoadCsv("eegdash/pairpick_eegdash_head.csv");
  ExpectParity(*table, golden);
  // Picked pairs have an order of their own (EEGDash's follows the list).
  std::vector<std::string> expected(golden.columns.begin(), golden.columns.end() - 1);
  EXPECT_EQ(table->columns, expected);
}

// signal_envelope_preprocessor and signal features of its output on float32
// windows: scipy >= 1.16's envelope transcribed (make_eegdash_084_goldens.py),
// run in float32 as EEGDash runs it. Ours is float64; the two differ by at
// most 2.1e-7 relative here, so the default 2e-6 applies.
TEST(EegdashParity, SignalEnvelopeTreeMatchesTheScipyEnvelopeTranscription) {
  int64_t n, c, t;
  std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  const int64_t windows = 16;
  x.resize(windows * c * t);
  auto table = testing::Extract(ReadText("eegdash/envelope_pipeline.json"),
                                Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), x, windows, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectParity(*table, testing::LoadCsv("eegdash/envelope_eegdash_v084.csv"));
}

// The envelope itself, read back through preprocessor_as_feature, against
// the transcription run in float64 (envelope_f64.npy): the same algorithm in
// the same precision, so within 1e-12 of each channel's largest value.
TEST(EegdashParity, SignalEnvelopeEqualsTheFloat64Transcription) {
  int64_t n, c, t;
  std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  const NpyArray golden = testing::LoadNpy("eegdash/envelope_f64.npy");
  ASSERT_EQ(golden.header.shape.size(), 3u);
  const int64_t windows = golden.header.shape[0];
  ASSERT_EQ(golden.header.shape[1], c);
  ASSERT_EQ(golden.header.shape[2], t);
  x.resize(windows * c * t);
  const std::string pipeline = R"({"features": [{"name": "env",
      "preprocessor": {"fn": "signal_envelope_preprocessor"},
      "features": [{"name": "as", "fn": "preprocessor_as_feature"}]}]})";
  const std::vector<std::string> channels = {"Fz", "C3", "C4", "Pz"};
  auto table = testing::Extract(pipeline, Info(256, channels, 1.0, 100.0), x, windows, t);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(static_cast<int64_t>(table->columns.size()), c * t);
  const double* want = golden.as<double>();
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const double* row = want + (w * c + ch) * t;
      const double scale = *std::max_element(row, row + t);
      double worst = 0.0;
      for (int64_t i = 0; i < t; ++i) {
        // Columns are sample-major: env_as_<i>_<channel>.
        const int64_t col = i * c + ch;
        ASSERT_EQ(table->columns[col], absl::StrCat("env_as_", i, "_", channels[ch]));
        worst = std::max(worst, std::fabs(table->at(w, col) - row[i]));
      }
      EXPECT_LE(worst, 1e-12 * scale) << "window " << w << " channel " << channels[ch];
    }
  }
}

// preprocessor_as_feature at the root (the windows) and under the envelope,
// on 64-sample windows: EEGDash's cell for each, spelled out per sample and
// channel (asfeature_eegdash_v084.csv).
TEST(EegdashParity, PreprocessorAsFeatureSpellsOutEegdashCells) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/allfeatures_X.npy", &n, &c, &t);
  const int64_t windows = 4, samples = 64;
  std::vector<float> cut;
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* row = x.data() + (w * c + ch) * t;
      cut.insert(cut.end(), row, row + samples);
    }
  }
  auto table =
      testing::Extract(ReadText("eegdash/asfeature_pipeline.json"),
                       Info(256, {"Fz", "C3", "C4", "Pz"}, 1.0, 100.0), cut, windows, samples);
  ASSERT_TRUE(table.ok()) << table.status();
  const CsvTable golden = testing::LoadCsv("eegdash/asfeature_eegdash_v084.csv");
  ExpectParity(*table, golden);
  std::vector<std::string> expected(golden.columns.begin(), golden.columns.end() - 1);
  EXPECT_EQ(table->columns, expected);
}

// The comparison can fail: one column off by 1e-5 relative (a float32
// accumulation error) is caught, and only that one.
TEST(EegdashParity, ToleranceCatchesAPerturbedColumn) {
  int64_t n, c, t;
  const std::vector<float> x = LoadWindows("eegdash/howto_X_rows.npy", &n, &c, &t);
  auto table =
      testing::Extract(ReadText("eegdash/howto_pipeline.json"),
                       Info(128, {"O1", "Oz", "O2", "Cz", "Pz", "POz"}, 1.0, 40.0), x, n, t);
  ASSERT_TRUE(table.ok());
  const CsvTable golden = testing::LoadCsv("eegdash/howto_eegdash_v080_rows.csv");
  const size_t cols = table->columns.size();
  for (int64_t r = 0; r < table->rows; ++r) table->values[r * cols] *= 1.0 + 1e-5;
  EXPECT_NONFATAL_FAILURE(ExpectParity(*table, golden), "var_O1: 128 of 128 values outside");
}

}  // namespace
}  // namespace neurofeat
