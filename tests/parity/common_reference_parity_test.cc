// Parity of the common reference with SpikeInterface / numpy, against
// tests/data/scipy/cmr_* (rows 0..4000 of the golden set; the input is the
// 16-channel output of SpikeInterface's chunked bandpass, or raw int16).
// Every comparison is exact: the reference is bit-identical.
#include <cstring>

#include "core/preprocess/common_reference_step.h"
#include "core/source/in_memory_source.h"
#include "core/preprocess/preprocess_chain.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::LoadNpy;
using ::neurofeat::testing::LoadTraces;

Traces Reference(const std::string& input, CommonReferenceOptions options, SampleType out) {
  Traces x = LoadTraces(input);
  RecordingInfo info;
  info.sampling_rate_hz = 30000;
  info.channel_ids = DefaultChannelIds(x.channels());
  const int64_t n = x.frames();
  auto source = std::make_shared<InMemorySource>(std::move(x), info);
  ChainSpec spec;
  spec.steps.push_back({"preprocess[0].common_reference", options});
  auto chain = PreprocessChain::Build(spec, source, out);
  EXPECT_TRUE(chain.ok()) << chain.status();
  absl::StatusOr<Traces> t = (*chain)->output().GetTraces(0, n);
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

// Expected output for every channel: x[:, c] - shift in float32.
void ExpectAllChannelsShiftedBy(const Traces& ours, const std::string& input,
                                const std::string& shift_file) {
  Traces x = LoadTraces(input);
  NpyArray shift = LoadNpy(shift_file);
  ASSERT_EQ(shift.header.shape[0], x.frames());
  int64_t mismatches = 0;
  for (int64_t t = 0; t < x.frames(); ++t) {
    for (int64_t c = 0; c < x.channels(); ++c) {
      const float want = x.row<float>(t)[c] - shift.as<float>()[t];
      mismatches += std::memcmp(&want, &ours.row<float>(t)[c], sizeof(float)) != 0;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

void ExpectColumnsEqual(const Traces& ours, const std::string& golden) {
  Traces want = LoadTraces(golden);
  ASSERT_EQ(ours.frames(), want.frames());
  const size_t sz = SampleTypeSize(want.type());
  int64_t mismatches = 0;
  for (int64_t t = 0; t < want.frames(); ++t) {
    for (int64_t c = 0; c < want.channels(); ++c) {
      mismatches += std::memcmp(ours.bytes() + (t * ours.channels() + c) * sz,
                                want.bytes() + (t * want.channels() + c) * sz, sz) != 0;
    }
  }
  EXPECT_EQ(mismatches, 0) << golden;
}

TEST(CommonReferenceParityTest, GlobalMedianIsBitIdentical) {
  CommonReferenceOptions o;
  Traces out = Reference("scipy/cmr_input_f32.npy", o, SampleType::kFloat32);
  ExpectColumnsEqual(out, "scipy/cmr_global_median_out.npy");
  ExpectAllChannelsShiftedBy(out, "scipy/cmr_input_f32.npy", "scipy/cmr_global_median_shift.npy");
}

TEST(CommonReferenceParityTest, GlobalAverageBehindFilterSumsSequentially) {
  CommonReferenceOptions o;
  o.op = ReferenceOperator::kAverage;
  o.sum_order = CommonReferenceOptions::SumOrder::kSequential;
  Traces out = Reference("scipy/cmr_input_f32.npy", o, SampleType::kFloat32);
  ExpectColumnsEqual(out, "scipy/cmr_global_average_out.npy");
  ExpectAllChannelsShiftedBy(out, "scipy/cmr_input_f32.npy", "scipy/cmr_global_average_shift.npy");
}

TEST(CommonReferenceParityTest, GlobalAverageOfContiguousParentSumsPairwise) {
  CommonReferenceOptions o;
  o.op = ReferenceOperator::kAverage;  // kAuto: the parent is not a filter
  Traces out = Reference("scipy/cmr_input_f32.npy", o, SampleType::kFloat32);
  ExpectAllChannelsShiftedBy(out, "scipy/cmr_input_f32.npy",
                             "scipy/cmr_global_average_pairwise_shift.npy");
}

TEST(CommonReferenceParityTest, SingleChannelReference) {
  CommonReferenceOptions o;
  o.reference = ReferenceKind::kSingle;
  o.ref_channel_ids = {"0"};
  Traces out = Reference("scipy/cmr_input_f32.npy", o, SampleType::kFloat32);
  ExpectColumnsEqual(out, "scipy/cmr_single_out.npy");
}

TEST(CommonReferenceParityTest, Int16MedianRoundsHalfToEven) {
  CommonReferenceOptions o;
  Traces out = Reference("scipy/cmr_input_i16.npy", o, SampleType::kInt16);
  ExpectColumnsEqual(out, "scipy/cmr_global_median_i16_to_i16_out.npy");
  // The float64 shift itself: recover it from channel 0 where no rounding
  // happened, and check the golden shift has x.5 rows (ties are exercised).
  NpyArray shift = LoadNpy("scipy/cmr_global_median_i16_shift.npy");
  int64_t halves = 0;
  for (int64_t t = 0; t < shift.header.shape[0]; ++t) {
    halves +=
        shift.as<double>()[t] != static_cast<double>(static_cast<int64_t>(shift.as<double>()[t]));
  }
  EXPECT_GT(halves, 100);
}

}  // namespace
}  // namespace neurofeat
