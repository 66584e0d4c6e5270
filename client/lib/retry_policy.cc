#include "client/lib/retry_policy.h"

#include "absl/strings/match.h"

namespace neurofeat::client {

bool IsRefusal(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kResourceExhausted;
}

bool IsUnknownUpload(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound &&
         absl::StrContains(status.message(), "recording.upload_id");
}

}  // namespace neurofeat::client
