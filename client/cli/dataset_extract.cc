#include "client/cli/dataset_extract.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/dtype_convert.h"
#include "api/response_convert.h"
#include "client/cli/dataset_plan.h"
#include "client/cli/embedded.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "client/lib/request_samples.h"
#include "core/features/table_csv.h"
#include "core/io/recording_readers.h"
#include "core/mutex.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

using RunOne = std::function<absl::StatusOr<FeatureTable>(const DatasetEntry&)>;

absl::Status CheckDatasetFlags(const ParsedArgs& args) {
  const char* dataset = args.Has("bids") ? "--bids" : "--manifest";
  for (const char* flag : {"input", "remote-path", "recording", "include-metadata"}) {
    if (args.Has(flag)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, " does not go with ", dataset,
          ": the dataset names the recordings, and the table always has the recording, window "
          "and start_sample columns"));
    }
  }
  if (!absl::EndsWith(args.Get("output"), ".csv")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--output=", args.Get("output"), ": with ", dataset,
                     " the table is CSV (the description columns are text)"));
  }
  const std::string on_error = args.GetOptional("on-error").value_or("fail");
  if (on_error != "fail" && on_error != "skip") {
    return absl::InvalidArgumentError(
        absl::StrCat("--on-error=", on_error, " is not fail or skip"));
  }
  return absl::OkStatus();
}

absl::Status CheckAllWindows(const FeatureTable& table, int64_t announced) {
  if (table.rows != announced) {
    return absl::DataLossError(absl::StrCat(table.rows, " of the ", announced, " windows arrived"));
  }
  return absl::OkStatus();
}

RunOne EmbeddedRunner(EmbeddedEngine* engine) {
  return [engine](const DatasetEntry& e) -> absl::StatusOr<FeatureTable> {
    FeatureTable table;
    int64_t announced = 0;
    NF_RETURN_IF_ERROR(engine
                           ->Extract(e.request,
                                     [&](const FeatureTable& block, int64_t total) {
                                       announced = total;
                                       AppendRows(block, &table);
                                       return absl::OkStatus();
                                     })
                           .status());
    NF_RETURN_IF_ERROR(CheckAllWindows(table, announced));
    return table;
  };
}

// One recording on the replicas: its upload (if any) and its extract go
// to the replica its key ranks first; a refusal, even after some rows,
// starts the recording again on the next (the partial rows are dropped),
// within the retry budget (client/lib/retry_policy.h; --retry-budget).
RunOne RemoteRunner(Replicas* replicas) {
  return [replicas](const DatasetEntry& e) -> absl::StatusOr<FeatureTable> {
    FeatureTable table;
    v1::ExtractRequest request = e.request;
    // The replica that holds its results, if any (client/lib/replicas.h).
    RequestSamples placed;
    placed.local_path = e.upload_path;
    if (e.upload_path.empty()) {
      placed.remote_path = e.request.recording().path().path();
      placed.remote_format = e.request.recording().path().format();
    }
    NF_RETURN_IF_ERROR(replicas->Call(
        PlacementKey(*replicas, placed),
        [&](NeurofeatClient& client, CallDetails* details) -> absl::Status {
          if (!e.upload_path.empty()) {
            request = e.request;  // an earlier attempt's upload is another server's
            RequestSamples samples;
            samples.local_path = e.upload_path;
            NF_RETURN_IF_ERROR(
                AttachSamples(client, samples, request.mutable_recording(), nullptr));
          }
          api::ExtractTableReader reader;
          NF_RETURN_IF_ERROR(client.Extract(
              request, [&](const v1::ExtractResponse& m) { return reader.Add(m); }, details));
          NF_RETURN_IF_ERROR(reader.Finish());
          table = std::move(reader.mutable_table());
          return absl::OkStatus();
        }));
    return table;
  };
}

// Results handed from the workers to the writer in manifest order; a
// worker waits while it is more than `lookahead` recordings ahead of the
// writer, so memory holds at most that many tables.
class OrderedResults {
 public:
  OrderedResults(size_t count, size_t lookahead) : slots_(count), lookahead_(lookahead) {}

