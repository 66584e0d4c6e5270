#include "server/neurofeat_service.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checked_math.h"
#include "core/exec/compute_arena.h"
#include "core/features/cached_block.h"
#include "core/features/feature_bank.h"
#include "core/features/streaming_extractor.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/status_macros.h"
#include "core/version.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "proto/convert/pipeline_convert.h"
#include "server/request_recording.h"

namespace neurofeat::server {
namespace {

// Why a request stopped early: the client cancelled or its deadline passed.
absl::Status Abandoned(grpc::ServerContext* context) {
  if (context->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed; it stopped computing");
  }
  return absl::CancelledError("the client cancelled the request; it stopped computing");
}

// Runs `fn` on the compute arena and waits: the gRPC thread only waits.
absl::Status Compute(const std::function<absl::Status()>& fn) {
  absl::Status status;
  std::future<void> done = SubmitToArena([&] { status = fn(); });
  done.get();
  return status;
}

v1::ResponseMeta Meta(const v1::Pipeline& pipeline) {
  v1::ResponseMeta meta;
  meta.set_engine_version(kEngineVersion);
  meta.set_pipeline_digest(PipelineDigest(pipeline));
  return meta;
}

v1::SampleDtype ToProtoDtype(SampleType t) {
  switch (t) {
    case SampleType::kInt16:
      return v1::INT16;
    case SampleType::kFloat32:
      return v1::FLOAT32;
    case SampleType::kFloat64:
      return v1::FLOAT64;
  }
  return v1::SAMPLE_DTYPE_UNSPECIFIED;
}

absl::StatusOr<ChainSpec> ChainFor(const v1::Pipeline& pipeline, const RequestRecording& rec) {
  NF_ASSIGN_OR_RETURN(ChainSpec spec, ToChainSpec(pipeline));
  if (rec.scale.has_value()) {
    spec.steps.insert(spec.steps.begin(), PreprocessStepSpec{"recording.scale_to_uv", *rec.scale});
  }
  return spec;
}

// Working set of one chunk through a chain: the input with margins, one
// float32 block per step, and two output chunks (one being sent). Saturates:
// an estimate too large to compute is too large to admit.
int64_t ChainBytes(int64_t chunk, int64_t margin, int64_t channels, int64_t in_bytes, int steps,
                   int64_t out_bytes) {
  const int64_t frames_in = SaturatingAdd(chunk, SaturatingMul(2, margin));
  return SaturatingAdd(
      SaturatingAdd(SaturatingMul(SaturatingMul(frames_in, channels), in_bytes + 4 * (steps + 1)),
                    SaturatingMul(SaturatingMul(2 * chunk, channels), out_bytes)),
      int64_t{4} << 20);
}

// The chunk length of a request: chunk_frames, or one second of frames.
absl::StatusOr<int64_t> ChunkFrames(int64_t requested, double fs, int64_t frames) {
  if (requested < 0) {
    return absl::InvalidArgumentError(absl::StrCat("chunk_frames: must be >= 0, got ", requested));
  }
  if (requested == 0) {
    NF_ASSIGN_OR_RETURN(requested, DoubleToCount(fs, "chunk_frames (default: 1 s of frames)"));
  }
  // A chunk longer than the recording is the recording.
  return std::clamp<int64_t>(requested, 1, std::max<int64_t>(1, frames));
}

absl::Status CheckCachePolicy(v1::CachePolicy policy) {
  if (!v1::CachePolicy_IsValid(policy)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache_policy: ", static_cast<int>(policy),
                     " is not a policy (CACHE_DEFAULT, CACHE_BYPASS, CACHE_REFRESH)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string PipelineDigest(const v1::Pipeline& pipeline) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    pipeline.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (unsigned char b : digest) absl::StrAppendFormat(&hex, "%02x", b);
  return hex;
}

grpc::Status NeurofeatService::Public(grpc::ServerContext* context,
                                      const absl::Status& status) const {
  static const StatusMapper kPlain;
  return (options_.errors != nullptr ? *options_.errors : kPlain).ToGrpc(status, context);
}

absl::StatusOr<Admission::Ticket> NeurofeatService::Admit(int64_t bytes,
                                                          grpc::ServerContext* context) {
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<Admission::Ticket> ticket =
      options_.admission->Admit(bytes, [&] { return context->IsCancelled(); });
  if (options_.metrics != nullptr) {
    if (ticket.ok()) {
      options_.metrics->QueueWait(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } else {
      options_.metrics->Rejected(ticket.status());
    }
  }
  return ticket;
}

grpc::Status NeurofeatService::GetServerInfo(grpc::ServerContext*, const v1::ServerInfoRequest*,
                                             v1::ServerInfo* response) {
  response->set_engine_version(kEngineVersion);
  response->set_threads(options_.cpu.threads);
  response->set_cpu_limits(options_.cpu.Describe());
  response->set_memory_budget_bytes(options_.memory.budget_bytes);
  response->set_memory_limit_bytes(options_.memory.limit_bytes.value_or(0));
  response->set_memory_limits(options_.memory.Describe());
  for (const auto& root : options_.paths->roots()) response->add_data_roots(root);
  response->set_max_message_bytes(options_.max_message_bytes);
  response->set_max_queue(options_.admission->options().max_queue);
  response->set_in_flight(options_.admission->in_flight());
  response->mutable_meta()->set_engine_version(kEngineVersion);
  if (options_.metrics != nullptr) {
    ServerMetrics::Request(*options_.metrics, "GetServerInfo").Finish(absl::OkStatus());
  }
  return grpc::Status::OK;
}

grpc::Status NeurofeatService::ListFeatures(grpc::ServerContext*, const v1::ListFeaturesRequest*,
                                            v1::FeatureCatalogue* response) {
  for (const auto& [name, def] : FeatureBank::Default().defs()) {
    v1::FeatureInfo* info = response->add_features();
    info->set_fn(name);
    info->set_kind(def.leaf ? "feature" : "preprocessor");
    info->set_summary(def.summary);
    for (const auto& p : def.parents) info->add_parents(p);
    for (const ParamDoc& p : DescribeParams(def)) {
      v1::FeatureParam* param = info->add_params();
      param->set_name(p.name);
      param->set_default_json(p.default_json);
    }
  }
  response->mutable_meta()->set_engine_version(kEngineVersion);
  if (options_.metrics != nullptr) {
    ServerMetrics::Request(*options_.metrics, "ListFeatures").Finish(absl::OkStatus());
  }
  return grpc::Status::OK;
}

grpc::Status NeurofeatService::Upload(grpc::ServerContext* context,
                                      grpc::ServerReader<v1::UploadChunk>* reader,
                                      v1::UploadResponse* response) {
  std::optional<ServerMetrics::Request> timing;
  if (options_.metrics != nullptr) timing.emplace(*options_.metrics, "Upload");
  const grpc::Status status = DoUpload(context, reader, response);
  if (timing.has_value()) {
    timing->Finish(
        absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()));
  }
  return status;
}

grpc::Status NeurofeatService::DoUpload(grpc::ServerContext* context,
                                        grpc::ServerReader<v1::UploadChunk>* reader,
                                        v1::UploadResponse* response) {
  if (options_.uploads == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "uploads are disabled on this server");
  }
  v1::UploadChunk chunk;
  if (!reader->Read(&chunk) || chunk.part_case() != v1::UploadChunk::kHeader) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "upload: the first message must be a header (dtype, shape)");
  }
  NpyDtype dtype;
  switch (chunk.header().dtype()) {
    case v1::INT16:
      dtype = NpyDtype::kInt16;
      break;
    case v1::FLOAT32:
      dtype = NpyDtype::kFloat32;
      break;
    case v1::FLOAT64:
      dtype = NpyDtype::kFloat64;
      break;
    default:
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("upload.header.dtype: ", static_cast<int>(chunk.header().dtype()),
                       " is not INT16, FLOAT32 or FLOAT64"));
  }
  std::vector<int64_t> shape(chunk.header().shape().begin(), chunk.header().shape().end());
  absl::StatusOr<std::unique_ptr<UploadStore::Writer>> writer =
      options_.uploads->Begin(dtype, shape);
  if (!writer.ok()) return Public(context, writer.status());
  int64_t bytes = 0;
  while (reader->Read(&chunk)) {
    if (chunk.part_case() != v1::UploadChunk::kData) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "upload: only the first message is a header");
    }
    absl::Status s = (*writer)->Append(chunk.data().data(), chunk.data().size());
    if (!s.ok()) return Public(context, s);
    bytes += static_cast<int64_t>(chunk.data().size());
  }
  if (context->IsCancelled()) return Public(context, Abandoned(context));
  absl::StatusOr<std::string> id = (*writer)->Finish();
  if (!id.ok()) return Public(context, id.status());
  response->set_upload_id(*id);
  response->set_bytes(bytes);
  return grpc::Status::OK;
}

