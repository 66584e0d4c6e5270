// File: upload_call.h
//
// UploadCall: the client-streaming Upload RPC on the callback API. Each
// chunk is spooled from an arena task, and the next read starts only when
// it is written, so a fast client is flow-controlled by the disk, not
// buffered in memory.
#ifndef NEUROFEAT_SERVER_UPLOAD_CALL_H_
#define NEUROFEAT_SERVER_UPLOAD_CALL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <optional>

#include "neurofeat/v1/service.pb.h"
#include "server/call_context.h"
#include "server/upload_store.h"

namespace neurofeat::server {

class UploadCall final : public grpc::ServerReadReactor<v1::UploadChunk> {
 public:
  // `uploads` null: the call fails with FAILED_PRECONDITION.
  UploadCall(const CallContext& env, UploadStore* uploads, grpc::CallbackServerContext* context,
             v1::UploadResponse* response);

  void OnReadDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override;

 private:
  // The next step, on the arena: spool `chunk_`, or finish the upload.
  void Spool();
  void Complete();
  void End(const absl::Status& status);

  CallContext env_;
  UploadStore* uploads_;
  grpc::CallbackServerContext* context_;
  v1::UploadResponse* response_;
  v1::UploadChunk chunk_;
  std::unique_ptr<UploadStore::Writer> writer_;
  int64_t bytes_ = 0;
  std::atomic<bool> cancelled_{false};
  absl::Status status_;
  std::optional<ServerMetrics::Request> timing_;
  LiveCall live_;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UPLOAD_CALL_H_