  // Next index to compute, or nullopt when all are taken.
  std::optional<size_t> Take() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    while (next_take_ < slots_.size() && next_take_ >= next_write_ + lookahead_) cv_.Wait(&mu_);
    if (next_take_ >= slots_.size()) return std::nullopt;
    return next_take_++;
  }
  void Put(size_t i, absl::StatusOr<FeatureTable> result) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    slots_[i] = std::move(result);
    cv_.SignalAll();
  }
  // The writer's next result, in order; frees the slot.
  absl::StatusOr<FeatureTable> Next() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    while (!slots_[next_write_].has_value()) cv_.Wait(&mu_);
    absl::StatusOr<FeatureTable> r = std::move(*slots_[next_write_]);
    slots_[next_write_].reset();
    ++next_write_;
    cv_.SignalAll();
    return r;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::vector<std::optional<absl::StatusOr<FeatureTable>>> slots_ ABSL_GUARDED_BY(mu_);
  size_t next_take_ ABSL_GUARDED_BY(mu_) = 0;
  size_t next_write_ ABSL_GUARDED_BY(mu_) = 0;
  const size_t lookahead_;
};

// Rows [begin, end) of a table (for per-window targets, written in runs).
FeatureTable Rows(const FeatureTable& t, int64_t begin, int64_t end) {
  FeatureTable out;
  out.columns = t.columns;
  out.integer_columns = t.integer_columns;
  const int64_t width = static_cast<int64_t>(t.columns.size());
  out.rows = end - begin;
  out.values.assign(t.values.begin() + begin * width, t.values.begin() + end * width);
  out.window_index.assign(t.window_index.begin() + begin, t.window_index.begin() + end);
  out.start_sample.assign(t.start_sample.begin() + begin, t.start_sample.begin() + end);
  return out;
}

// Writes the rows of each recording in order and collects the failures;
// with `skip`, failed recordings are left out and listed in OUT.skipped.tsv.
class DatasetTableWriter {
 public:
  DatasetTableWriter(const DatasetPlan& plan, std::string output, bool skip)
      : plan_(plan), output_(std::move(output)), skip_(skip) {
    for (const std::string& key : plan.description_keys) {
      (key == "target" ? trailing_ : leading_).push_back(key);
    }
    if (plan.window_targets) trailing_ = {"target"};
  }

  void Add(size_t i, absl::StatusOr<FeatureTable> result) {
    const DatasetEntry& e = plan_.entries[i];
    if (!write_status_.ok()) return;
    if (result.ok() && (failures_.empty() || skip_)) {
      if (writer_ == nullptr) {
        result = Open(*std::move(result), e);
      } else if (columns_ != result->columns) {
        result = ColumnsDiffer(result->columns);
      }
    }
    if (result.ok() && !e.targets.empty() &&
        static_cast<int64_t>(e.targets.size()) != result->rows) {
      result = absl::InternalError(
          absl::StrCat(e.targets.size(), " targets for ", result->rows, " windows"));
    }
    if (!result.ok()) {
      failures_.push_back({e, ForFlags(result.status())});
      if (!skip_) writer_.reset();  // removes OUT.partial: no partial table
      return;
    }
    if (!failures_.empty() && !skip_) return;
    write_status_ = Write(e, *result);
    if (!write_status_.ok()) writer_.reset();
    windows_ += result->rows;
    ++written_;
  }

  absl::Status Finish() {
    if (!failures_.empty() && !skip_) {
      return absl::AbortedError(absl::StrCat(failures_.size(), " of ", plan_.entries.size(),
                                             " recordings failed, so no table was written; "
                                             "missing:\n  ",
                                             FailureList("\n  ")));
    }
    NF_RETURN_IF_ERROR(write_status_);
    if (writer_ == nullptr) {
      return absl::AbortedError(
          absl::StrCat("every recording failed; no table was written:\n  ", FailureList("\n  ")));
    }
    NF_RETURN_IF_ERROR(writer_->Finish());
    if (skip_) NF_RETURN_IF_ERROR(WriteSkipped());
    return absl::OkStatus();
  }
  int64_t windows() const { return windows_; }
  int64_t columns() const { return static_cast<int64_t>(columns_.size()); }
  int64_t written() const { return written_; }
  int64_t skipped() const { return static_cast<int64_t>(failures_.size()); }
  std::string skipped_file() const { return output_ + ".skipped.tsv"; }

