// File: neurofeat_client.h
//
// NeurofeatClient: the C++ client of neurofeatd, used by the `neurofeat`
// CLI and linkable by others (target neurofeat::client_lib). Streams are
// consumed message by message through callbacks, so results of any size
// never have to fit in memory at once.
//
// Example:
//   ClientOptions o;
//   o.target = "127.0.0.1:50051";
//   NF_ASSIGN_OR_RETURN(auto client, NeurofeatClient::Connect(o));
//   NF_ASSIGN_OR_RETURN(v1::ServerInfo info, client->Info());
#ifndef NEUROFEAT_CLIENT_LIB_NEUROFEAT_CLIENT_H_
#define NEUROFEAT_CLIENT_LIB_NEUROFEAT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/lib/retry_policy.h"
#include "core/source/trace_source.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "neurofeat/v1/service.grpc.pb.h"

namespace neurofeat::client {

struct ClientOptions {
  std::string target;  // HOST:PORT
  // TLS: the CA that signed the server's certificate (PEM text); empty for
  // plaintext. Client certificate and key for mutual TLS.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  int64_t max_message_bytes = int64_t{64} << 20;
  // Deadline for each call; nullopt: none.
  std::optional<std::chrono::milliseconds> deadline;
  // How refused calls are retried (retry_policy.h; Replicas use it).
  RetryPolicy retry;
};

// What a call reported besides its status.
struct CallDetails {
  // The server's retry pushback (gRPC's grpc-retry-pushback-ms trailer),
  // sent with RESOURCE_EXHAUSTED: when to try again; negative: never (the
  // request can never fit this server).
  std::optional<std::chrono::milliseconds> retry_pushback;
};

class NeurofeatClient {
 public:
  static absl::StatusOr<std::unique_ptr<NeurofeatClient>> Connect(const ClientOptions& options);

  absl::StatusOr<v1::ServerInfo> Info();
  absl::StatusOr<v1::FeatureCatalogue> Features();
  // Fit() fits the request's trainable nodes on its labelled epochs.
  // `details` (may be null) receives the retry pushback.
  absl::StatusOr<v1::FitResponse> Fit(const v1::FitRequest& request,
                                      CallDetails* details = nullptr);
  // PlanBids() asks the server to plan a BIDS dataset under its data roots.
  absl::StatusOr<v1::PlanBidsResponse> PlanBids(const v1::PlanBidsRequest& request);
  // "SERVING", "NOT_SERVING" (draining) or an error (unreachable).
  absl::StatusOr<std::string> Health();

  // UploadNpy() sends a (frames, channels) or (windows, channels, times)
  // .npy file in chunks of `chunk_bytes`; returns the upload id.
  // `progress(bytes sent, total)` may be empty.
  absl::StatusOr<std::string> UploadNpy(const std::string& path, int64_t chunk_bytes,
                                        const std::function<void(int64_t, int64_t)>& progress);
  // UploadTraces() sends every frame of `source` (a local recording in any
  // format the engine reads) as a (frames, channels) array of its sample
  // type, in chunks of about `chunk_bytes`; returns the upload id.
  absl::StatusOr<std::string> UploadTraces(const TraceSource& source, int64_t chunk_bytes,
                                           const std::function<void(int64_t, int64_t)>& progress);

  // Extract()/Preprocess() call `on_message` for every response in order;
  // an error it returns cancels the call and is returned.
  // `details` (may be null) receives what the call reported besides its
  // status.
  absl::Status Extract(const v1::ExtractRequest& request,
                       const std::function<absl::Status(const v1::ExtractResponse&)>& on_message,
                       CallDetails* details = nullptr);
  absl::Status Preprocess(
      const v1::PreprocessRequest& request,
      const std::function<absl::Status(const v1::PreprocessResponse&)>& on_message,
      CallDetails* details = nullptr);

 private:
  // Fills `data` with the upload's bytes from offset `sent` on (at least
  // one byte).
  using UploadProducer = std::function<absl::Status(int64_t sent, std::string* data)>;
  absl::StatusOr<std::string> Upload(const v1::UploadChunk& header, int64_t total_bytes,
                                     const UploadProducer& next_chunk);

  explicit NeurofeatClient(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel);
  void Prepare(grpc::ClientContext* context) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Neurofeat::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// ToAbsl() keeps the code and message of a gRPC status.
absl::Status ToAbsl(const grpc::Status& status);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_LIB_NEUROFEAT_CLIENT_H_
