#include "core/features/cached_block.h"

#include "core/cache/cache_key.h"

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "core/version.h"

namespace neurofeat {
namespace {

std::string Doubles(const double* v, size_t n) {
  return std::string(reinterpret_cast<const char*>(v), n * sizeof(double));
}

// Per window: |x| doubles, then |z| complex values.
std::string EncodeValues(const std::vector<NodeValue>& values) {
  std::string out;
  for (const NodeValue& v : values) {
    const uint64_t nx = v.x.size(), nz = v.z.size();
    out.append(reinterpret_cast<const char*>(&nx), 8);
    out.append(reinterpret_cast<const char*>(v.x.data()), nx * sizeof(double));
    out.append(reinterpret_cast<const char*>(&nz), 8);
    out.append(reinterpret_cast<const char*>(v.z.data()), nz * sizeof(std::complex<double>));
  }
  return out;
}

std::optional<std::vector<NodeValue>> DecodeValues(const std::string& in, size_t windows) {
  std::vector<NodeValue> values(windows);
  size_t at = 0;
  auto take = [&](void* dst, size_t bytes) {
    if (at + bytes > in.size()) return false;
    if (bytes > 0) std::memcpy(dst, in.data() + at, bytes);
    at += bytes;
    return true;
  };
  for (NodeValue& v : values) {
    uint64_t nx = 0, nz = 0;
    if (!take(&nx, 8) || nx > in.size()) return std::nullopt;
    v.x.resize(nx);
    if (!take(v.x.data(), nx * sizeof(double)) || !take(&nz, 8) || nz > in.size())
      return std::nullopt;
    v.z.resize(nz);
    if (!take(v.z.data(), nz * sizeof(std::complex<double>))) return std::nullopt;
  }
  if (at != in.size()) return std::nullopt;
  return values;
}

}  // namespace

absl::StatusOr<FeatureTable> ExtractBlockCached(
    const FeatureTree& tree, int64_t first_window, const std::vector<int64_t>& start_samples,
    const std::function<absl::StatusOr<Windows>()>& load, const CacheContext& cache) {
  const int64_t n = static_cast<int64_t>(start_samples.size());
  if (cache.cache == nullptr) {
    NF_ASSIGN_OR_RETURN(Windows w, load());
    ExtractOptions plain;
    plain.cancelled = cache.cancelled;
    NF_ASSIGN_OR_RETURN(FeatureTable t, ExtractFeatures(tree, w, plain));
    for (int64_t i = 0; i < t.rows; ++i) t.window_index[i] = first_window + i;
    return t;
  }
  const SignalInfo& info = tree.info();
  const std::string block =
      BlockKey({info.fs, &info.channels, info.highpass, info.lowpass, tree.n_times()},
               cache.recording_descriptor, first_window, n);
  const size_t cols = tree.columns().size();
  FeatureTable table;
  table.columns = tree.columns();
  table.integer_columns = tree.integer_columns();
  table.rows = n;
  table.values.assign(n * cols, 0.0);
  table.start_sample = start_samples;
  table.window_index.resize(n);
  for (int64_t i = 0; i < n; ++i) table.window_index[i] = first_window + i;

  const auto& leaves = tree.leaves();
  std::vector<bool> have(leaves.size(), false);
  bool all = true;
  for (size_t l = 0; l < leaves.size(); ++l) {
    const auto& leaf = leaves[l];
    if (!cache.refresh) {
      std::optional<std::string> v =
          cache.cache->Get(CacheLevel::kFeatures, FeatureKey(block, leaf.descriptor));
      if (v.has_value() && v->size() == static_cast<size_t>(n * leaf.columns) * sizeof(double)) {
        const double* d = reinterpret_cast<const double*>(v->data());
        for (int64_t r = 0; r < n; ++r) {
          std::memcpy(table.values.data() + r * cols + leaf.offset, d + r * leaf.columns,
                      leaf.columns * sizeof(double));
        }
        have[l] = true;
        ++table.stats.leaves_from_cache;
        continue;
      }
    }
    all = false;
  }
  if (all) return table;

  // Spectra in the cache for the nodes above a missing leaf.
  const auto& slots = tree.slots();
  std::vector<int> slot_of_node(tree.node_count(), -1);
  for (size_t s = 0; s < slots.size(); ++s) slot_of_node[slots[s].node_id] = static_cast<int>(s);
  std::vector<bool> slot_wanted(slots.size(), false);
  for (size_t l = 0; l < leaves.size(); ++l) {
    if (have[l]) continue;
    for (int id : leaves[l].ancestors) {
      if (slot_of_node[id] >= 0) slot_wanted[slot_of_node[id]] = true;
    }
  }
  std::vector<std::optional<std::vector<NodeValue>>> cached(slots.size());
  std::vector<std::vector<NodeValue>> recorded(slots.size());
  BlockPlan plan;
  plan.cached.assign(slots.size(), nullptr);
  plan.record.assign(slots.size(), nullptr);
  for (size_t s = 0; s < slots.size(); ++s) {
    if (!slot_wanted[s] || cache.refresh) continue;
    if (std::optional<std::string> v = cache.cache->Get(
            CacheLevel::kSpectra, SpectraKey(block, slots[s].descriptor))) {
      cached[s] = DecodeValues(*v, static_cast<size_t>(n));
      if (cached[s].has_value()) {
        plan.cached[s] = &*cached[s];
        ++table.stats.spectra_from_cache;
      }
    }
  }
  // Visit every node on the path to a missing leaf; compute only below the
  // deepest cached spectrum on it. Without one, the windows are needed.
  plan.node_needed.assign(tree.node_count(), false);
  plan.node_compute.assign(tree.node_count(), false);
  bool need_windows = false;
  for (size_t l = 0; l < leaves.size(); ++l) {
    if (have[l]) continue;
    const std::vector<int>& path = leaves[l].ancestors;  // root first, the leaf last
    int deepest_cached = -1;
    for (size_t i = 0; i < path.size(); ++i) {
      const int slot = slot_of_node[path[i]];
      if (slot >= 0 && plan.cached[slot] != nullptr) deepest_cached = static_cast<int>(i);
    }
    if (deepest_cached < 0) need_windows = true;
    for (size_t i = 0; i < path.size(); ++i) {
      plan.node_needed[path[i]] = true;
      if (static_cast<int>(i) > deepest_cached) plan.node_compute[path[i]] = true;
    }
  }
  for (size_t s = 0; s < slots.size(); ++s) {
    if (plan.cached[s] == nullptr && plan.node_compute[slots[s].node_id]) {
      recorded[s].resize(n);
      plan.record[s] = &recorded[s];
    }
  }
  Windows windows;
  if (need_windows) {
    NF_ASSIGN_OR_RETURN(windows, load());
  } else {
    // Every missing leaf reads a cached spectrum: the samples are not needed.
    windows.n_windows = n;
    windows.channels = static_cast<int64_t>(info.channels.size());
    windows.n_times = tree.n_times();
    windows.data.assign(n * windows.channels * windows.n_times, 0.0f);
    windows.start_sample = start_samples;
  }
  ExtractOptions options;
  options.plan = &plan;
  options.cancelled = cache.cancelled;
  NF_ASSIGN_OR_RETURN(FeatureTable computed, ExtractFeatures(tree, windows, options));
  table.stats.Add(computed.stats);
  for (size_t l = 0; l < leaves.size(); ++l) {
    if (have[l]) continue;
    const auto& leaf = leaves[l];
    std::string payload;
    payload.reserve(n * leaf.columns * sizeof(double));
    for (int64_t r = 0; r < n; ++r) {
      const double* row = computed.values.data() + r * cols + leaf.offset;
      std::memcpy(table.values.data() + r * cols + leaf.offset, row, leaf.columns * sizeof(double));
      payload += Doubles(row, leaf.columns);
    }
    cache.cache->Put(CacheLevel::kFeatures, FeatureKey(block, leaf.descriptor),
                     payload);
  }
  for (size_t s = 0; s < slots.size(); ++s) {
    if (plan.record[s] == nullptr) continue;
    cache.cache->Put(CacheLevel::kSpectra, SpectraKey(block, slots[s].descriptor),
                     EncodeValues(recorded[s]));
  }
  return table;
}

}  // namespace neurofeat
