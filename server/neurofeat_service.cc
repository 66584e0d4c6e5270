#include "server/neurofeat_service.h"

#include "core/exec/compute_arena.h"
#include "core/features/feature_bank.h"
#include "core/version.h"
#include "server/job_calls.h"
#include "server/upload_call.h"

namespace neurofeat::server {

NeurofeatService::NeurofeatService(ServiceDeps deps) : deps_(std::move(deps)) {
  env_.admission = deps_.admission;
  env_.metrics = deps_.metrics;
  env_.errors = deps_.errors != nullptr ? deps_.errors : &default_errors_;
  env_.live_calls = &live_calls_;
}

grpc::ServerWriteReactor<v1::ExtractResponse>* NeurofeatService::Extract(
    grpc::CallbackServerContext* context, const v1::ExtractRequest* request) {
  return ExtractCall::Start(env_, context, "Extract",
                            [this, request](std::function<bool()> cancelled) {
                              return PlanExtract(*request, std::move(cancelled), deps_);
                            });
}

grpc::ServerWriteReactor<v1::PreprocessResponse>* NeurofeatService::Preprocess(
    grpc::CallbackServerContext* context, const v1::PreprocessRequest* request) {
  return PreprocessCall::Start(env_, context, "Preprocess",
                               [this, request](std::function<bool()> cancelled) {
                                 return PlanPreprocess(*request, std::move(cancelled), deps_);
                               });
}

grpc::ServerReadReactor<v1::UploadChunk>* NeurofeatService::Upload(
    grpc::CallbackServerContext* context, v1::UploadResponse* response) {
  return new UploadCall(env_, deps_.uploads, deps_.max_message_bytes, context, response);
}

grpc::ServerUnaryReactor* NeurofeatService::Fit(grpc::CallbackServerContext* context,
                                                const v1::FitRequest* request,
                                                v1::FitResponse* response) {
  return FitCall::Start(env_, context, "Fit", response,
                        [this, request](std::function<bool()> cancelled) {
                          return PlanFit(*request, std::move(cancelled), deps_);
                        });
}

grpc::ServerUnaryReactor* NeurofeatService::PlanBids(grpc::CallbackServerContext* context,
                                                     const v1::PlanBidsRequest* request,
                                                     v1::PlanBidsResponse* response) {
  // Planning lists folders and opens every recording's header: admitted,
  // then on the arena, not on a gRPC thread.
  return PlanBidsCall::Start(env_, context, "PlanBids", response,
                             [this, request](std::function<bool()>) {
                               return PlanPlanBids(*request, deps_, *env_.errors);
                             });
}

grpc::ServerUnaryReactor* NeurofeatService::ListFeatures(grpc::CallbackServerContext* context,
                                                         const v1::ListFeaturesRequest*,
                                                         v1::FeatureCatalogue* response) {
  for (const auto& [name, def] : FeatureBank::Default().defs()) {
    v1::FeatureInfo* info = response->add_features();
    info->set_fn(name);
    info->set_kind(def.leaf ? "feature" : "preprocessor");
    info->set_summary(def.summary);
    for (const auto& p : def.parents) info->add_parents(p);
    for (const ParamDoc& p : DescribeParams(def)) {
      v1::FeatureParam* param = response->mutable_features()->rbegin()->add_params();
      param->set_name(p.name);
      param->set_default_json(p.default_json);
    }
  }
  response->mutable_meta()->set_engine_version(kEngineVersion);
  if (deps_.metrics != nullptr) {
    ServerMetrics::Request(*deps_.metrics, "ListFeatures").Finish(absl::OkStatus());
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* NeurofeatService::GetServerInfo(grpc::CallbackServerContext* context,
                                                          const v1::ServerInfoRequest*,
                                                          v1::ServerInfo* response) {
  response->set_engine_version(kEngineVersion);
  response->set_threads(deps_.cpu.threads);
  response->set_cpu_limits(deps_.cpu.Describe());
  response->set_memory_budget_bytes(deps_.memory.budget_bytes);
  response->set_memory_limit_bytes(deps_.memory.limit_bytes.value_or(0));
  response->set_memory_limits(deps_.memory.Describe());
  for (const auto& root : deps_.paths->roots()) response->add_data_roots(root);
  response->set_max_message_bytes(deps_.max_message_bytes);
  response->set_max_queue(deps_.admission->options().max_queue);
  response->set_in_flight(deps_.admission->in_flight());
  response->mutable_meta()->set_engine_version(kEngineVersion);
  if (deps_.metrics != nullptr) {
    ServerMetrics::Request(*deps_.metrics, "GetServerInfo").Finish(absl::OkStatus());
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace neurofeat::server
