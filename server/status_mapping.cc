#include "server/status_mapping.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_replace.h"
#include "api/status_convert.h"

namespace neurofeat::server {

StatusMapper::StatusMapper(std::vector<std::string> roots,
                           std::vector<std::pair<std::string, std::string>> renamed) {
  for (std::string& root : roots) {
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    replacements_.emplace_back(root + "/", "");
  }
  for (auto& [dir, label] : renamed) {
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    replacements_.emplace_back(d + "/", label);
  }
  // Longest first, so a root inside another is removed whole.
  std::sort(replacements_.begin(), replacements_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::string StatusMapper::PublicMessage(absl::string_view message) const {
  std::string out(message);
  if (!replacements_.empty()) out = absl::StrReplaceAll(out, replacements_);
  if (out.size() > kMaxErrorMessageBytes) {
    static constexpr absl::string_view kCut = " ... (message cut)";
    size_t keep = kMaxErrorMessageBytes - kCut.size();
    // Never cut a UTF-8 sequence: back off continuation bytes.
    while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80) --keep;
    out.resize(keep);
    out.append(kCut.data(), kCut.size());
  }
  return out;
}

namespace {
constexpr char kNeverFitsPayload[] = "type.neurofeat.dev/never-fits";
}  // namespace

absl::Status NeverFits(absl::Status status) {
  status.SetPayload(kNeverFitsPayload, absl::Cord("1"));
  return status;
}

grpc::Status StatusMapper::ToGrpc(const absl::Status& status,
                                  grpc::ServerContextBase* context) const {
  if (status.ok()) return grpc::Status::OK;
  if (absl::IsResourceExhausted(status) && context != nullptr) {
    // gRPC's retry-pushback convention: when to try again; negative: never.
    const bool never = status.GetPayload(kNeverFitsPayload).has_value();
    context->AddTrailingMetadata("grpc-retry-pushback-ms", never ? "-1" : "1000");
  }
  return api::ToGrpcStatus(absl::Status(status.code(), PublicMessage(status.message())));
}

}  // namespace neurofeat::server
