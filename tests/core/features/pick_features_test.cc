// pick_channel_pairs_preprocessor: the pairs kept, their order, names and
// values, and the trees EEGDash refuses.
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::BuildTree;
using ::neurofeat::testing::ColumnValues;
using ::neurofeat::testing::Extract;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kTimes = 512;

std::vector<float> Noise(int channels, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(channels * kTimes);
  for (float& v : x) v = normal(rng);
  // Mix the channels so that pairs differ from one another.
  for (int c = 1; c < channels; ++c) {
    for (int i = 0; i < kTimes; ++i) x[c * kTimes + i] += 0.5f * c * x[(c - 1) * kTimes + i];
  }
  return x;
}

// A coherency group over all pairs of 4 channels with two leaves, and the
// same leaves under a pick of `pairs` (JSON).
std::string CoherencyTree(const std::string& pairs) {
  return R"({"features": [{"name": "coh",
      "preprocessor": {"fn": "connectivity_coherency_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [
        {"name": "msc", "fn": "connectivity_magnitude_square_coherence"},
        {"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                        "params": {"pairs": )" +
         pairs + R"(}},
         "features": [{"name": "msc", "fn": "connectivity_magnitude_square_coherence",
                       "params": {"bands": [{"name": "a", "lo": 8, "hi": 12}]}},
                      {"name": "icoh", "fn": "connectivity_imaginary_coherence",
                       "params": {"bands": [{"name": "a", "lo": 8, "hi": 12}]}}]}]}]})";
}

// The picked pairs come in the order given, named "A<>B", each with the
// values the unpicked coherency gives that pair.
TEST(PairPickTest, KeepsThePairsInTheGivenOrderWithTheirValues) {
  const std::vector<float> x = Noise(4, 11);
  auto t = Extract(CoherencyTree(R"([["c2", "c3"], ["c0", "c1"]])"), InfoFor(256, 4, 1.0, 100.0), x,
                   1, kTimes);
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<std::string> picked;
  for (const auto& c : t->columns) {
    if (c.rfind("coh_pp_", 0) == 0) picked.push_back(c);
  }
  EXPECT_THAT(picked, ElementsAre("coh_pp_msc_a_c2<>c3", "coh_pp_msc_a_c0<>c1",
                                  "coh_pp_icoh_a_c2<>c3", "coh_pp_icoh_a_c0<>c1"));
  // The unpicked leaf has delta..beta; its alpha band is the picked "a".
  EXPECT_EQ(ColumnValues(*t, "coh_pp_msc_a_c2<>c3")[0],
            ColumnValues(*t, "coh_msc_alpha_c2<>c3")[0]);
  EXPECT_EQ(ColumnValues(*t, "coh_pp_msc_a_c0<>c1")[0],
            ColumnValues(*t, "coh_msc_alpha_c0<>c1")[0]);
  EXPECT_NE(ColumnValues(*t, "coh_pp_msc_a_c2<>c3")[0], ColumnValues(*t, "coh_pp_msc_a_c0<>c1")[0]);
}

// Under the phase-difference preprocessor, and a pick of a pick: the pairs
// of the pairs kept.
TEST(PairPickTest, PicksPhaseDifferencePairsAndPicksAgain) {
  const std::vector<float> x = Noise(3, 5);
  const std::string pipeline = R"({"features": [{"name": "alpha",
      "preprocessor": {"fn": "signal_bandpass_filter_preprocessor", "params": {"f_min": 8, "f_max": 12}},
      "features": [{"name": "ph", "preprocessor": {"fn": "connectivity_phase_diff_preprocessor"},
        "features": [
          {"name": "plv", "fn": "connectivity_phase_locking_value"},
          {"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                          "params": {"pairs": [["c1", "c2"], ["c0", "c2"]]}},
           "features": [
             {"name": "plv", "fn": "connectivity_phase_locking_value"},
             {"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                             "params": {"pairs": [["c0", "c2"]]}},
              "features": [{"name": "pli", "fn": "connectivity_phase_lag_index"}]}]}]}]}]})";
  auto t = Extract(pipeline, InfoFor(256, 3), x, 1, kTimes);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->columns, ElementsAre("alpha_ph_plv_c0<>c1", "alpha_ph_plv_c0<>c2",
                                      "alpha_ph_plv_c1<>c2", "alpha_ph_pp_plv_c1<>c2",
                                      "alpha_ph_pp_plv_c0<>c2", "alpha_ph_pp_pp_pli_c0<>c2"));
  EXPECT_EQ(ColumnValues(*t, "alpha_ph_pp_plv_c1<>c2")[0],
            ColumnValues(*t, "alpha_ph_plv_c1<>c2")[0]);
  EXPECT_EQ(ColumnValues(*t, "alpha_ph_pp_plv_c0<>c2")[0],
            ColumnValues(*t, "alpha_ph_plv_c0<>c2")[0]);
}

