#include "server/upload_call.h"

#include "absl/strings/str_cat.h"
#include "api/dtype_convert.h"
#include "core/checked_math.h"
#include "core/exec/compute_arena.h"

namespace neurofeat::server {

int64_t UploadWorkingSetBytes(int64_t announced_bytes, int64_t max_message_bytes) {
  // The message as gRPC received it, and as parsed: protobuf grows the
  // parsed bytes as it reads them, so a reallocation briefly holds more
  // than the message (measured up to 2.25x for a 12 MiB message).
  const int64_t message = std::min(announced_bytes, max_message_bytes);
  return SaturatingMul(message, 5) / 2;
}

UploadCall::UploadCall(const CallContext& env, UploadStore* uploads, int64_t max_message_bytes,
                       grpc::CallbackServerContext* context, v1::UploadResponse* response)
    : env_(env),
      uploads_(uploads),
      max_message_bytes_(max_message_bytes),
      context_(context),
      response_(response),
      live_(env.live_calls) {
  if (env.metrics != nullptr) timing_.emplace(*env.metrics, "Upload");
  if (uploads_ == nullptr) {
    End(absl::FailedPreconditionError("uploads are disabled on this server"));
    return;
  }
  StartRead(&chunk_);
}

void UploadCall::OnReadDone(bool ok) {
  if (!ok) {
    // The client finished sending (or went away).
    SubmitToArena([this] { Complete(); });
    return;
  }
  SubmitToArena([this] { Spool(); });
}

void UploadCall::Spool() {
  if (cancelled_) return End(Abandoned(context_));
  if (writer_ == nullptr) {
    if (chunk_.part_case() != v1::UploadChunk::kHeader) {
      return End(
          absl::InvalidArgumentError("upload: the first message must be a header (dtype, shape)"));
    }
    absl::StatusOr<SampleType> type =
        api::ToSampleType(chunk_.header().dtype(), "upload.header.dtype");
    if (!type.ok()) return End(type.status());
    const std::vector<int64_t> shape(chunk_.header().shape().begin(),
                                     chunk_.header().shape().end());
    absl::StatusOr<std::unique_ptr<UploadStore::Writer>> writer =
        uploads_->Begin(api::ToNpyDtype(*type), shape);
    if (!writer.ok()) return End(writer.status());
    writer_ = *std::move(writer);
    const int64_t bytes =
        CallWorkingSet(UploadWorkingSetBytes(writer_->expected_bytes(), max_message_bytes_));
    if (env_.metrics != nullptr) env_.metrics->WorkingSet("Upload", bytes);
    // The answer may come at once (on this thread) or when memory frees.
    const uint64_t id = env_.admission->AdmitAsync(
        bytes, [this](absl::StatusOr<Admission::Ticket> t) { Admitted(std::move(t)); });
    // Still waiting unless Admitted() already ran: OnCancel may cancel it
    // (an id left behind by a race is unknown to Cancel(), a no-op).
    if (!admitted_.load()) admission_id_.store(id);
    return;
  } else {
    if (chunk_.part_case() != v1::UploadChunk::kData) {
      return End(absl::InvalidArgumentError("upload: only the first message is a header"));
    }
    const absl::Status s = writer_->Append(chunk_.data().data(), chunk_.data().size());
    if (!s.ok()) return End(s);
    bytes_ += static_cast<int64_t>(chunk_.data().size());
  }
  StartRead(&chunk_);
}

void UploadCall::Admitted(absl::StatusOr<Admission::Ticket> ticket) {
  admitted_ = true;
  admission_id_ = 0;
  if (env_.metrics != nullptr && !ticket.ok()) env_.metrics->Rejected(ticket.status());
  if (!ticket.ok()) return End(ticket.status());
  if (cancelled_) return End(Abandoned(context_));
  ticket_ = *std::move(ticket);
  StartRead(&chunk_);
}

void UploadCall::OnCancel() {
  cancelled_ = true;
  const uint64_t waiting = admission_id_.exchange(0);
  if (waiting != 0) env_.admission->Cancel(waiting);
}

void UploadCall::Complete() {
  if (cancelled_) return End(Abandoned(context_));
  if (writer_ == nullptr) {
    return End(
        absl::InvalidArgumentError("upload: the first message must be a header (dtype, shape)"));
  }
  absl::StatusOr<std::string> id = writer_->Finish();
  if (!id.ok()) return End(id.status());
  response_->set_upload_id(*id);
  response_->set_bytes(bytes_);
  End(absl::OkStatus());
}

void UploadCall::End(const absl::Status& status) {
  status_ = status;
  ticket_ = Admission::Ticket();
  Finish(env_.errors->ToGrpc(status, context_));
}

void UploadCall::OnDone() {
  if (timing_.has_value()) timing_->Finish(status_);
  delete this;
}

}  // namespace neurofeat::server
