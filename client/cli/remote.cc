#include "client/cli/remote.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/progress.h"
#include "core/features/extract.h"
#include "core/io/npy.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

absl::StatusOr<std::string> ReadPem(const ParsedArgs& args, const std::string& flag) {
  auto path = args.GetOptional(flag);
  if (!path.has_value()) return std::string();
  std::ifstream in(*path);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, "=", *path, ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<v1::FileFormat> FormatFlag(const ParsedArgs& args) {
  const std::string f = args.GetOptional("format").value_or("auto");
  if (f == "auto") return v1::FILE_FORMAT_AUTO;
  if (f == "npy") return v1::NPY;
  if (f == "raw") return v1::RAW;
  if (f == "spikeglx") return v1::SPIKEGLX;
  if (f == "openephys") return v1::OPENEPHYS;
  if (f == "edf" || f == "bdf") return v1::EDF;
  return absl::InvalidArgumentError(
      absl::StrCat("--format=", f, " is not one of auto, npy, raw, spikeglx, openephys, edf"));
}

bool ShowProgress(const ParsedArgs& args) {
  return ProgressBar::StderrIsTerminal() && !args.Has("quiet");
}

}  // namespace

std::vector<FlagSpec> RemoteFlags() {
  return {{"server", true, "HOST:PORT of a neurofeatd: run there instead of in-process"},
          {"remote-path", true, "with --server: a file the server reads, under its data roots"},
          {"format", true, "with --remote-path: auto|npy|raw|spikeglx|openephys|edf. Default auto"},
          {"tls-ca", true, "PEM CA of the server's certificate (enables TLS)"},
          {"tls-cert", true, "PEM client certificate (mutual TLS)"},
          {"tls-key", true, "PEM client key (mutual TLS)"},
          {"timeout", true, "deadline for the call, e.g. 10m. Default none"}};
}

absl::StatusOr<std::unique_ptr<NeurofeatClient>> ConnectFromFlags(const ParsedArgs& args) {
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
  return NeurofeatClient::Connect(o);
}

absl::StatusOr<v1::Recording> RemoteRecording(const ParsedArgs& args, NeurofeatClient& client,
                                              bool show_progress) {
  v1::Recording rec;
  if (auto remote = args.GetOptional("remote-path")) {
    if (args.Has("input")) {
      return absl::InvalidArgumentError("give --input (uploaded) or --remote-path, not both");
    }
    rec.mutable_path()->set_path(*remote);
    NF_ASSIGN_OR_RETURN(v1::FileFormat format, FormatFlag(args));
    rec.mutable_path()->set_format(format);
    return rec;
  }
  NF_ASSIGN_OR_RETURN(std::string input, args.Required("input"));
  ProgressBar bar("upload", show_progress);
  NF_ASSIGN_OR_RETURN(std::string id,
                      client.UploadNpy(input, int64_t{1} << 20, [&](int64_t done, int64_t total) {
                        bar.Update(done, total);
                      }));
  bar.Finish();
  rec.set_upload_id(id);
  return rec;
}

absl::StatusOr<RemoteResult> RunRemoteExtract(const ParsedArgs& args, const v1::Pipeline& pipeline,
                                              std::optional<double> fs, int64_t chunk_frames) {
  NF_ASSIGN_OR_RETURN(std::string output, args.Required("output"));
  NF_ASSIGN_OR_RETURN(auto client, ConnectFromFlags(args));
  v1::ExtractRequest request;
  NF_ASSIGN_OR_RETURN(*request.mutable_recording(),
                      RemoteRecording(args, *client, ShowProgress(args)));
  v1::Recording& rec = *request.mutable_recording();
  if (fs.has_value()) rec.set_sampling_rate_hz(*fs);
  if (auto ch = args.GetOptional("channels")) {
    for (const auto& name : absl::StrSplit(*ch, ',')) rec.add_channel_names(std::string(name));
  }
  NF_ASSIGN_OR_RETURN(std::optional<double> hp, args.GetDouble("highpass"));
  NF_ASSIGN_OR_RETURN(std::optional<double> lp, args.GetDouble("lowpass"));
  if (hp.has_value()) rec.set_highpass_hz(*hp);
  if (lp.has_value()) rec.set_lowpass_hz(*lp);
  *request.mutable_pipeline() = pipeline;
  request.set_chunk_frames(chunk_frames);
  if (args.Has("cache-dir")) {
    return absl::InvalidArgumentError("--cache-dir: with --server the server's cache is used");
  }
  if (args.Has("no-cache")) request.set_cache_policy(v1::CACHE_BYPASS);
  if (args.Has("refresh-cache")) request.set_cache_policy(v1::CACHE_REFRESH);
  FeatureTable table;
  std::string digest;
  int64_t total = 0;
  ProgressBar bar("extract", ShowProgress(args));
  NF_RETURN_IF_ERROR(client->Extract(request, [&](const v1::ExtractResponse& r) -> absl::Status {
    if (r.columns_size() > 0) {
      table.columns.assign(r.columns().begin(), r.columns().end());
      table.integer_columns.assign(r.integer_columns().begin(), r.integer_columns().end());
      total = r.total_windows();
      digest = r.meta().pipeline_digest();
    }
    const v1::FeatureRows& rows = r.rows();
    if (static_cast<int64_t>(rows.values_size()) !=
        rows.num_rows() * static_cast<int64_t>(table.columns.size())) {
      return absl::DataLossError("the server sent a malformed block of rows");
    }
    table.values.insert(table.values.end(), rows.values().begin(), rows.values().end());
    for (int64_t i = 0; i < rows.num_rows(); ++i) {
      table.window_index.push_back(rows.first_window() + i);
      table.start_sample.push_back(rows.start_sample(static_cast<int>(i)));
    }
    table.rows += rows.num_rows();
    bar.Update(table.rows, total);
    return absl::OkStatus();
  }));
  bar.Finish();
  if (table.rows != total) {
    return absl::DataLossError(absl::StrCat("received ", table.rows, " of ", total, " rows"));
  }
  std::string recording =
      args.GetOptional("recording")
          .value_or(args.GetOptional("remote-path").value_or(args.Get("input")));
  if (!args.Has("recording")) {
    const size_t slash = recording.find_last_of('/');
    if (slash != std::string::npos) recording = recording.substr(slash + 1);
  }
  const bool csv = output.size() > 4 && output.substr(output.size() - 4) == ".csv";
  if (csv) {
    NF_RETURN_IF_ERROR(WriteFeatureCsv(output, table, args.Has("include-metadata"), recording));
  } else {
    NF_RETURN_IF_ERROR(WriteFeatureNpy(output, table));
  }
  return RemoteResult{table.rows, static_cast<int64_t>(table.columns.size()), digest};
}

