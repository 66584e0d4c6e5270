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
#include "client/cli/embedded.h"
#include "client/cli/manifest.h"
#include "client/cli/progress.h"
#include "client/cli/remote.h"
#include "client/cli/request_flags.h"
#include "core/features/table_csv.h"
#include "core/io/recording_readers.h"
#include "core/mutex.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

using RunOne =
    std::function<absl::StatusOr<FeatureTable>(const ManifestEntry&, v1::ExtractRequest)>;

// How long one recording may keep being refused (RESOURCE_EXHAUSTED,
// UNAVAILABLE) before it counts as failed.
constexpr std::chrono::seconds kRetryBudget{300};

absl::Status CheckManifestFlags(const ParsedArgs& args) {
  for (const char* flag : {"input", "remote-path", "recording", "include-metadata"}) {
    if (args.Has(flag)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag,
                       " does not go with --manifest: the manifest names the recordings, and "
                       "the table always has the recording, window and start_sample columns"));
    }
  }
  if (!absl::EndsWith(args.Get("output"), ".csv")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--output=", args.Get("output"),
                     ": with --manifest the table is CSV (the description columns are text)"));
  }
  return absl::OkStatus();
}

// The base request (pipeline, chunking, cache policy and the flags' metadata
// as defaults) with the entry's recording and its own metadata.
v1::ExtractRequest EntryRequest(const v1::ExtractRequest& base, const ManifestEntry& e) {
  v1::ExtractRequest request = base;
  v1::Recording* r = request.mutable_recording();
  if (e.fs.has_value()) r->set_sampling_rate_hz(*e.fs);
  if (e.highpass.has_value()) r->set_highpass_hz(*e.highpass);
  if (e.lowpass.has_value()) r->set_lowpass_hz(*e.lowpass);
  if (!e.channels.empty()) {
    r->clear_channel_names();
    for (const std::string& c : e.channels) r->add_channel_names(c);
  }
  r->mutable_path()->set_path(e.path);
  r->mutable_path()->set_format(v1::NPY);
  return request;
}

absl::Status CheckAllWindows(const FeatureTable& table, int64_t announced) {
  if (table.rows != announced) {
    return absl::DataLossError(absl::StrCat(table.rows, " of the ", announced, " windows arrived"));
  }
  return absl::OkStatus();
}