grpc::Status NeurofeatService::Preprocess(grpc::ServerContext* context,
                                          const v1::PreprocessRequest* request,
                                          grpc::ServerWriter<v1::PreprocessResponse>* writer) {
  std::optional<ServerMetrics::Request> timing;
  if (options_.metrics != nullptr) timing.emplace(*options_.metrics, "Preprocess");
  auto run = [&]() -> absl::Status {
    NF_ASSIGN_OR_RETURN(
        RequestRecording rec,
        OpenRequestRecording(request->recording(), {options_.paths, options_.uploads}));
    if (rec.source == nullptr) {
      return absl::InvalidArgumentError(
          "recording: Preprocess needs continuous (frames, channels) data, not epochs");
    }
    NF_ASSIGN_OR_RETURN(ChainSpec spec, ChainFor(request->pipeline(), rec));
    SampleType out_type = rec.source->sample_type() == SampleType::kInt16 && !rec.scale.has_value()
                              ? SampleType::kInt16
                              : SampleType::kFloat32;
    if (request->output_dtype() == v1::INT16) {
      out_type = SampleType::kInt16;
    } else if (request->output_dtype() == v1::FLOAT32) {
      out_type = SampleType::kFloat32;
    } else if (request->output_dtype() != v1::SAMPLE_DTYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("output_dtype: ", static_cast<int>(request->output_dtype()),
                       " is not an output type (SAMPLE_DTYPE_UNSPECIFIED, INT16, FLOAT32)"));
    }
    NF_ASSIGN_OR_RETURN(auto chain, PreprocessChain::Build(spec, rec.source, out_type));
    const TraceSource& out = chain->output();
    const int64_t n = out.num_frames();
    const int64_t start = request->start_frame();
    const int64_t end = request->has_end_frame() ? request->end_frame() : n;
    if (start < 0 || start >= end || end > n) {
      return absl::InvalidArgumentError(
          absl::StrCat("start_frame/end_frame: [", start, ", ", end,
                       ") is not a non-empty part of the recording's [0, ", n, ")"));
    }
    const int64_t channels = out.num_channels();
    const int64_t out_bytes = static_cast<int64_t>(SampleTypeSize(out_type));
    NF_ASSIGN_OR_RETURN(const int64_t chunk,
                        ChunkFrames(request->chunk_frames(), rec.signal.fs, end - start));
    const int64_t message_bytes =
        SaturatingAdd(SaturatingMul(SaturatingMul(chunk, channels), out_bytes), 4096);
    if (message_bytes > options_.max_message_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunk_frames: ", chunk, " frames x ", channels, " channels make ", message_bytes,
          "-byte messages, above the server's limit of ", options_.max_message_bytes,
          "; use at most ", (options_.max_message_bytes - 4096) / (channels * out_bytes)));
    }
    const int64_t bytes =
        ChainBytes(chunk, chain->margin_frames(), channels,
                   std::max<int64_t>(4, rec.frame_bytes / std::max<int64_t>(1, channels)),
                   static_cast<int>(spec.steps.size()), out_bytes);
    NF_ASSIGN_OR_RETURN(Admission::Ticket ticket, Admit(bytes, context));
    const v1::ResponseMeta meta = Meta(request->pipeline());
    const auto grid = ChunkGrid(start, end, chunk);
    bool first = true;
    for (const auto& [s, e] : grid) {
      if (context->IsCancelled()) return Abandoned(context);
      Traces traces;
      NF_RETURN_IF_ERROR(Compute([&, s = s, e = e]() -> absl::Status {
        NF_ASSIGN_OR_RETURN(traces, out.GetTraces(s, e));
        return absl::OkStatus();
      }));
      v1::PreprocessResponse response;
      if (first) {
        response.set_total_frames(end - start);
        for (const auto& id : out.info().channel_ids) response.add_channel_names(id);
        first = false;
      }
      *response.mutable_meta() = meta;
      v1::TraceChunk* c = response.mutable_chunk();
      c->set_start_frame(s);
      c->set_num_frames(e - s);
      c->set_num_channels(channels);
      c->set_dtype(ToProtoDtype(traces.type()));
      c->set_data(reinterpret_cast<const char*>(traces.bytes()), traces.size_bytes());
      if (!writer->Write(response)) return Abandoned(context);
      if (options_.metrics != nullptr) {
        options_.metrics->FilterChunks(1);
        options_.metrics->Processed((e - s) * channels, (e - s) * rec.frame_bytes, 0);
      }
    }
    return absl::OkStatus();
  };
  const absl::Status status = run();
  if (timing.has_value()) timing->Finish(status);
  return Public(context, status);
}

