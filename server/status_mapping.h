// File: status_mapping.h
//
// What a client sees of an error. The canonical codes of absl::Status and
// grpc::Status are the same numbers; the message is made public first:
// paths under the server's own directories (data roots, the upload spool)
// are shown relative to them, so errors never reveal the server's layout,
// and the message is capped, so a long client-chosen path cannot push the
// status past the client's metadata limit (where it would surface as a
// different error). RESOURCE_EXHAUSTED carries gRPC's retry pushback.
//
// Example:
//   StatusMapper mapper({"/srv/data"}, {{"/tmp/spool", "upload "}});
//   return mapper.ToGrpc(status, context);
#ifndef NEUROFEAT_SERVER_STATUS_MAPPING_H_
#define NEUROFEAT_SERVER_STATUS_MAPPING_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace neurofeat::server {

// NeverFits() marks a RESOURCE_EXHAUSTED that retrying cannot cure (a
// request larger than the whole budget, an upload over the limit): the
// client gets gRPC's "do not retry" pushback (-1) instead of "in 1 s".
absl::Status NeverFits(absl::Status status);

// kMaxErrorMessageBytes: gRPC carries the message in a trailer, and clients
// refuse trailers over 8 KiB by default; percent-encoding can triple bytes.
inline constexpr size_t kMaxErrorMessageBytes = 1024;

class StatusMapper {
 public:
  StatusMapper() = default;
  // `roots`: directories whose prefix is removed ("/srv/data/sub/x.npy" ->
  // "sub/x.npy"). `renamed`: directories replaced by a label.
  StatusMapper(std::vector<std::string> roots,
               std::vector<std::pair<std::string, std::string>> renamed);

  // PublicMessage() is `message` with private directories hidden and at
  // most kMaxErrorMessageBytes long (cut on a UTF-8 boundary, marked).
  std::string PublicMessage(absl::string_view message) const;

  // ToGrpc() keeps the code; `context` (may be null) gets the retry
  // pushback for RESOURCE_EXHAUSTED.
  grpc::Status ToGrpc(const absl::Status& status, grpc::ServerContextBase* context) const;

 private:
  std::vector<std::pair<std::string, std::string>> replacements_;  // prefix/ -> label
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_STATUS_MAPPING_H_
