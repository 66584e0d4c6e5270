#include "server/upload_call.h"

#include "absl/strings/str_cat.h"
#include "api/dtype_convert.h"
#include "core/exec/compute_arena.h"

namespace neurofeat::server {

UploadCall::UploadCall(const CallContext& env, UploadStore* uploads,
                       grpc::CallbackServerContext* context, v1::UploadResponse* response)
    : env_(env), uploads_(uploads), context_(context), response_(response), live_(env.live_calls) {
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
  Finish(env_.errors->ToGrpc(status, context_));
}

void UploadCall::OnDone() {
  if (timing_.has_value()) timing_->Finish(status_);
  delete this;
}

}  // namespace neurofeat::server
