#include "client/cli/remote.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "api/dtype_convert.h"
#include "client/cli/progress.h"
#include "client/lib/request_samples.h"
#include "core/io/recording_readers.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

absl::StatusOr<std::string> ReadPem(const ParsedArgs& args, const std::string& flag) {
  auto path = args.GetOptional(flag);
  if (!path.has_value()) return std::string();
  absl::StatusOr<std::string> text = ReadSmallFile(*path, int64_t{1} << 20);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, "=", *path, ": cannot read (", text.status().message(), ")"));
  }
  return text;
}

bool ShowProgress(const ParsedArgs& args) {
  return ProgressBar::StderrIsTerminal() && !args.Has("quiet");
}

// Attaches `samples` to `rec` on `client`'s server, with a progress bar
// for an upload.
absl::Status SetRemoteSamples(const ParsedArgs& args, const RequestSamples& samples,
                              NeurofeatClient& client, v1::Recording* rec) {
  if (!samples.remote_path.empty()) rec->mutable_path()->set_nwb_series(args.Get("nwb-series"));
  ProgressBar bar("upload", ShowProgress(args) && samples.remote_path.empty());
  NF_RETURN_IF_ERROR(AttachSamples(client, samples, rec,
                                   [&](int64_t done, int64_t total) { bar.Update(done, total); }));
  bar.Finish();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RequestSamples> SamplesFromFlags(const ParsedArgs& args) {
  NF_ASSIGN_OR_RETURN(RecordingFormat format,
                      ParseRecordingFormat(args.GetOptional("format").value_or("auto")));
  RequestSamples samples;
  if (auto remote = args.GetOptional("remote-path")) {
    if (args.Has("input")) {
      return absl::InvalidArgumentError("give --input (uploaded) or --remote-path, not both");
    }
    samples.remote_path = *remote;
    samples.remote_format = api::ToProtoFormat(format);
  } else {
    NF_ASSIGN_OR_RETURN(samples.local_path, args.Required("input"));
    samples.local_format = format;
  }
  return samples;
}

std::string PlacementKey(const Replicas& replicas, const RequestSamples& samples) {
  if (!replicas.UsesKeys()) return std::string();
  if (!samples.remote_path.empty()) {
    return ServerPathKey(samples.remote_path, samples.remote_format);
  }
  absl::StatusOr<std::string> key = LocalFileKey(samples.local_path);
  return key.ok() ? *std::move(key) : std::string();
}

std::vector<FlagSpec> RemoteFlags() {
  return {{"server", true,
           "HOST:PORT of a neurofeatd (or HOST:PORT,HOST:PORT,... or dns:///NAME:PORT: "
           "replicas; a recording goes to the one its content key ranks first, a refusal to "
           "the next): run there, not in-process"},
          {"placement", true,
           "with several replicas: rendezvous (default: a recording goes where its results are "
           "cached) or round-robin (in turn)"},
          {"remote-path", true, "with --server: a file the server reads, under its data roots"},
          {"format", true,
           "the file's format when it is not detected from its name and content: npy, raw, "
           "spikeglx, openephys, edf, brainvision, eeglab, fif, nwb. Default auto"},
          {"nwb-series", true,
           "an NWB file's ElectricalSeries in /acquisition (default: the only one)"},
          {"tls-ca", true, "PEM CA of the server's certificate (enables TLS)"},
          {"tls-cert", true, "PEM client certificate (mutual TLS)"},
          {"tls-key", true, "PEM client key (mutual TLS)"},
          {"timeout", true, "deadline for the call, e.g. 10m. Default none"},
          {"retry-budget", true,
           "how long a refused call (busy, down, draining, or a restarted server that lost its "
           "upload) is retried, attempts and waits together, e.g. 30s. Default 300s"}};
}

absl::Status CheckRemoteFlags(const ParsedArgs& args) {
  if (!args.Has("server") &&
      (args.Has("remote-path") || args.Has("tls-ca") || args.Has("timeout") ||
       args.Has("retry-budget") || args.Has("placement"))) {
    return absl::InvalidArgumentError(
        "--remote-path, --tls-*, --timeout, --retry-budget and --placement need --server");
  }
  if (args.Has("server") && args.Has("threads")) {
    return absl::InvalidArgumentError("--threads: the server decides its threads; drop the flag");
  }
  if (args.Has("server") && args.Has("cache-dir")) {
    return absl::InvalidArgumentError("--cache-dir: with --server the server's cache is used");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Replicas>> ConnectFromFlags(const ParsedArgs& args) {
  ClientOptions o;
  NF_ASSIGN_OR_RETURN(o.target, args.Required("server"));
  NF_ASSIGN_OR_RETURN(o.tls_ca_pem, ReadPem(args, "tls-ca"));
  NF_ASSIGN_OR_RETURN(o.tls_cert_pem, ReadPem(args, "tls-cert"));
  NF_ASSIGN_OR_RETURN(o.tls_key_pem, ReadPem(args, "tls-key"));
  if (o.tls_cert_pem.empty() != o.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (auto t = args.GetOptional("timeout")) {
    NF_ASSIGN_OR_RETURN(double s, ParseDurationSeconds(*t, "timeout"));
    o.deadline = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  }
  if (auto b = args.GetOptional("retry-budget")) {
    NF_ASSIGN_OR_RETURN(double s, ParseDurationSeconds(*b, "retry-budget", /*allow_zero=*/true));
    o.retry.budget = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  }
  ReplicasOptions replicas;
  const std::string placement = args.GetOptional("placement").value_or("rendezvous");
  if (placement == "round-robin") {
    replicas.placement = Placement::kRoundRobin;
  } else if (placement != "rendezvous") {
    return absl::InvalidArgumentError(
        absl::StrCat("--placement=", placement, " is not rendezvous or round-robin"));
  }
  return Replicas::Connect(o, std::move(replicas));
}

absl::StatusOr<std::string> RunRemoteExtract(v1::ExtractRequest request, const ParsedArgs& args,
                                             api::ExtractTableReader* reader) {
  NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
  NF_ASSIGN_OR_RETURN(const RequestSamples samples, SamplesFromFlags(args));
  const std::string key = PlacementKey(*replicas, samples);
  // Each attempt starts afresh on its replica: the upload (uploads are
  // per server) and the rows.
  NF_RETURN_IF_ERROR(replicas->Call(key, [&](NeurofeatClient& client, CallDetails* details) {
    *reader = api::ExtractTableReader();
    NF_RETURN_IF_ERROR(SetRemoteSamples(args, samples, client, request.mutable_recording()));
    ProgressBar bar("extract", ShowProgress(args));
    NF_RETURN_IF_ERROR(client.Extract(
        request,
        [&](const v1::ExtractResponse& r) -> absl::Status {
          NF_RETURN_IF_ERROR(reader->Add(r));
          bar.Update(reader->table().rows, reader->total_windows());
          return absl::OkStatus();
        },
        details));
    bar.Finish();
    return reader->Finish();
  }));
  return reader->pipeline_digest();
}

absl::StatusOr<std::string> RunRemotePreprocess(v1::PreprocessRequest request,
                                                const ParsedArgs& args, TraceFile& out) {
  NF_ASSIGN_OR_RETURN(auto replicas, ConnectFromFlags(args));
  NF_ASSIGN_OR_RETURN(const RequestSamples samples, SamplesFromFlags(args));
  const std::string key = PlacementKey(*replicas, samples);
  std::string digest;
  int64_t total = 0, received = 0;
  // Traces go straight to the output file, so a refusal is retried on
  // another replica only before the first chunk was written.
  NF_RETURN_IF_ERROR(replicas->Call(key, [&](NeurofeatClient& client, CallDetails* details) {
    NF_RETURN_IF_ERROR(SetRemoteSamples(args, samples, client, request.mutable_recording()));
    ProgressBar bar("preprocess", ShowProgress(args));
    absl::Status s = client.Preprocess(
        request,
        [&](const v1::PreprocessResponse& r) -> absl::Status {
          const v1::TraceChunk& c = r.chunk();
          if (!out.begun()) {
            if (r.channel_names_size() == 0) {
              return absl::DataLossError("the server sent traces before their shape");
            }
            total = r.total_frames();
            digest = r.meta().pipeline_digest();
            NF_ASSIGN_OR_RETURN(SampleType type, api::ToSampleType(c.dtype(), "chunk.dtype"));
            NF_RETURN_IF_ERROR(out.Begin(total, r.channel_names_size(), type));
          }
          NF_RETURN_IF_ERROR(out.Append(c.data().data(), c.data().size(), c.num_frames()));
          received += c.num_frames();
          bar.Update(received, total);
          return absl::OkStatus();
        },
        details);
    bar.Finish();
    if (IsRefusal(s) && out.begun()) {
      return absl::AbortedError(
          absl::StrCat("the server failed after sending traces (", s.message(), "); run again"));
    }
    return s;
  }));
  NF_RETURN_IF_ERROR(out.Finish());
  return digest;
}

}  // namespace neurofeat::client
