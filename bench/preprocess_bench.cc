// Times the preprocessing engine on a (frames, channels) float32 .npy
// recording and prints one JSON object; bench/preprocess_bench.py runs the
// scipy/numpy reference on the same file and prints the ratios.
//
//   preprocess_bench --input X.npy --fs 30000 [--reps 3]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/dsp/row_median.h"
#include "core/io/npy.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/phase_shift_kernels.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace neurofeat {
namespace {

using ::neurofeat::bench::Now;

long MinorFaults() {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

// Page faults during the last BestOf() run, to tell first-touch costs from
// compute.
long g_last_faults = 0;

template <typename F>
double BestOf(int reps, F&& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    g_last_faults = MinorFaults();
    const double t0 = Now();
    f();
    best = std::min(best, Now() - t0);
    g_last_faults = MinorFaults() - g_last_faults;
  }
  return best;
}

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
}

// Whole-recording output of `source` over [0, n) in chunks into `out`.
void RunInto(const TraceSource& source, int64_t chunk, Traces* out) {
  const size_t row_bytes = static_cast<size_t>(out->channels()) * SampleTypeSize(out->type());
  ChunkOptions o;
  o.chunk_frames = chunk;
  // The sink stands for the writer; it copies in parallel so that the
  // timing is the engine's, not one core's memcpy.
  Check(RunChunked(source, o, 0, out->frames(), [&](int64_t first, const Traces& t) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, t.frames(), 2048),
                      [&](const tbb::blocked_range<int64_t>& r) {
                        std::memcpy(out->bytes() + (first + r.begin()) * row_bytes,
                                    t.bytes() + r.begin() * row_bytes,
                                    (r.end() - r.begin()) * row_bytes);
                      });
    return absl::OkStatus();
  }));
}