absl::StatusOr<RemoteResult> RunRemotePreprocess(const ParsedArgs& args,
                                                 const v1::Pipeline& pipeline, double fs,
                                                 int64_t chunk_frames) {
  NF_ASSIGN_OR_RETURN(std::string output, args.Required("output"));
  NF_ASSIGN_OR_RETURN(auto client, ConnectFromFlags(args));
  v1::PreprocessRequest request;
  NF_ASSIGN_OR_RETURN(*request.mutable_recording(),
                      RemoteRecording(args, *client, ShowProgress(args)));
  v1::Recording& rec = *request.mutable_recording();
  rec.set_sampling_rate_hz(fs);
  if (auto ch = args.GetOptional("channels")) {
    for (const auto& name : absl::StrSplit(*ch, ',')) rec.add_channel_names(std::string(name));
  }
  *request.mutable_pipeline() = pipeline;
  request.set_chunk_frames(chunk_frames);
  if (auto s = args.GetOptional("start")) {
    NF_ASSIGN_OR_RETURN(int64_t start, ParseFramePosition(*s, fs, "start"));
    request.set_start_frame(start);
  }
  if (auto e = args.GetOptional("end")) {
    NF_ASSIGN_OR_RETURN(int64_t end, ParseFramePosition(*e, fs, "end"));
    request.set_end_frame(end);
  }
  if (auto d = args.GetOptional("dtype")) {
    if (*d == "int16") {
      request.set_output_dtype(v1::INT16);
    } else if (*d == "float32") {
      request.set_output_dtype(v1::FLOAT32);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--dtype=", *d, " is not float32 or int16"));
    }
  }
  const std::string partial = output + ".partial";
  std::unique_ptr<NpyWriter> writer;
  RemoteResult result;
  int64_t total = 0, received = 0;
  ProgressBar bar("preprocess", ShowProgress(args));
  absl::Status status =
      client->Preprocess(request, [&](const v1::PreprocessResponse& r) -> absl::Status {
        if (r.channel_names_size() > 0) {
          total = r.total_frames();
          result.columns_or_channels = r.channel_names_size();
          result.digest = r.meta().pipeline_digest();
        }
        const v1::TraceChunk& c = r.chunk();
        if (writer == nullptr) {
          const NpyDtype dtype = c.dtype() == v1::INT16 ? NpyDtype::kInt16 : NpyDtype::kFloat32;
          NF_ASSIGN_OR_RETURN(writer, NpyWriter::Create(partial, dtype, {total, c.num_channels()}));
        }
        NF_RETURN_IF_ERROR(writer->AppendBytes(c.data().data(), c.data().size()));
        received += c.num_frames();
        bar.Update(received, total);
        return absl::OkStatus();
      });
  bar.Finish();
  if (status.ok() && writer == nullptr) status = absl::DataLossError("the server sent no traces");
  if (status.ok() && received != total) {
    status = absl::DataLossError(absl::StrCat("received ", received, " of ", total, " frames"));
  }
  if (status.ok()) status = writer->Finish();
  if (!status.ok()) {
    writer.reset();
    std::remove(partial.c_str());
    return status;
  }
  if (std::rename(partial.c_str(), output.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", output));
  }
  result.rows_or_frames = received;
  return result;
}

}  // namespace neurofeat::client
