#include "core/io/synthetic_recording.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "core/source/in_memory_source.h"
#include "core/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Approximately standard normal (sum of four uniforms, variance 1).
double Noise(uint64_t seed, int64_t frame, int64_t channel) {
  uint64_t h = SplitMix(seed ^ SplitMix(static_cast<uint64_t>(frame) * 0x100000001b3ULL +
                                        static_cast<uint64_t>(channel)));
  double s = 0;
  for (int i = 0; i < 4; ++i) {
    s += static_cast<double>((h >> (16 * i)) & 0xffff) / 65535.0;
  }
  return (s - 2.0) * std::sqrt(3.0);
}

constexpr int kSpikeHalfWidth = 30;  // frames on each side of the trough
constexpr int kSpikeSpread = 4;      // channels on each side

double SpikeShape(int64_t dt, double fs) {
  const double t_ms = static_cast<double>(dt) / fs * 1000.0;
  // A trough followed by a slower positive lobe.
  return -std::exp(-t_ms * t_ms / (2 * 0.08 * 0.08)) +
         0.35 * std::exp(-(t_ms - 0.45) * (t_ms - 0.45) / (2 * 0.2 * 0.2));
}

}  // namespace

SyntheticRecording::SyntheticRecording(const SyntheticOptions& options) : options_(options) {
  info_.sampling_rate_hz = options.sampling_rate_hz;
  info_.channel_ids = DefaultChannelIds(options.channels);
  for (int64_t c = 0; c < options.channels; ++c) {
    // Neuropixels 1.0-like checkerboard: two columns, 20 um rows.
    info_.channel_locations.push_back(
        {static_cast<double>((c % 2) * 32), static_cast<double>((c / 2) * 20)});
  }
  std::mt19937_64 rng(options.seed);
  const double expected =
      options.spike_rate_hz * static_cast<double>(options.frames) / options.sampling_rate_hz;
  std::poisson_distribution<int64_t> count(expected > 0 ? expected : 0);
  const int64_t n = expected > 0 ? count(rng) : 0;
  std::uniform_int_distribution<int64_t> frame(0, options.frames - 1);
  std::uniform_int_distribution<int64_t> channel(0, options.channels - 1);
  std::uniform_real_distribution<double> amp(40.0, 250.0);
  for (int64_t i = 0; i < n; ++i) spikes_.push_back({frame(rng), channel(rng), amp(rng)});
  std::sort(spikes_.begin(), spikes_.end(),
            [](const Spike& a, const Spike& b) { return a.frame < b.frame; });
}

absl::StatusOr<Traces> SyntheticRecording::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  const int64_t c = options_.channels;
  const double fs = options_.sampling_rate_hz;
  std::vector<double> values(static_cast<size_t>((end - start) * c));
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(start, end, 1024), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t t = r.begin(); t < r.end(); ++t) {
          const double time = static_cast<double>(t) / fs;
          const double mains = 20.0 * std::sin(2 * std::numbers::pi * 50.0 * time);
          double* row = values.data() + (t - start) * c;
          for (int64_t j = 0; j < c; ++j) {
            const double lfp =
                40.0 * std::sin(2 * std::numbers::pi * 7.0 * time + 0.01 * static_cast<double>(j));
            row[j] = 10.0 * Noise(options_.seed, t, j) + lfp + mains +
                     static_cast<double>((j % 7) * 20 - 60);
          }
        }
      });
  auto first = std::lower_bound(spikes_.begin(), spikes_.end(), start - kSpikeHalfWidth,
                                [](const Spike& s, int64_t f) { return s.frame < f; });
  for (auto it = first; it != spikes_.end() && it->frame < end + kSpikeHalfWidth; ++it) {
    for (int64_t dt = -kSpikeHalfWidth; dt <= kSpikeHalfWidth; ++dt) {
      const int64_t t = it->frame + dt;
      if (t < start || t >= end) continue;
      const double shape = SpikeShape(dt, fs) * it->amplitude;
      for (int64_t dc = -kSpikeSpread; dc <= kSpikeSpread; ++dc) {
        const int64_t ch = it->channel + dc;
        if (ch < 0 || ch >= c) continue;
        values[static_cast<size_t>((t - start) * c + ch)] +=
            shape * std::exp(-static_cast<double>(dc * dc) / 4.0);
      }
    }
  }
  Traces out = Traces::Uninitialized(options_.type, end - start, c);
  for (size_t i = 0; i < values.size(); ++i) {
    if (options_.type == SampleType::kInt16) {
      out.data<int16_t>()[i] =
          static_cast<int16_t>(std::clamp(std::nearbyint(values[i]), -32768.0, 32767.0));
    } else if (options_.type == SampleType::kFloat32) {
      out.data<float>()[i] = static_cast<float>(values[i]);
    } else {
      out.data<double>()[i] = values[i];
    }
  }
  return out;
}

}  // namespace neurofeat