grpc::Status NeurofeatService::Extract(grpc::ServerContext* context,
                                       const v1::ExtractRequest* request,
                                       grpc::ServerWriter<v1::ExtractResponse>* writer) {
  std::optional<ServerMetrics::Request> timing;
  if (options_.metrics != nullptr) timing.emplace(*options_.metrics, "Extract");
  auto run = [&]() -> absl::Status {
    NF_RETURN_IF_ERROR(CheckCachePolicy(request->cache_policy()));
    NF_ASSIGN_OR_RETURN(
        RequestRecording rec,
        OpenRequestRecording(request->recording(), {options_.paths, options_.uploads}));
    const v1::Pipeline& pipeline = request->pipeline();
    std::unique_ptr<PreprocessChain> chain;
    std::optional<WindowSpec> window;
    int64_t n_times = 0, chunk = 0;
    if (rec.has_epochs()) {
      NF_ASSIGN_OR_RETURN(ChainSpec plain, ToChainSpec(pipeline));
      if (!plain.steps.empty() || pipeline.has_window() || rec.scale.has_value()) {
        return absl::InvalidArgumentError(
            "recording: holds pre-cut epochs; preprocess, window and scale_to_uv apply to "
            "continuous (frames, channels) data only");
      }
      n_times = rec.epoch_times();
    } else {
      NF_ASSIGN_OR_RETURN(window, ToWindowSpec(pipeline));
      if (!window.has_value()) {
        return absl::InvalidArgumentError(
            "window: continuous (frames, channels) data need a window (size_samples); or send "
            "(windows, channels, times) epochs");
      }
      NF_ASSIGN_OR_RETURN(ChainSpec spec, ChainFor(pipeline, rec));
      NF_ASSIGN_OR_RETURN(chain, PreprocessChain::Build(spec, rec.source, SampleType::kFloat32));
      n_times = window->size;
      if (n_times > rec.source->num_frames()) {
        return absl::InvalidArgumentError(absl::StrCat("window.size_samples: ", n_times,
                                                       " samples is longer than the recording (",
                                                       rec.source->num_frames(), " samples)"));
      }
      NF_ASSIGN_OR_RETURN(
          chunk, ChunkFrames(request->chunk_frames(), rec.signal.fs, rec.source->num_frames()));
    }
    NF_ASSIGN_OR_RETURN(FeatureTree tree,
                        FeatureTree::Build(ToFeatureSpecs(pipeline), rec.signal, n_times));
    const int64_t columns = static_cast<int64_t>(tree.columns().size());
    const int64_t channels = static_cast<int64_t>(rec.signal.channels.size());
    int64_t rows = request->rows_per_message();
    const int64_t row_bytes = columns * 9 + 16;
    if (rows < 0)
      return absl::InvalidArgumentError(absl::StrCat("rows_per_message: must be >= 0, got ", rows));
    if (rows == 0)
      rows = std::max<int64_t>(
          1, std::min<int64_t>(256, (options_.max_message_bytes / 2) / row_bytes));
    if (rows * row_bytes + 65536 > options_.max_message_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rows_per_message: ", rows, " rows of ", columns,
          " columns exceed the server's message limit of ", options_.max_message_bytes, " bytes"));
    }
    // Blocks (the unit of caching) of about 4 MiB of samples, at most 256
    // windows; the size depends only on the window, so cache keys repeat.
    const int64_t kBlock = BlockWindows(channels, n_times);
    std::unique_ptr<StreamingExtractor> extractor =
        rec.epochs.has_value() ? std::make_unique<StreamingExtractor>(tree, *rec.epochs, kBlock)
        : rec.epochs_file.has_value()
            ? std::make_unique<StreamingExtractor>(tree, *rec.epochs_file, kBlock)
            : std::make_unique<StreamingExtractor>(tree, chain->output(), *window, chunk, kBlock);
    NF_RETURN_IF_ERROR(extractor->Validate());
    extractor->set_cancelled([context] { return context->IsCancelled(); });
    if (options_.cache != nullptr && request->cache_policy() != v1::CACHE_BYPASS) {
      std::string content;
      if (rec.inline_bytes != nullptr) {
        content = options_.keys->ForBytes(*rec.inline_bytes);
      } else {
        NF_ASSIGN_OR_RETURN(content, options_.keys->ForFile(rec.data_path));
      }
      CacheContext cache;
      cache.cache = options_.cache;
      cache.refresh = request->cache_policy() == v1::CACHE_REFRESH;
      cache.recording_descriptor =
          absl::StrCat("content=", content, "|", rec.source_descriptor,
                       chain != nullptr ? absl::StrCat("|chain=", chain->canonical(),
                                                       "|chunk=", chunk, "|window=", window->size,
                                                       "/", window->stride, "/", window->drop_last)
                                        : std::string("|epochs"));
      extractor->set_cache(std::move(cache));
    }
    // The block of windows and its rows, the chain's chunk, the rolling buffer.
    int64_t bytes = SaturatingAdd(
        SaturatingAdd(SaturatingMul(SaturatingMul(kBlock, channels), SaturatingMul(n_times, 8)),
                      SaturatingMul(kBlock, SaturatingMul(row_bytes, 2))),
        int64_t{4} << 20);
    if (chain != nullptr) {
      bytes = SaturatingAdd(
          bytes,
          SaturatingAdd(
              ChainBytes(chunk, chain->margin_frames(), channels,
                         std::max<int64_t>(4, rec.frame_bytes / std::max<int64_t>(1, channels)), 3,
                         4),
              SaturatingMul(SaturatingAdd(chunk, n_times), SaturatingMul(channels, 4))));
    }
    NF_ASSIGN_OR_RETURN(Admission::Ticket ticket, Admit(bytes, context));
    const v1::ResponseMeta meta = Meta(pipeline);
    bool first = true;
    while (true) {
      if (context->IsCancelled()) return Abandoned(context);
      std::optional<FeatureTable> block;
      const absl::Status computed = Compute([&]() -> absl::Status {
        NF_ASSIGN_OR_RETURN(block, extractor->NextBlock());
        return absl::OkStatus();
      });
      if (context->IsCancelled()) return Abandoned(context);
      NF_RETURN_IF_ERROR(computed);
      if (!block.has_value()) break;
      if (options_.metrics != nullptr) {
        options_.metrics->Kernels(block->stats);
        const int64_t computed = block->stats.windows_computed;
        options_.metrics->Processed(computed * channels * n_times,
                                    block->stats.chunks_read * chunk * rec.frame_bytes,
                                    block->rows);
      }
      for (int64_t r0 = 0; r0 < block->rows; r0 += rows) {
        const int64_t r1 = std::min(block->rows, r0 + rows);
        v1::ExtractResponse response;
        if (first) {
          for (const auto& c : tree.columns()) response.add_columns(c);
          for (bool b : tree.integer_columns()) response.add_integer_columns(b);
          response.set_total_windows(extractor->total_windows());
          first = false;
        }
        *response.mutable_meta() = meta;
        v1::FeatureRows* r = response.mutable_rows();
        r->set_first_window(block->window_index[r0]);
        r->set_num_rows(r1 - r0);
        r->mutable_values()->Add(block->values.begin() + r0 * columns,
                                 block->values.begin() + r1 * columns);
        r->mutable_start_sample()->Add(block->start_sample.begin() + r0,
                                       block->start_sample.begin() + r1);
        if (!writer->Write(response)) return Abandoned(context);
        if (context->IsCancelled()) return Abandoned(context);
      }
    }
    return absl::OkStatus();
  };
  const absl::Status status = run();
  if (timing.has_value()) timing->Finish(status);
  return Public(context, status);
}

}  // namespace neurofeat::server
