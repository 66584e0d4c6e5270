// File: neurofeat_service.h
//
// NeurofeatService: the neurofeat.v1.Neurofeat gRPC service. Handlers
// validate, admit the request's working set, and hand each chunk or block
// of windows to the compute arena; they only wait and write, so gRPC
// threads never compute. Between chunks they check for cancellation and
// deadlines, so an abandoned request stops within one chunk.
#ifndef NEUROFEAT_SERVER_NEUROFEAT_SERVICE_H_
#define NEUROFEAT_SERVER_NEUROFEAT_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/exec/cpu_limits.h"
#include "core/exec/memory_limits.h"
#include "neurofeat/v1/service.grpc.pb.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/path_policy.h"
#include "server/status_mapping.h"
#include "server/upload_store.h"

namespace neurofeat::server {

struct ServiceOptions {
  const PathPolicy* paths = nullptr;
  UploadStore* uploads = nullptr;
  Admission* admission = nullptr;
  CpuLimits cpu;
  MemoryLimits memory;
  int64_t max_message_bytes = 64 << 20;
  ResultCache* cache = nullptr;  // null: uncached
  ContentKeys* keys = nullptr;
  ServerMetrics* metrics = nullptr;
  // How errors are shown to clients (null: as they are).
  const StatusMapper* errors = nullptr;
};

class NeurofeatService final : public v1::Neurofeat::Service {
 public:
  explicit NeurofeatService(ServiceOptions options) : options_(std::move(options)) {}

  grpc::Status Extract(grpc::ServerContext* context, const v1::ExtractRequest* request,
                       grpc::ServerWriter<v1::ExtractResponse>* writer) override;
  grpc::Status Preprocess(grpc::ServerContext* context, const v1::PreprocessRequest* request,
                          grpc::ServerWriter<v1::PreprocessResponse>* writer) override;
  grpc::Status Upload(grpc::ServerContext* context, grpc::ServerReader<v1::UploadChunk>* reader,
                      v1::UploadResponse* response) override;
  grpc::Status ListFeatures(grpc::ServerContext* context, const v1::ListFeaturesRequest* request,
                            v1::FeatureCatalogue* response) override;
  grpc::Status GetServerInfo(grpc::ServerContext* context, const v1::ServerInfoRequest* request,
                             v1::ServerInfo* response) override;

 private:
  grpc::Status DoUpload(grpc::ServerContext* context, grpc::ServerReader<v1::UploadChunk>* reader,
                        v1::UploadResponse* response);
  // Public() is what the client sees of `status`.
  grpc::Status Public(grpc::ServerContext* context, const absl::Status& status) const;
  // Admit() with metrics: queue wait observed, refusals counted by reason.
  absl::StatusOr<Admission::Ticket> Admit(int64_t bytes, grpc::ServerContext* context);
  ServiceOptions options_;
};

// PipelineDigest() is the hex SHA-256 of the pipeline's deterministic
// serialisation (maps in key order).
std::string PipelineDigest(const v1::Pipeline& pipeline);

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_NEUROFEAT_SERVICE_H_
