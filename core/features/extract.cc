#include "core/features/extract.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/dsp/fft.h"
#include "core/features/table_csv.h"
#include "core/io/npy.h"
#include "core/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {

absl::StatusOr<FeatureTable> ExtractFeatures(const FeatureTree& tree, const Windows& windows,
                                             const ExtractOptions& options) {
  const int64_t channels = static_cast<int64_t>(tree.info().channels.size());
  if (windows.channels != channels) {
    return absl::InvalidArgumentError(absl::StrCat("the windows have ", windows.channels,
                                                   " channels but ", channels,
                                                   " channel names were given"));
  }
  if (windows.n_times != tree.n_times()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the windows have ", windows.n_times, " samples, the tree was built for ", tree.n_times()));
  }
  FeatureTable table;
  table.columns = tree.columns();
  table.integer_columns = tree.integer_columns();
  table.rows = windows.n_windows;
  table.values.resize(table.rows * table.columns.size());
  table.start_sample = windows.start_sample;
  table.window_index.resize(table.rows);
  for (int64_t i = 0; i < table.rows; ++i) table.window_index[i] = i;

  table.stats.windows_computed = table.rows;
  FftPlans plans;
  std::atomic<bool> stopped{false};
  std::atomic<int64_t> done{0};
  std::mutex progress_mu;
  const size_t cols = table.columns.size();
  // Each window is independent; small grains keep both cores busy on short
  // recordings, and work stealing balances windows of uneven cost.
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, table.rows, 4), [&](const tbb::blocked_range<int64_t>& r) {
        EvalContext ctx{&plans, {}};
        for (int64_t w = r.begin(); w < r.end(); ++w) {
          if (options.cancelled && options.cancelled()) {
            stopped = true;
            break;
          }
          tree.Evaluate(windows.window(w), ctx, table.values.data() + w * cols, options.plan, w);
        }
        {
          std::lock_guard<std::mutex> lock(progress_mu);
          table.stats.Add(ctx.stats);
        }
        const int64_t now = done.fetch_add(r.size()) + r.size();
        if (options.progress) {
          std::lock_guard<std::mutex> lock(progress_mu);
          options.progress(now, table.rows);
        }
      });
  if (stopped) return absl::CancelledError("cancelled while extracting features");
  return table;
}

void AppendRows(const FeatureTable& block, FeatureTable* table) {
  if (table->columns.empty()) {
    table->columns = block.columns;
    table->integer_columns = block.integer_columns;
  }
  table->rows += block.rows;
  table->values.insert(table->values.end(), block.values.begin(), block.values.end());
  table->window_index.insert(table->window_index.end(), block.window_index.begin(),
                             block.window_index.end());
  table->start_sample.insert(table->start_sample.end(), block.start_sample.begin(),
                             block.start_sample.end());
  table->stats.Add(block.stats);
}

absl::Status WriteFeatureCsv(const std::string& path, const FeatureTable& table,
                             bool include_metadata, const std::string& recording) {
  std::vector<std::string> leading;
  if (include_metadata) leading = {"recording", "window", "start_sample"};
  NF_ASSIGN_OR_RETURN(auto writer, FeatureCsvWriter::Create(path, table.columns, leading, {}));
  NF_RETURN_IF_ERROR(writer->Append(table, {recording}, {}));
  return writer->Finish();
}

absl::Status WriteFeatureNpy(const std::string& path, const FeatureTable& table) {
  const int64_t cols = static_cast<int64_t>(table.columns.size());
  const std::string partial = path + ".partial";
  NF_ASSIGN_OR_RETURN(auto writer,
                      NpyWriter::Create(partial, NpyDtype::kFloat64, {table.rows, cols}));
  NF_RETURN_IF_ERROR(
      writer->AppendBytes(table.values.data(), table.values.size() * sizeof(double)));
  NF_RETURN_IF_ERROR(writer->Finish());
  std::ofstream names(path + ".columns.txt");
  for (const auto& c : table.columns) names << c << "\n";
  if (!names) return absl::DataLossError(absl::StrCat("cannot write ", path, ".columns.txt"));
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
