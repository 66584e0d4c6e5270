// A 2 GiB recording preprocessed end to end through the server, which reads
// it chunk by chunk from its data root, for a client that reads slowly: the
// stream is flow-controlled, so the server's peak RSS stays under its
// 256 MiB memory budget; every frame arrives, and a chunk equals the
// embedded engine's.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/exec/compute_arena.h"
#include "core/io/npy.h"
#include "core/preprocess/preprocess_chain.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;

constexpr int64_t kChannels = 384;
constexpr int64_t kFrames = 2'800'000;  // 93.3 s at 30 kHz: 2.15 GB of int16
constexpr double kFs = 30000;

// Writes a (frames, channels) int16 .npy with a deterministic pattern,
// block by block.
void WriteLargeNpy(const std::string& path) {
  auto writer = NpyWriter::Create(path, NpyDtype::kInt16, {kFrames, kChannels});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const int64_t block = 100000;
  std::vector<int16_t> buf(block * kChannels);
  for (int64_t f0 = 0; f0 < kFrames; f0 += block) {
    const int64_t n = std::min(block, kFrames - f0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t c = 0; c < kChannels; ++c) {
        const uint32_t h =
            static_cast<uint32_t>((f0 + i) * 2654435761u) ^ static_cast<uint32_t>(c * 40503u);
        buf[i * kChannels + c] =
            static_cast<int16_t>(static_cast<int>(h % 201) - 100 + (c % 7) * 10);
      }
    }
    ASSERT_TRUE((*writer)->AppendBytes(buf.data(), n * kChannels * 2).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

TEST(LargeRecordingTest, TwoGibibytesThroughTheServerInBoundedMemory) {
  ServerProcess server({"--memory-budget", "256MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string path = server.data_root() + "/big.npy";
  WriteLargeNpy(path);
  const char kChain[] = R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                                           {"common_reference": {}}]})";
  v1::PreprocessRequest req;
  req.mutable_recording()->mutable_path()->set_path("big.npy");
  req.mutable_recording()->set_sampling_rate_hz(kFs);
  *req.mutable_pipeline() = *api::ParsePipelineJson(kChain);
  req.set_chunk_frames(30000);
  const int64_t probe_start = 60 * 30000;  // the chunk at 60-61 s
  std::string probe;
  int64_t frames = 0;
  auto client = server.Client();
  absl::Status s = client->Preprocess(req, [&](const v1::PreprocessResponse& r) {
    if (r.chunk().start_frame() == probe_start) probe = r.chunk().data();
    frames += r.chunk().num_frames();
    // A slow reader: the server must wait for it, not buffer ahead.
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(frames, kFrames);
  const int64_t peak = server.PeakRssBytes();
  EXPECT_GT(peak, 0);
  if (testing::MemoryBoundsApply()) {
    EXPECT_LT(peak, int64_t{256} << 20) << "peak RSS " << (peak >> 20) << " MiB";
  }
  std::printf("server peak RSS after 2.15 GB: %lld MiB\n", static_cast<long long>(peak >> 20));

  // The embedded engine's output for the same chunk.
  RecordingInfo info;
  info.sampling_rate_hz = kFs;
  auto source = NpyTraceSource::Open(path, info);
  ASSERT_TRUE(source.ok());
  std::shared_ptr<const TraceSource> shared = std::move(*source);
  auto chain = PreprocessChain::Build(*api::ToChainSpec(*api::ParsePipelineJson(kChain)), shared,
                                      SampleType::kInt16);
  ASSERT_TRUE(chain.ok());
  absl::StatusOr<Traces> local;
  RunInArena([&] { local = (*chain)->output().GetTraces(probe_start, probe_start + 30000); });
  ASSERT_TRUE(local.ok());
  ASSERT_EQ(probe.size(), local->size_bytes());
  EXPECT_EQ(std::memcmp(probe.data(), local->bytes(), probe.size()), 0);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace neurofeat
