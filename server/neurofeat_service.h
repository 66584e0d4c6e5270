// File: neurofeat_service.h
//
// NeurofeatService: the neurofeat.v1.Neurofeat gRPC service on the callback
// API. No reaction blocks: Extract and Preprocess validate and run their
// job on the compute arena and stream its output with flow control from
// the client (stream_call.h); Upload spools chunks from arena tasks
// (upload_call.h); the unary calls answer at once. gRPC threads never
// compute.
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
#include "server/call_context.h"
#include "server/metrics.h"
#include "server/path_policy.h"
#include "server/status_mapping.h"
#include "server/upload_store.h"

namespace neurofeat::server {

// What the service is given; every pointer outlives it.
struct ServiceDeps {
  const PathPolicy* paths = nullptr;
  UploadStore* uploads = nullptr;  // null: uploads disabled
  Admission* admission = nullptr;
  CpuLimits cpu;
  MemoryLimits memory;
  int64_t max_message_bytes = int64_t{64} << 20;
  ResultCache* cache = nullptr;  // null: uncached
  ContentKeys* keys = nullptr;
  ServerMetrics* metrics = nullptr;  // null: no metrics
  const StatusMapper* errors = nullptr;
  // Chunks of a Preprocess stream computed ahead of the one being written.
  int preprocess_chunks_ahead = 2;
};

class NeurofeatService final : public v1::Neurofeat::CallbackService {
 public:
  explicit NeurofeatService(ServiceDeps deps);

  grpc::ServerWriteReactor<v1::ExtractResponse>* Extract(
      grpc::CallbackServerContext* context, const v1::ExtractRequest* request) override;
  grpc::ServerWriteReactor<v1::PreprocessResponse>* Preprocess(
      grpc::CallbackServerContext* context, const v1::PreprocessRequest* request) override;
  grpc::ServerReadReactor<v1::UploadChunk>* Upload(grpc::CallbackServerContext* context,
                                                   v1::UploadResponse* response) override;
  grpc::ServerUnaryReactor* Fit(grpc::CallbackServerContext* context, const v1::FitRequest* request,
                                v1::FitResponse* response) override;
  grpc::ServerUnaryReactor* ListFeatures(grpc::CallbackServerContext* context,
                                         const v1::ListFeaturesRequest* request,
                                         v1::FeatureCatalogue* response) override;
  grpc::ServerUnaryReactor* PlanBids(grpc::CallbackServerContext* context,
                                     const v1::PlanBidsRequest* request,
                                     v1::PlanBidsResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::ServerInfoRequest* request,
                                          v1::ServerInfo* response) override;

  // Calls started and not yet done (the drain waits for none).
  int live_calls() const { return live_calls_.load(); }

 private:
  ServiceDeps deps_;
  StatusMapper default_errors_;
  std::atomic<int> live_calls_{0};
  CallContext env_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_NEUROFEAT_SERVICE_H_
