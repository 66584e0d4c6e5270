// File: retry_policy.h
//
// RetryPolicy: how every client of neurofeatd retries, written once (the
// C++ library and the CLI use it; the Python client, client/python/
// neurofeat/_retry.py, implements the same numbers and rules):
//
// - The unit of retry is one piece of work on one replica: a recording's
//   upload (if any) and the request that reads it. A retry starts the unit
//   afresh, uploading again: uploads belong to one server process.
// - Retried: UNAVAILABLE (down, draining, unreachable), RESOURCE_EXHAUSTED
//   (busy) unless the server's pushback is negative ("never": the request is
//   larger than its whole budget), and NOT_FOUND on recording.upload_id (the
//   server does not know the upload: it restarted, or another replica holds
//   it). Everything else is the answer.
// - Waits: the server's pushback when it sends one, else exponential
//   backoff with jitter (from 100 ms, doubling, at most 5 s, each wait a
//   uniform draw from [half, all] of the step); an unknown upload is retried
//   at once.
// - The budget bounds the whole call, waits and attempts together: no wait
//   that would end past it is started; the last refusal is returned.
//   Default 300 s.
//
// Example:
//   RetryPolicy p;
//   p.budget = std::chrono::seconds(30);
//   options.retry = p;
#ifndef NEUROFEAT_CLIENT_LIB_RETRY_POLICY_H_
#define NEUROFEAT_CLIENT_LIB_RETRY_POLICY_H_

#include <chrono>

#include "absl/status/status.h"

namespace neurofeat::client {

struct RetryPolicy {
  // The whole call's time, attempts and waits together. Default: 300 s.
  std::chrono::milliseconds budget{300000};
  // The first backoff step; it doubles up to `max_backoff`. Defaults:
  // 100 ms and 5 s.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

// IsRefusal(): the codes another replica, or a later try, may not return
// (UNAVAILABLE, RESOURCE_EXHAUSTED).
bool IsRefusal(const absl::Status& status);

// IsUnknownUpload(): NOT_FOUND for recording.upload_id: upload again.
bool IsUnknownUpload(const absl::Status& status);

// IsRetryable(): a refusal or an unknown upload.
inline bool IsRetryable(const absl::Status& status) {
  return IsRefusal(status) || IsUnknownUpload(status);
}

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_LIB_RETRY_POLICY_H_
