#include "api/status_convert.h"

#include <string>

namespace neurofeat::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int code = static_cast<int>(status.error_code());
  // A code outside the canonical range (a peer's bug) is Unknown, not a
  // number absl does not define.
  const absl::StatusCode mapped =
      code > 0 && code <= 16 ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  return absl::Status(mapped, status.error_message());
}

}  // namespace neurofeat::api
