// File: upload_call.h
//
// UploadCall: the client-streaming Upload RPC on the callback API. Each
// chunk is spooled from an arena task, and the next read starts only when
// it is written, so a fast client is flow-controlled by the disk, not
// buffered in memory.
//
// Memory: the samples go to the spool (bounded by --max-spool-bytes), never
// to memory as a whole; what an upload holds is one message of its stream
// at a time, twice (gRPC's received bytes and the parsed chunk), and a
// message is at most the announced samples and at most the server's
// largest message. That bound, 2 x min(announced bytes, max message bytes)
// (UploadWorkingSetBytes), is admitted against the memory budget when the
// header arrives and held until the upload ends; no data message is read
// before it is admitted.
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
  // `max_message_bytes` is the largest message the server accepts.
  UploadCall(const CallContext& env, UploadStore* uploads, int64_t max_message_bytes,
             grpc::CallbackServerContext* context, v1::UploadResponse* response);

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // The next step, on the arena: spool `chunk_`, or finish the upload.
  void Spool();
  // The header's bytes are admitted (or refused).
  void Admitted(absl::StatusOr<Admission::Ticket> ticket);
  void Complete();
  void End(const absl::Status& status);

  CallContext env_;
  UploadStore* uploads_;
  int64_t max_message_bytes_;
  grpc::CallbackServerContext* context_;
  v1::UploadResponse* response_;
  v1::UploadChunk chunk_;
  std::unique_ptr<UploadStore::Writer> writer_;
  int64_t bytes_ = 0;
  std::atomic<bool> cancelled_{false};
  Admission::Ticket ticket_;
  // Set while the admission is waiting (OnCancel cancels it).
  std::atomic<uint64_t> admission_id_{0};
  std::atomic<bool> admitted_{false};  // the admission answered
  absl::Status status_;
  std::optional<ServerMetrics::Request> timing_;
  LiveCall live_;
};

// UploadWorkingSetBytes() is what an upload of `announced_bytes` holds in
// memory at most: one message of its stream (no larger than the samples
// nor than `max_message_bytes`), as gRPC received it and as parsed while
// the parsed bytes grow: 2.5x the message.
int64_t UploadWorkingSetBytes(int64_t announced_bytes, int64_t max_message_bytes);

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_UPLOAD_CALL_H_
