// absl::Status <-> grpc::Status for every canonical code, both ways.
#include "api/status_convert.h"

#include "gtest/gtest.h"

namespace neurofeat::api {
namespace {

struct CodePair {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

const CodePair kCodes[] = {
    {absl::StatusCode::kOk, grpc::StatusCode::OK},
    {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
    {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
    {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
    {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
    {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
    {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
    {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
    {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
    {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
    {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
    {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
    {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
    {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
    {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
    {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
    {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
};

TEST(StatusConvertTest, EveryCodeMapsToItsNamesakeAndBack) {
  for (const CodePair& c : kCodes) {
    SCOPED_TRACE(absl::StatusCodeToString(c.absl_code));
    const std::string message = c.absl_code == absl::StatusCode::kOk ? "" : "field x: bad";
    const grpc::Status g = ToGrpcStatus(absl::Status(c.absl_code, message));
    EXPECT_EQ(g.error_code(), c.grpc_code);
    EXPECT_EQ(g.error_message(), message);
    const absl::Status back = FromGrpcStatus(grpc::Status(c.grpc_code, message));
    EXPECT_EQ(back.code(), c.absl_code);
    EXPECT_EQ(back.message(), message);
  }
  EXPECT_EQ(sizeof(kCodes) / sizeof(kCodes[0]), 17u);
}

TEST(StatusConvertTest, ACodeOutsideTheCanonicalRangeIsUnknown) {
  // 31: past the 17 canonical codes but inside grpc::StatusCode's range of
  // values (-32..31: its enumerators run from -1 to 16), so building the
  // status is defined behaviour.
  const absl::Status s =
      FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(31), "from a buggy peer"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "from a buggy peer");
}

}  // namespace
}  // namespace neurofeat::api
