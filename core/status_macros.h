// File: status_macros.h
//
// NF_RETURN_IF_ERROR and NF_ASSIGN_OR_RETURN: early return on a non-OK
// absl::Status / absl::StatusOr. Abseil 20220623 (Debian 12) has no
// status_macros.h, so we keep these two small ones.
//
// Example:
//   NF_ASSIGN_OR_RETURN(Traces t, source.GetTraces(0, 100));
//   NF_RETURN_IF_ERROR(Validate(t));
#ifndef NEUROFEAT_CORE_STATUS_MACROS_H_
#define NEUROFEAT_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define NF_STATUS_CONCAT_INNER_(a, b) a##b
#define NF_STATUS_CONCAT_(a, b) NF_STATUS_CONCAT_INNER_(a, b)

#define NF_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status nf_status_ = (expr);      \
    if (!nf_status_.ok()) return nf_status_; \
  } while (false)

#define NF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#define NF_ASSIGN_OR_RETURN(lhs, rexpr) \
  NF_ASSIGN_OR_RETURN_IMPL_(NF_STATUS_CONCAT_(nf_statusor_, __LINE__), lhs, rexpr)

#endif  // NEUROFEAT_CORE_STATUS_MACROS_H_
