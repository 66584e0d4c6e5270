#include "client/lib/neurofeat_client.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/dtype_convert.h"
#include "api/status_convert.h"
#include "core/checked_math.h"
#include "core/io/npy.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"

namespace neurofeat::client {

absl::Status ToAbsl(const grpc::Status& status) { return api::FromGrpcStatus(status); }

NeurofeatClient::NeurofeatClient(const ClientOptions& options,
                                 std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::Neurofeat::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

absl::StatusOr<std::unique_ptr<NeurofeatClient>> NeurofeatClient::Connect(
    const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("--server: HOST:PORT is required");
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca_pem.empty() || !options.tls_cert_pem.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca_pem;
    ssl.pem_cert_chain = options.tls_cert_pem;
    ssl.pem_private_key = options.tls_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  auto channel = grpc::CreateCustomChannel(options.target, credentials, args);
  return std::unique_ptr<NeurofeatClient>(new NeurofeatClient(options, std::move(channel)));
}

void NeurofeatClient::Prepare(grpc::ClientContext* context) const {
  if (options_.deadline.has_value()) {
    context->set_deadline(std::chrono::system_clock::now() + *options_.deadline);
  }
}

absl::StatusOr<v1::ServerInfo> NeurofeatClient::Info() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ServerInfo info;
  NF_RETURN_IF_ERROR(ToAbsl(stub_->GetServerInfo(&context, v1::ServerInfoRequest(), &info)));
  return info;
}

absl::StatusOr<v1::FeatureCatalogue> NeurofeatClient::Features() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::FeatureCatalogue catalogue;
  NF_RETURN_IF_ERROR(ToAbsl(stub_->ListFeatures(&context, v1::ListFeaturesRequest(), &catalogue)));
  return catalogue;
}

namespace {
void ReadDetails(const grpc::ClientContext& context, CallDetails* details);
}  // namespace

absl::StatusOr<v1::FitResponse> NeurofeatClient::Fit(const v1::FitRequest& request,
                                                     CallDetails* details) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::FitResponse response;
  const grpc::Status status = stub_->Fit(&context, request, &response);
  ReadDetails(context, details);
  NF_RETURN_IF_ERROR(ToAbsl(status));
  return response;
}

absl::StatusOr<v1::PlanBidsResponse> NeurofeatClient::PlanBids(const v1::PlanBidsRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::PlanBidsResponse response;
  NF_RETURN_IF_ERROR(ToAbsl(stub_->PlanBids(&context, request, &response)));
  return response;
}

absl::StatusOr<std::string> NeurofeatClient::Health() {
  grpc::ClientContext context;
  Prepare(&context);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  NF_RETURN_IF_ERROR(ToAbsl(health_->Check(&context, request, &response)));
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<std::string> NeurofeatClient::Upload(const v1::UploadChunk& header,
                                                    int64_t total_bytes,
                                                    const UploadProducer& next_chunk) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::UploadResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::UploadChunk>> writer = stub_->Upload(&context, &response);
  bool ok = writer->Write(header);
  int64_t sent = 0;
  absl::Status read_status;
  while (ok && sent < total_bytes) {
    v1::UploadChunk chunk;
    read_status = next_chunk(sent, chunk.mutable_data());
    if (!read_status.ok()) break;
    if (chunk.data().empty()) {
      read_status = absl::InternalError("an upload chunk was empty");
      break;
    }
    sent += static_cast<int64_t>(chunk.data().size());
    ok = writer->Write(chunk);
  }
  if (!read_status.ok()) {
    context.TryCancel();
    writer->Finish();
    return read_status;
  }
  writer->WritesDone();
  NF_RETURN_IF_ERROR(ToAbsl(writer->Finish()));
  return response.upload_id();
}