int Main(int argc, char** argv) {
  std::string input;
  double fs = 30000;
  int reps = 3;
  int64_t bench_frames = 1000000;
  std::string only;  // "viewer" or "ps_viewer": only that case (for profiling)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--input") input = argv[i + 1];
    if (k == "--fs") fs = std::stod(argv[i + 1]);
    if (k == "--reps") reps = std::stoi(argv[i + 1]);
    if (k == "--frames") bench_frames = std::stoll(argv[i + 1]);
    if (k == "--only") only = argv[i + 1];
  }
  absl::StatusOr<NpyArray> arr = ReadNpy(input);
  Check(arr.status());
  absl::StatusOr<Traces> all = NpyToTraces(*arr, input);
  Check(all.status());
  arr->data.clear();
  arr->data.shrink_to_fit();
  const int64_t c = all->channels();
  const int64_t n = std::min(bench_frames, all->frames());
  RecordingInfo info;
  info.sampling_rate_hz = fs;
  info.channel_ids = DefaultChannelIds(c);
  // The throughput runs use the first n frames; the viewer case reads
  // seconds 60-61 of the whole file.
  auto full = std::make_shared<InMemorySource>(std::move(*all), info);
  absl::StatusOr<Traces> head = full->GetTraces(0, n);
  Check(head.status());
  auto src = std::make_shared<InMemorySource>(std::move(*head), info);

  ChainSpec bandpass_only, chain_spec, median_only;
  bandpass_only.steps.push_back({"preprocess[0].bandpass", ButterworthOptions{}});
  chain_spec = bandpass_only;
  chain_spec.steps.push_back({"preprocess[1].common_reference", CommonReferenceOptions{}});
  median_only.steps.push_back({"preprocess[0].common_reference", CommonReferenceOptions{}});

  std::printf("{\"frames\": %lld, \"channels\": %lld, \"fs\": %g", static_cast<long long>(n),
              static_cast<long long>(c), fs);
  Traces filtered = Traces::Uninitialized(SampleType::kFloat32, n, c);
  Traces out = Traces::Uninitialized(SampleType::kFloat32, n, c);
  // Touch the output pages once so no run pays for first-touch faults.
  std::memset(filtered.bytes(), 0, filtered.size_bytes());
  std::memset(out.bytes(), 0, out.size_bytes());

  for (int threads : {1, 2}) {
    if (only == "viewer" || only == "ps_viewer") break;
    if ((only == "t1" || only == "rowmedian") && threads != 1) break;
    tbb::task_arena arena(threads);
    double t_filter = 0, t_median = 0, t_chain = 0, t_rowmed = 0, t_median_alone = 0;
    arena.execute([&] {
      auto bp = *PreprocessChain::Build(bandpass_only, src, SampleType::kFloat32);
      // The zero-phase filter alone, in SpikeInterface's 1 s chunks.
      t_filter = BestOf(only == "rowmedian" ? 1 : reps,
                        [&] { RunInto(bp->output(), static_cast<int64_t>(fs), &filtered); });
      std::fprintf(stderr, "filter t%d: %ld page faults in the last run\n", threads, g_last_faults);
      auto filtered_src = std::make_shared<InMemorySource>(CopyFrames(filtered, 0, n), info);
      auto med = *PreprocessChain::Build(median_only, filtered_src, SampleType::kFloat32);
      if (only != "rowmedian") {
        t_median = BestOf(reps, [&] { RunInto(med->output(), static_cast<int64_t>(fs), &out); });
        // The step alone: each chunk computed and dropped (no sink copy,
        // which on this machine is as much memory traffic as the step).
        t_median_alone = BestOf(reps, [&] {
          ChunkOptions o;
          o.chunk_frames = static_cast<int64_t>(fs);
          Check(RunChunked(med->output(), o, 0, n,
                           [](int64_t, const Traces&) { return absl::OkStatus(); }));
        });
      }
      // The row medians alone, what numpy.median(y, axis=1) computes.
      std::vector<float> medians(static_cast<size_t>(n));
      t_rowmed = BestOf(reps, [&] {
        tbb::parallel_for(
            tbb::blocked_range<int64_t>(0, n, 4096), [&](const tbb::blocked_range<int64_t>& r) {
              RowMedianTracker tracker;
              std::vector<float> scratch(
                  static_cast<size_t>(MedianScratchFloats(static_cast<int>(c))));
              for (int64_t t = r.begin(); t < r.end(); ++t) {
                medians[t] =
                    tracker.Median(filtered.row<float>(t), static_cast<int>(c), scratch.data());
              }
            });
      });
      std::fprintf(stderr, "median t%d: %ld page faults in the last run\n", threads, g_last_faults);
      auto chain = *PreprocessChain::Build(chain_spec, src, SampleType::kFloat32);
      // The SpikeInterface chain, 1 s chunks.
      if (only != "rowmedian") {
        t_chain = BestOf(reps, [&] { RunInto(chain->output(), static_cast<int64_t>(fs), &out); });
      }
    });
    std::printf(
        ", \"t%d_filter_s\": %.4f, \"t%d_median_s\": %.4f, \"t%d_median_alone_s\": %.4f, "
        "\"t%d_rowmedian_s\": %.4f, \"t%d_chain_s\": %.4f",
        threads, t_filter, threads, t_median, threads, t_median_alone, threads, t_rowmed, threads,
        t_chain);
  }

  if (only != "viewer" && only != "ps_viewer") {
    // Copy bandwidth: one large memcpy (the filtered buffer into the output
    // buffer, both already touched), bytes read + written per second.
    {
      const double t =
          BestOf(5, [&] { std::memcpy(out.bytes(), filtered.bytes(), out.size_bytes()); });
      const double bw = 2.0 * static_cast<double>(out.size_bytes()) / t;
      // The chain must read the float32 input and write the float32 output.
      const double bytes = 2.0 * static_cast<double>(n * c) * 4.0;
      std::printf(
          ", \"copy_bandwidth_gbps\": %.3f, \"chain_bytes\": %.0f, \"bandwidth_floor_s\": %.4f",
          bw / 1e9, bytes, bytes / bw);
    }
  }

  // Viewer: seconds 60-61 (margins included) through the chain, all cores.
  if (full->num_frames() >= static_cast<int64_t>(61 * fs) + 600) {
    tbb::task_arena arena(tbb::this_task_arena::max_concurrency());
    // Sorted latencies of `calls` GetTraces(60 s, 61 s) on a chain.
    auto latencies = [&](const ChainSpec& spec, int calls) {
      std::vector<double> lat;
      arena.execute([&] {
        auto chain = *PreprocessChain::Build(spec, full, SampleType::kFloat32);
        for (int i = 0; i < calls; ++i) {
          const double t0 = Now();
          absl::StatusOr<Traces> t = chain->output().GetTraces(static_cast<int64_t>(60 * fs),
                                                               static_cast<int64_t>(61 * fs));
          Check(t.status());
          lat.push_back(Now() - t0);
        }
      });
      std::sort(lat.begin(), lat.end());
      return lat;
    };
    const std::vector<double> lat = latencies(chain_spec, only == "viewer"      ? 300
                                                          : only == "ps_viewer" ? 1
                                                                                : 30);
    std::printf(", \"viewer_threads\": %d, \"viewer_median_ms\": %.2f, \"viewer_p90_ms\": %.2f",
                tbb::this_task_arena::max_concurrency(), 1e3 * lat[lat.size() / 2],
                1e3 * lat[lat.size() * 9 / 10]);
    // The chain viewers and sorters run on Neuropixels: phase shift (NP 1.0
    // shifts, (channel / 2) mod 12 / 13) -> highpass 300 Hz -> median.
    ChainSpec ps_spec;
    PhaseShiftOptions ps;
    for (int64_t ch = 0; ch < c; ++ch) ps.inter_sample_shift.push_back(((ch / 2) % 12) / 13.0);
    ButterworthOptions hp;
    hp.band = BandType::kHighpass;
    hp.freq_min_hz = 300;
    ps_spec.steps.push_back({"preprocess[0].phase_shift", ps});
    ps_spec.steps.push_back({"preprocess[1].highpass", hp});
    ps_spec.steps.push_back({"preprocess[2].common_reference", CommonReferenceOptions{}});
    const std::vector<double> ps_lat = latencies(ps_spec, only == "ps_viewer" ? 100 : 30);
    std::printf(", \"ps_viewer_median_ms\": %.2f, \"ps_viewer_p90_ms\": %.2f",
                1e3 * ps_lat[ps_lat.size() / 2], 1e3 * ps_lat[ps_lat.size() * 9 / 10]);
    // The floor under that figure: the phase shift's transforms alone (a
    // forward and an inverse real FFT per channel, no data movement) at the
    // length the step uses, N >= frames + L - 1, and at SpikeInterface's L.
    const int64_t frames = static_cast<int64_t>(fs) + 2 * 500;  // + highpass margins
    const int64_t length = frames + 2 * static_cast<int64_t>(0.040 * fs);
    for (const auto& [name, n] :
         {std::pair<const char*, int64_t>{"smooth", NextFiveSmooth(frames + length - 1)},
          {"L", length}}) {
      FftPlans plans;
      std::vector<double> times;
      arena.execute([&] {
        for (int i = 0; i < 15; ++i) {
          const double t0 = Now();
          tbb::parallel_for(tbb::blocked_range<int64_t>(0, c, 1), [&](const auto& range) {
            FftBuffer<double> buf(static_cast<size_t>(n));
            FftBuffer<std::complex<double>> spec(static_cast<size_t>(n / 2 + 1));
            std::fill(buf.data(), buf.data() + n, 1.0);
            for (int64_t ch = range.begin(); ch != range.end(); ++ch) {
              plans.ForwardReal(buf.data(), spec.data(), n);
              plans.BackwardReal(spec.data(), buf.data(), n);
            }
          });
          times.push_back(Now() - t0);
        }
      });
      std::sort(times.begin(), times.end());
      std::printf(", \"ps_fft_%s_length\": %lld, \"ps_fft_%s_ms\": %.2f", name,
                  static_cast<long long>(n), name, 1e3 * times[times.size() / 2]);
    }
  }
  std::printf("}\n");
  return 0;
}

}  // namespace
}  // namespace neurofeat

int main(int argc, char** argv) { return neurofeat::Main(argc, argv); }