RunOne EmbeddedRunner(EmbeddedEngine* engine) {
  return
      [engine](const ManifestEntry&, v1::ExtractRequest request) -> absl::StatusOr<FeatureTable> {
        FeatureTable table;
        int64_t announced = 0;
        NF_RETURN_IF_ERROR(engine
                               ->Extract(request,
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
// to one replica; a refusal, even after some rows, starts the recording
// again on the next (the partial rows are dropped), within kRetryBudget.
absl::StatusOr<RunOne> RemoteRunner(Replicas* replicas, const Manifest& manifest,
                                    const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(RecordingFormat format,
                      ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
  const auto proto_format = api::ToProtoFormat(format);
  const bool uploads = !manifest.remote;
  return [replicas, uploads, proto_format](
             const ManifestEntry& e, v1::ExtractRequest request) -> absl::StatusOr<FeatureTable> {
    FeatureTable table;
    NF_RETURN_IF_ERROR(replicas->Call(
        [&](NeurofeatClient& client, CallDetails* details) -> absl::Status {
          v1::Recording* r = request.mutable_recording();
          if (uploads) {
            NF_ASSIGN_OR_RETURN(std::string id,
                                client.UploadNpy(e.path, int64_t{1} << 20, nullptr));
            r->clear_path();
            r->set_upload_id(id);
          } else {
            r->mutable_path()->set_format(proto_format);
          }
          api::ExtractTableReader reader;
          NF_RETURN_IF_ERROR(client.Extract(
              request, [&](const v1::ExtractResponse& m) { return reader.Add(m); }, details));
          NF_RETURN_IF_ERROR(reader.Finish());
          table = std::move(reader.mutable_table());
          return absl::OkStatus();
        },
        kRetryBudget));
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

// Writes the rows of each recording in order and collects the failures.
class DatasetTableWriter {
 public:
  DatasetTableWriter(const Manifest& manifest, std::string output)
      : manifest_(manifest), output_(std::move(output)) {
    for (const std::string& key : manifest.description_keys) {
      (key == "target" ? trailing_ : leading_).push_back(key);
    }
  }

  void Add(size_t i, absl::StatusOr<FeatureTable> result) {
    const ManifestEntry& e = manifest_.entries[i];
    if (!write_status_.ok()) return;
    if (result.ok() && failures_.empty()) {
      if (writer_ == nullptr) {
        result = Open(*std::move(result), e);
      } else if (columns_ != result->columns) {
        result = absl::FailedPreconditionError(
            absl::StrCat("its feature columns differ from line ", first_line_,
                         "'s (other channel names?); one table needs one set of columns"));
      }
    }
    if (!result.ok()) {
      failures_.push_back(
          absl::StrCat("line ", e.line, " (", e.name, "): ", ForFlags(result.status()).message()));
      writer_.reset();  // removes OUT.partial: no partial table
      return;
    }
    if (!failures_.empty()) return;
    std::vector<std::string> leading = {e.name}, trailing;
    for (size_t k = 0; k < e.description.size(); ++k) {
      (manifest_.description_keys[k] == "target" ? trailing : leading).push_back(e.description[k]);
    }
    write_status_ = writer_->Append(*result, leading, trailing);
    if (!write_status_.ok()) writer_.reset();
    windows_ += result->rows;
  }

  absl::Status Finish() {
    if (!failures_.empty()) {
      return absl::AbortedError(
          absl::StrCat(failures_.size(), " of ", manifest_.entries.size(),
                       " recordings failed, so no table was written; missing:\n  ",
                       absl::StrJoin(failures_, "\n  ")));
    }
    NF_RETURN_IF_ERROR(write_status_);
    return writer_->Finish();
  }
  int64_t windows() const { return windows_; }
  int64_t columns() const { return static_cast<int64_t>(columns_.size()); }

 private:
  absl::StatusOr<FeatureTable> Open(FeatureTable table, const ManifestEntry& e) {
    std::vector<std::string> leading = {"recording", "window", "start_sample"};
    leading.insert(leading.end(), leading_.begin(), leading_.end());
    NF_ASSIGN_OR_RETURN(writer_,
                        FeatureCsvWriter::Create(output_, table.columns, leading, trailing_));
    columns_ = table.columns;
    first_line_ = e.line;
    return table;
  }

  const Manifest& manifest_;
  const std::string output_;
  std::vector<std::string> leading_, trailing_;  // description keys
  std::unique_ptr<FeatureCsvWriter> writer_;
  std::vector<std::string> columns_;
  int first_line_ = 0;
  std::vector<std::string> failures_;
  absl::Status write_status_;
  int64_t windows_ = 0;
};

}  // namespace

absl::StatusOr<DatasetSummary> RunManifestExtract(const ParsedArgs& args) {
  NF_RETURN_IF_ERROR(CheckRemoteFlags(args));
  NF_RETURN_IF_ERROR(args.Required("output").status());
  NF_RETURN_IF_ERROR(CheckManifestFlags(args));
  NF_ASSIGN_OR_RETURN(const Manifest manifest, ReadManifest(args.Get("manifest")));
  const bool remote = args.Has("server");
  if (manifest.remote && !remote) {
    return absl::InvalidArgumentError(
        absl::StrCat(args.Get("manifest"), ": a remote_path column needs --server"));
  }
  NF_ASSIGN_OR_RETURN(const v1::ExtractRequest base, ExtractRequestFromFlags(args));
  const auto t0 = std::chrono::steady_clock::now();

  std::unique_ptr<EmbeddedEngine> engine;
  std::unique_ptr<Replicas> replicas;
  RunOne run_one;
  DatasetSummary summary;
  if (remote) {
    NF_ASSIGN_OR_RETURN(replicas, ConnectFromFlags(args));
    // As many recordings in flight as the replicas have threads (those that
    // answer now; the others may come back).
    summary.workers = 0;
    absl::Status unreachable;
    for (size_t i = 0; i < replicas->size(); ++i) {
      absl::StatusOr<v1::ServerInfo> info = replicas->client(i).Info();
      if (info.ok()) {
        summary.workers += std::max(1, info->threads());
      } else {
        unreachable = info.status();
      }
    }
    if (summary.workers == 0) return unreachable;
    NF_ASSIGN_OR_RETURN(run_one, RemoteRunner(replicas.get(), manifest, args));
  } else {
    NF_ASSIGN_OR_RETURN(engine, EmbeddedEngine::Create(args, !args.Has("no-cache")));
    summary.workers = engine->threads();
    run_one = EmbeddedRunner(engine.get());
  }
  const size_t count = manifest.entries.size();
  summary.workers = static_cast<int>(std::min<size_t>(summary.workers, count));

  OrderedResults results(count, 2 * static_cast<size_t>(summary.workers));
  std::vector<std::thread> workers;
  for (int w = 0; w < summary.workers; ++w) {
    workers.emplace_back([&] {
      while (std::optional<size_t> i = results.Take()) {
        const ManifestEntry& e = manifest.entries[*i];
        results.Put(*i, run_one(e, EntryRequest(base, e)));
      }
    });
  }
  DatasetTableWriter writer(manifest, args.Get("output"));
  ProgressBar bar("recordings", ProgressBar::StderrIsTerminal() && !args.Has("quiet"));
  for (size_t i = 0; i < count; ++i) {
    writer.Add(i, results.Next());
    bar.Update(static_cast<int64_t>(i + 1), static_cast<int64_t>(count));
  }
  for (std::thread& t : workers) t.join();
  bar.Finish();
  NF_RETURN_IF_ERROR(writer.Finish());
  summary.recordings = static_cast<int64_t>(count);
  summary.windows = writer.windows();
  summary.columns = writer.columns();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace neurofeat::client