absl::StatusOr<std::string> NeurofeatClient::UploadNpy(
    const std::string& path, int64_t chunk_bytes,
    const std::function<void(int64_t, int64_t)>& progress) {
  NF_ASSIGN_OR_RETURN(NpyHeader header, ReadNpyHeader(path));
  v1::UploadChunk first;
  NF_ASSIGN_OR_RETURN(SampleType type, api::FromNpyDtype(header.dtype, path));
  first.mutable_header()->set_dtype(api::ToProtoDtype(type));
  for (int64_t d : header.shape) first.mutable_header()->add_shape(d);
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  // The header was checked against the file's size: the data are there.
  const int64_t total = file.size - header.data_offset;
  const int64_t step = std::max<int64_t>(1, chunk_bytes);
  return Upload(first, total, [&](int64_t sent, std::string* data) -> absl::Status {
    data->resize(static_cast<size_t>(std::min<int64_t>(step, total - sent)));
    NF_RETURN_IF_ERROR(
        PreadFully(file.fd.get(), data->data(), data->size(), header.data_offset + sent, path));
    if (progress) progress(sent + static_cast<int64_t>(data->size()), total);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> NeurofeatClient::UploadTraces(
    const TraceSource& source, int64_t chunk_bytes,
    const std::function<void(int64_t, int64_t)>& progress) {
  v1::UploadChunk first;
  first.mutable_header()->set_dtype(api::ToProtoDtype(source.sample_type()));
  first.mutable_header()->add_shape(source.num_frames());
  first.mutable_header()->add_shape(source.num_channels());
  const int64_t frame_bytes =
      source.num_channels() * static_cast<int64_t>(SampleTypeSize(source.sample_type()));
  NF_ASSIGN_OR_RETURN(const int64_t total,
                      CheckedMul(source.num_frames(), frame_bytes, "upload size"));
  const int64_t frames_per_chunk = std::max<int64_t>(1, chunk_bytes / frame_bytes);
  return Upload(first, total, [&](int64_t sent, std::string* data) -> absl::Status {
    const int64_t start = sent / frame_bytes;
    const int64_t end = std::min(source.num_frames(), start + frames_per_chunk);
    NF_ASSIGN_OR_RETURN(Traces t, source.GetTraces(start, end));
    data->assign(reinterpret_cast<const char*>(t.bytes()), t.size_bytes());
    if (progress) progress(sent + static_cast<int64_t>(data->size()), total);
    return absl::OkStatus();
  });
}

namespace {

void ReadDetails(const grpc::ClientContext& context, CallDetails* details) {
  if (details == nullptr) return;
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("grpc-retry-pushback-ms");
  int64_t ms = 0;
  if (it != trailers.end() &&
      absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &ms)) {
    details->retry_pushback = std::chrono::milliseconds(ms);
  }
}

template <typename Response, typename Reader>
absl::Status Drain(grpc::ClientContext& context, Reader& reader,
                   const std::function<absl::Status(const Response&)>& on_message,
                   CallDetails* details) {
  Response response;
  absl::Status callback_status;
  while (reader->Read(&response)) {
    callback_status = on_message(response);
    if (!callback_status.ok()) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  ReadDetails(context, details);
  if (!callback_status.ok()) return callback_status;
  return ToAbsl(status);
}

}  // namespace

absl::Status NeurofeatClient::Extract(
    const v1::ExtractRequest& request,
    const std::function<absl::Status(const v1::ExtractResponse&)>& on_message,
    CallDetails* details) {
  grpc::ClientContext context;
  Prepare(&context);
  auto reader = stub_->Extract(&context, request);
  return Drain<v1::ExtractResponse>(context, reader, on_message, details);
}

absl::Status NeurofeatClient::Preprocess(
    const v1::PreprocessRequest& request,
    const std::function<absl::Status(const v1::PreprocessResponse&)>& on_message,
    CallDetails* details) {
  grpc::ClientContext context;
  Prepare(&context);
  auto reader = stub_->Preprocess(&context, request);
  return Drain<v1::PreprocessResponse>(context, reader, on_message, details);
}

}  // namespace neurofeat::client
