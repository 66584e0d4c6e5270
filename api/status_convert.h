// File: status_convert.h
//
// absl::Status <-> grpc::Status. The canonical codes have the same numbers
// in both; the message is kept. The server makes messages public first
// (server/status_mapping.h); clients turn what arrives back into an
// absl::Status with the same code, so `neurofeat` prints what the server
// said and scripts can branch on the code.
//
// Example:
//   return api::ToGrpcStatus(status);                 // server
//   NF_RETURN_IF_ERROR(api::FromGrpcStatus(reply));   // client
#ifndef NEUROFEAT_API_STATUS_CONVERT_H_
#define NEUROFEAT_API_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace neurofeat::api {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_STATUS_CONVERT_H_
