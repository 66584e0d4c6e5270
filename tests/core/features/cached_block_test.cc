// The consequences the cache promises, proved through the engine's counters
// (chain chunks read = filters, spectra computed = FFTs, leaf runs =
// feature kernels) and the cache's hit counts.
#include "core/features/cached_block.h"

#include <random>

#include "api/pipeline_convert.h"
#include "core/cache/result_cache.h"
#include "core/exec/compute_arena.h"
#include "core/features/streaming_extractor.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

const char kBands1[] =
    R"([{"name": "alpha", "lo": 8, "hi": 12}, {"name": "beta", "lo": 12, "hi": 30}])";
const char kBands2[] =
    R"([{"name": "alpha", "lo": 7, "hi": 13}, {"name": "beta", "lo": 13, "hi": 30}])";

std::string Pipeline(const std::string& bands, bool extra_feature, double freq_max = 40) {
  return std::string(R"({"preprocess": [{"bandpass": {"freq_min": 1, "freq_max": )") +
         std::to_string(freq_max) + R"(, "filter_order": 4}}],
      "window": {"size_samples": 256, "stride_samples": 256},
      "features": [{"name": "var", "fn": "signal_variance"},
                   {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor",
                                                     "params": {"window_size_in_sec": 1.0}},
                    "features": [{"name": "bp", "fn": "spectral_bands_power", "params": {"bands": )" +
         bands + R"(}}, {"name": "peak", "fn": "spectral_peak_frequency"})" +
         (extra_feature ? R"(, {"name": "rtp", "fn": "spectral_root_total_power"})" : "") + "]}]}";
}

struct RunResult {
  FeatureTable table;
  EvalStats stats;
};

RunResult Extract(const std::string& json, const Traces& x, ResultCache* cache,
                  const std::string& content) {
  const v1::Pipeline p = *api::ParsePipelineJson(json);
  RecordingInfo rinfo;
  rinfo.sampling_rate_hz = 128;
  rinfo.channel_ids = {"a", "b", "c"};
  auto source = std::make_shared<InMemorySource>(
      Traces::View(x.type(), x.frames(), x.channels(), x.bytes()), rinfo);
  auto chain = *PreprocessChain::Build(*api::ToChainSpec(p), source, SampleType::kFloat32);
  SignalInfo info;
  info.fs = 128;
  info.channels = rinfo.channel_ids;
  info.highpass = 1;
  info.lowpass = 40;
  auto tree = *FeatureTree::Build(api::ToFeatureSpecs(p), info, 256);
  StreamingExtractor ex(tree, chain->output(), **api::ToWindowSpec(p), 128, 16);
  CacheContext ctx;
  ctx.cache = cache;
  ctx.recording_descriptor =
      "content=" + content + "|chain=" + chain->canonical() + "|chunk=128|window=256/256";
  ex.set_cache(ctx);
  RunResult run;
  RunInArena([&] {
    while (true) {
      auto b = ex.NextBlock();
      ASSERT_TRUE(b.ok()) << b.status();
      if (!b->has_value()) break;
      AppendRows(**b, &run.table);
    }
  });
  run.stats = ex.stats();
  return run;
}

Traces Noise(uint32_t seed) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, 128 * 40, 3);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  return t;
}

int64_t Hits(ResultCache& c, CacheLevel level) {
  return c.stats().lookups[static_cast<int>(level)][static_cast<int>(CacheLookup::kHit)].load();
}

class CachedBlockTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<ResultCache> cache_ = [&] {
    ResultCacheOptions o;
    o.dir = dir_.File("cache");
    return std::move(*ResultCache::Open(o, nullptr));
  }();
  Traces x_ = Noise(1);
};

TEST_F(CachedBlockTest, ColdRunComputesEverything) {
  const RunResult cold = Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  EXPECT_EQ(cold.table.rows, 20);
  EXPECT_GT(cold.stats.chunks_read, 0);
  EXPECT_EQ(cold.stats.spectra_computed, 20);
  EXPECT_EQ(cold.stats.leaf_runs, 3 * 20);
  EXPECT_EQ(cold.stats.leaves_from_cache, 0);
  // The same as without a cache.
  const RunResult plain = Extract(Pipeline(kBands1, false), x_, nullptr, "x");
  EXPECT_EQ(cold.table.values, plain.table.values);
}

TEST_F(CachedBlockTest, IdenticalRequestRunsNoFilterFftOrFeature) {
  const RunResult cold = Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  const RunResult warm = Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  EXPECT_EQ(warm.table.values, cold.table.values);
  EXPECT_EQ(warm.stats.chunks_read, 0);
  EXPECT_EQ(warm.stats.spectra_computed, 0);
  EXPECT_EQ(warm.stats.leaf_runs, 0);
  EXPECT_EQ(warm.stats.preprocessor_runs, 0);
  EXPECT_EQ(warm.stats.leaves_from_cache, 3 * 2);  // 3 leaves x 2 blocks
  EXPECT_EQ(Hits(*cache_, CacheLevel::kFeatures), 6);
}

TEST_F(CachedBlockTest, ChangedBandsReuseTheSpectra) {
  const RunResult cold = Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  const RunResult bands = Extract(Pipeline(kBands2, false), x_, cache_.get(), "x");
  EXPECT_EQ(bands.stats.spectra_computed, 0);  // no FFT
  EXPECT_EQ(bands.stats.chunks_read, 0);       // no filter: the spectra suffice
  EXPECT_EQ(bands.stats.leaf_runs, 20);        // only the band power
  EXPECT_EQ(bands.stats.spectra_from_cache, 2);
  // The result equals a cold computation of the new bands.
  const RunResult fresh = Extract(Pipeline(kBands2, false), x_, nullptr, "x");
  EXPECT_EQ(bands.table.values, fresh.table.values);
}

TEST_F(CachedBlockTest, AddingAFeatureComputesOnlyThatFeature) {
  Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  const RunResult more = Extract(Pipeline(kBands1, true), x_, cache_.get(), "x");
  EXPECT_EQ(more.stats.leaf_runs, 20);  // root total power only
  EXPECT_EQ(more.stats.spectra_computed, 0);
  EXPECT_EQ(more.stats.leaves_from_cache, 3 * 2);
  const RunResult fresh = Extract(Pipeline(kBands1, true), x_, nullptr, "x");
  EXPECT_EQ(more.table.values, fresh.table.values);
}

TEST_F(CachedBlockTest, DifferentChainOrSamplesMiss) {
  Extract(Pipeline(kBands1, false), x_, cache_.get(), "x");
  const RunResult chain = Extract(Pipeline(kBands1, false, 35), x_, cache_.get(), "x");
  EXPECT_EQ(chain.stats.leaves_from_cache, 0);
  EXPECT_EQ(chain.stats.spectra_computed, 20);
  const Traces y = Noise(2);
  const RunResult samples = Extract(Pipeline(kBands1, false), y, cache_.get(), "y");
  EXPECT_EQ(samples.stats.leaves_from_cache, 0);
  EXPECT_EQ(samples.stats.spectra_computed, 20);
}

}  // namespace
}  // namespace neurofeat