 private:
  struct Failure {
    const DatasetEntry& entry;
    absl::Status status;
  };

  std::string FailureList(const char* separator) const {
    std::vector<std::string> lines;
    for (const Failure& f : failures_) {
      lines.push_back(absl::StrCat(f.entry.label, f.entry.label == f.entry.name ? "" : " (",
                                   f.entry.label == f.entry.name ? "" : f.entry.name,
                                   f.entry.label == f.entry.name ? "" : ")", ": ",
                                   f.status.message()));
    }
    return absl::StrJoin(lines, separator);
  }

  // A table has one set of columns: say which differ and how to align them.
  absl::Status ColumnsDiffer(const std::vector<std::string>& mine) const {
    std::vector<std::string> missing, extra;
    for (const std::string& c : columns_) {
      if (std::find(mine.begin(), mine.end(), c) == mine.end()) missing.push_back(c);
    }
    for (const std::string& c : mine) {
      if (std::find(columns_.begin(), columns_.end(), c) == columns_.end()) extra.push_back(c);
    }
    auto few = [](const std::vector<std::string>& v) {
      return v.size() <= 4 ? absl::StrJoin(v, ",")
                           : absl::StrCat(absl::StrJoin(v.begin(), v.begin() + 4, ","), ",... (",
                                          v.size(), ")");
    };
    return absl::FailedPreconditionError(absl::StrCat(
        "its feature columns differ from ", first_label_, "'s (without ", few(missing),
        missing.empty() ? "nothing" : "", "; with ", few(extra), extra.empty() ? "nothing" : "",
        "): other channels; one table needs one set of columns (a pick_channels_preprocessor "
        "group, or for BIDS --keep-bad-channels, gives every recording the same)"));
  }

  absl::Status WriteSkipped() const {
    std::string text = "recording\treason\n";
    for (const Failure& f : failures_) {
      std::string reason(f.status.message());
      for (char& c : reason) c = (c == '\t' || c == '\n') ? ' ' : c;
      absl::StrAppend(&text, f.entry.name, "\t", reason, "\n");
    }
    std::FILE* file = std::fopen(skipped_file().c_str(), "w");
    if (file == nullptr) {
      return absl::InternalError(absl::StrCat("cannot write ", skipped_file()));
    }
    const bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    if (std::fclose(file) != 0 || !ok) {
      return absl::InternalError(absl::StrCat("cannot write ", skipped_file()));
    }
    return absl::OkStatus();
  }