// Pairs the parent was given explicitly are the only ones there are.
TEST(PairPickTest, PicksAmongTheParentsExplicitPairs) {
  const auto info = InfoFor(256, 4, 1.0, 100.0);
  const std::string pipeline = R"({"features": [{"name": "coh",
      "preprocessor": {"fn": "connectivity_coherency_preprocessor",
                       "params": {"window_size_in_sec": 1.0, "pairs": [["c3", "c0"], ["c1", "c2"]]}},
      "features": [{"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                                   "params": {"pairs": )";
  const std::string leaves = R"(}},
      "features": [{"name": "m", "fn": "connectivity_magnitude_square_coherence"}]}]}]})";
  auto tree = BuildTree(pipeline + R"([["c3", "c0"]])" + leaves, info, kTimes);
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->columns(), ElementsAre("coh_pp_m_delta_c3<>c0", "coh_pp_m_theta_c3<>c0",
                                           "coh_pp_m_alpha_c3<>c0", "coh_pp_m_beta_c3<>c0"));
  // c0-c1 exists among the channels but was not paired by the parent.
  EXPECT_THAT(BuildTree(pipeline + R"([["c0", "c1"]])" + leaves, info, kTimes).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.coh.features.pp.preprocessor.params.pairs"),
                             HasSubstr("pair [\"c0\", \"c1\"] is not among the pairs of "
                                       "connectivity_coherency_preprocessor (c3<>c0, c1<>c2)"))));
}

TEST(PairPickTest, RefusesWhatEegdashRefuses) {
  const auto info = InfoFor(256, 4, 1.0, 100.0);
  auto error = [&](const std::string& pairs) {
    return BuildTree(CoherencyTree(pairs), info, kTimes).status();
  };
  // EEGDash looks (first, second) up as it is: the default pairs are i < j.
  EXPECT_THAT(error(R"([["c1", "c0"]])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("pair [\"c1\", \"c0\"] is not among the pairs")));
  EXPECT_THAT(error(R"([["c0", "Cz"]])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("channel \"Cz\" of pair [\"c0\", \"Cz\"] is not among the "
                                 "channels (c0, c1, c2, c3)")));
  EXPECT_THAT(error(R"([["c0", "c1"], ["c2", "c3"], ["c0", "c1"]])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("pair [\"c0\", \"c1\"] appears twice")));
  EXPECT_THAT(error(R"([])"), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("expected a list of [channel, channel] pairs")));
  EXPECT_THAT(error("null"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("params.pairs: required")));
  // EEGDash's array-layout parameters have no meaning here.
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "coh",
      "preprocessor": {"fn": "connectivity_coherency_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                                   "params": {"pairs": [["c0", "c1"]], "axis": -2}},
                    "features": [{"name": "m", "fn": "connectivity_magnitude_square_coherence"}]}]}]})",
                        info, kTimes)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("params.axis: unknown parameter (known: pairs)")));
}

// It must follow a channel-pair preprocessor (EEGDash reads the pairs that
// one left in the metadata), and its children are checked against that
// preprocessor, as EEGDash checks them against their grandparent.
TEST(PairPickTest, FollowsAPairPreprocessorAndPassesItsKindOn) {
  const auto info = InfoFor(256, 4, 1.0, 100.0);
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "pp",
      "preprocessor": {"fn": "pick_channel_pairs_preprocessor", "params": {"pairs": [["c0", "c1"]]}},
      "features": [{"name": "t", "fn": "connectivity_temporal_correlation"}]}]})",
                        info, kTimes)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.pp.preprocessor"),
                             HasSubstr("pick_channel_pairs_preprocessor cannot take the output of "
                                       "the windows"),
                             HasSubstr("connectivity_coherency_preprocessor, "
                                       "connectivity_phase_diff_preprocessor"))));
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "coh",
      "preprocessor": {"fn": "connectivity_coherency_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                                   "params": {"pairs": [["c0", "c1"]]}},
                    "features": [{"name": "plv", "fn": "connectivity_phase_locking_value"}]}]}]})",
                        info, kTimes)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("connectivity_phase_locking_value cannot take the output of "
                                 "connectivity_coherency_preprocessor")));
}

}  // namespace
}  // namespace neurofeat
