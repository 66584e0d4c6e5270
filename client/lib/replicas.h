// File: replicas.h
//
// Replicas: several neurofeatd servers behind one target, used round-robin.
// A target is "HOST:PORT", a list "HOST:PORT,HOST:PORT,...", or
// "dns:///NAME:PORT" (every address NAME resolves to: a Kubernetes headless
// Service lists its ready pods). Each piece of work (a recording: its upload
// and its extract) goes to one replica, the next one in turn; a replica
// that refuses it (UNAVAILABLE: down or draining; RESOURCE_EXHAUSTED: busy)
// hands it to the next, and once all have refused, the caller backs off
// (the server's pushback, or exponential with jitter) within a budget.
// Balancing is per piece of work, not per connection or per RPC, so that
// an upload and the request that reads it meet on the same server.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto replicas, Replicas::Connect(options));
//   absl::Status s = replicas->Call([&](NeurofeatClient& c, CallDetails* d) {
//     return c.Extract(request, on_message, d);
//   });
#ifndef NEUROFEAT_CLIENT_LIB_REPLICAS_H_
#define NEUROFEAT_CLIENT_LIB_REPLICAS_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/lib/neurofeat_client.h"
#include "client/lib/retry_policy.h"

namespace neurofeat::client {

// ResolveTargets() returns the HOST:PORT addresses a target names. Errors:
// InvalidArgument naming the malformed entry; NotFound when a dns:/// name
// does not resolve.
absl::StatusOr<std::vector<std::string>> ResolveTargets(const std::string& target);

class Replicas {
 public:
  // `options.target` as above; the other options apply to every replica.
  static absl::StatusOr<std::unique_ptr<Replicas>> Connect(const ClientOptions& options);

  size_t size() const { return clients_.size(); }
  const std::string& address(size_t i) const { return addresses_[i]; }
  NeurofeatClient& client(size_t i) { return *clients_[i]; }

  // One attempt on one replica; fills `details` (the server's pushback).
  using Attempt = std::function<absl::Status(NeurofeatClient& client, CallDetails* details)>;

  // Call() runs `attempt` on the next replica in turn and, while it is
  // refused, on the following ones, backing off after each round, as
  // options.retry says (retry_policy.h), until it succeeds, fails
  // otherwise, or the budget would be exceeded (then the last refusal is
  // returned). `attempt` must start its work afresh each time (upload
  // again: an unknown upload is retried).
  absl::Status Call(const Attempt& attempt) { return Call(attempt, retry_.budget); }
  // The same within another budget than the policy's.
  absl::Status Call(const Attempt& attempt, std::chrono::milliseconds budget);

 private:
  Replicas(std::vector<std::string> addresses,
           std::vector<std::unique_ptr<NeurofeatClient>> clients, RetryPolicy retry);

  // The replica whose turn it is, skipping those that were unreachable in
  // the last few seconds (so that their share spreads over the others
  // instead of all falling to their successor).
  size_t Turn();
  void MarkUnreachable(size_t i);

  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<NeurofeatClient>> clients_;
  RetryPolicy retry_;
  std::atomic<size_t> next_{0};
  // Steady-clock milliseconds until which replica i is skipped.
  std::unique_ptr<std::atomic<int64_t>[]> skip_until_ms_;
};

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_LIB_REPLICAS_H_