  absl::Status Write(const DatasetEntry& e, const FeatureTable& table) {
    std::vector<std::string> leading = {e.name}, trailing;
    for (size_t k = 0; k < e.description.size(); ++k) {
      const std::string& key = plan_.description_keys[k];
      if (key == "target" && plan_.window_targets) continue;
      (key == "target" ? trailing : leading).push_back(e.description[k]);
    }
    if (!plan_.window_targets) return writer_->Append(table, leading, trailing);
    // One target per window: rows written in runs of equal targets.
    int64_t begin = 0;
    while (begin < table.rows) {
      int64_t end = begin + 1;
      while (end < table.rows && e.targets[end] == e.targets[begin]) ++end;
      NF_RETURN_IF_ERROR(writer_->Append(Rows(table, begin, end), leading, {e.targets[begin]}));
      begin = end;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<FeatureTable> Open(FeatureTable table, const DatasetEntry& e) {
    std::vector<std::string> leading = {"recording", "window", "start_sample"};
    leading.insert(leading.end(), leading_.begin(), leading_.end());
    NF_ASSIGN_OR_RETURN(writer_,
                        FeatureCsvWriter::Create(output_, table.columns, leading, trailing_));
    columns_ = table.columns;
    first_label_ = e.label;
    return table;
  }

  const DatasetPlan& plan_;
  const std::string output_;
  const bool skip_;
  std::vector<std::string> leading_, trailing_;  // description keys
  std::unique_ptr<FeatureCsvWriter> writer_;
  std::vector<std::string> columns_;
  std::string first_label_;
  std::vector<Failure> failures_;
  absl::Status write_status_;
  int64_t windows_ = 0;
  int64_t written_ = 0;
};

// How many recordings the replicas can take at once: their threads (those
// that answer now; the others may come back).
absl::StatusOr<int> RemoteWorkers(Replicas& replicas) {
  int workers = 0;
  absl::Status unreachable;
  for (size_t i = 0; i < replicas.size(); ++i) {
    absl::StatusOr<v1::ServerInfo> info = replicas.client(i).Info();
    if (info.ok()) {
      workers += std::max(1, info->threads());
    } else {
      unreachable = info.status();
    }
  }
  if (workers == 0) return unreachable;
  return workers;
}

}  // namespace

absl::StatusOr<DatasetSummary> RunDatasetExtract(const ParsedArgs& args) {
  NF_RETURN_IF_ERROR(CheckRemoteFlags(args));
  NF_RETURN_IF_ERROR(args.Required("output").status());
  NF_RETURN_IF_ERROR(CheckDatasetFlags(args));
  const bool remote = args.Has("server");
  NF_ASSIGN_OR_RETURN(const v1::ExtractRequest base, ExtractRequestFromFlags(args));
  const auto t0 = std::chrono::steady_clock::now();

  std::unique_ptr<EmbeddedEngine> engine;
  std::unique_ptr<Replicas> replicas;
  RunOne run_one;
  DatasetSummary summary;
  if (remote) {
    NF_ASSIGN_OR_RETURN(replicas, ConnectFromFlags(args));
    NF_ASSIGN_OR_RETURN(summary.workers, RemoteWorkers(*replicas));
    run_one = RemoteRunner(replicas.get());
  } else {
    NF_ASSIGN_OR_RETURN(engine, EmbeddedEngine::Create(args, !args.Has("no-cache")));
    summary.workers = engine->threads();
    run_one = EmbeddedRunner(engine.get());
  }
  absl::StatusOr<DatasetPlan> planned = absl::UnknownError("not planned");
  if (engine != nullptr) {
    // Planning opens every header: on the arena, in parallel.
    engine->InArena([&] { planned = PlanFromFlags(args, base, nullptr); });
  } else {
    planned = PlanFromFlags(args, base, replicas.get());
  }
  NF_RETURN_IF_ERROR(planned.status());
  const DatasetPlan& plan = *planned;
  const size_t count = plan.entries.size();
  summary.workers = static_cast<int>(std::min<size_t>(summary.workers, std::max<size_t>(count, 1)));

  OrderedResults results(count, 2 * static_cast<size_t>(summary.workers));
  std::vector<std::thread> workers;
  for (int w = 0; w < summary.workers; ++w) {
    workers.emplace_back([&] {
      while (std::optional<size_t> i = results.Take()) {
        const DatasetEntry& e = plan.entries[*i];
        results.Put(*i, e.status.ok() ? run_one(e) : absl::StatusOr<FeatureTable>(e.status));
      }
    });
  }
  DatasetTableWriter writer(plan, args.Get("output"),
                            args.GetOptional("on-error").value_or("fail") == "skip");
  ProgressBar bar("recordings", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
  for (size_t i = 0; i < count; ++i) {
    writer.Add(i, results.Next());
    bar.Update(static_cast<int64_t>(i + 1), static_cast<int64_t>(count));
  }
  for (std::thread& t : workers) t.join();
  bar.Finish();
  NF_RETURN_IF_ERROR(writer.Finish());
  summary.recordings = writer.written();
  summary.skipped = writer.skipped();
  if (summary.skipped > 0) summary.skipped_file = writer.skipped_file();
  summary.windows = writer.windows();
  summary.columns = writer.columns();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace neurofeat::client
