// File: replicas.h
//
// Replicas: several neurofeatd servers behind one target. A target is
// "HOST:PORT", a list "HOST:PORT,HOST:PORT,...", or "dns:///NAME:PORT"
// (every address NAME resolves to: a Kubernetes headless Service lists its
// ready pods; the list is resolved again while the client runs, so replicas
// added or removed are picked up).
//
// Each replica keeps its own result cache, so a recording is sent where its
// results may already be: the replica its key ranks first by rendezvous
// (highest-random-weight) hashing. A refusal (UNAVAILABLE: down, draining,
// unreachable; RESOURCE_EXHAUSTED: busy) hands the work to the replica the
// key ranks next, and once all have refused, the caller backs off (the
// server's pushback, or exponential with jitter) within a budget
// (retry_policy.h). Removing a replica moves only the keys it ranked first
// to their next replica; adding one takes from each the keys it now ranks
// first (about 1/n of them). Calls without a recording (an empty key: info,
// features, a BIDS plan) go to the replicas in turn.
//
// The unit is a piece of work, not a connection or an RPC: a recording's
// upload and the request that reads it meet on the same server.
//
// Placement keys (what is hashed, the same in the Python client,
// client/python/neurofeat/_replicas.py):
// - A file the server reads: "path:" + the v1::FileFormat name as sent +
//   ":" + the path as sent, e.g. "path:EDF:sub-01/eeg/sub-01_task-rest_eeg.edf"
//   (the client cannot see the file's size or mtime; the server's cache key
//   covers the content).
// - An upload of a local file: "sha256:" + the lowercase hex SHA-256 of the
//   whole file's bytes as it lies on disk (a .npy with its header; for a
//   multi-file format, the file named: a BrainVision .vhdr, not its .eeg).
// - Samples sent inline or uploaded from memory (Python arrays):
//   "sha256:" + the hex SHA-256 of the array's bytes as sent (C order,
//   little-endian), without dtype or shape.
// A replica's weight for a key is the first 8 bytes, big-endian, of
// SHA-256(address + "\n" + key), where address is the replica's "HOST:PORT"
// as listed or resolved; the highest weight ranks first (ties: the smaller
// address).
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto replicas, Replicas::Connect(options));
//   absl::Status s = replicas->Call(ServerPathKey(path, format),
//                                   [&](NeurofeatClient& c, CallDetails* d) {
//                                     return c.Extract(request, on_message, d);
//                                   });
#ifndef NEUROFEAT_CLIENT_LIB_REPLICAS_H_
#define NEUROFEAT_CLIENT_LIB_REPLICAS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/lib/neurofeat_client.h"
#include "client/lib/retry_policy.h"
#include "core/mutex.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

// ResolveTargets() returns the HOST:PORT addresses a target names. Errors:
// InvalidArgument naming the malformed entry; NotFound when a dns:/// name
// does not resolve.
absl::StatusOr<std::vector<std::string>> ResolveTargets(const std::string& target);

// ---------------------------------------------------------------------------
// Placement keys and rendezvous ranking
// ---------------------------------------------------------------------------

// ServerPathKey() is the key of a file the server reads: "path:" +
// v1::FileFormat_Name(format) + ":" + path.
//
// Example: ServerPathKey("rec0.npy", v1::FILE_FORMAT_AUTO) ==
//          "path:FILE_FORMAT_AUTO:rec0.npy"
std::string ServerPathKey(absl::string_view path, v1::FileFormat format);

// BytesKey() is the key of samples sent from memory: "sha256:" + the
// lowercase hex SHA-256 of `bytes`.
std::string BytesKey(absl::string_view bytes);

// LocalFileKey() is the key of a local file that is uploaded: BytesKey() of
// its whole content, read in pieces. Errors: NotFound naming the path when
// it cannot be opened or read.
absl::StatusOr<std::string> LocalFileKey(const std::string& path);

// RendezvousWeight() is replica `address`'s weight for `key`: the first 8
// bytes, big-endian, of SHA-256(address + "\n" + key).
uint64_t RendezvousWeight(absl::string_view address, absl::string_view key);

// RankReplicas() is the indices of `addresses` in the order `key` prefers
// them: by weight, highest first (ties: the smaller address first).
std::vector<size_t> RankReplicas(const std::vector<std::string>& addresses, absl::string_view key);

// ---------------------------------------------------------------------------
// Replicas
// ---------------------------------------------------------------------------

// How recordings are spread over the replicas.
enum class Placement {
  // By rendezvous hashing on the recording's key (above).
  kRendezvous,
  // In turn, whatever the key (the behaviour before keys; kept for
  // comparison: `neurofeat --placement round-robin`).
  kRoundRobin,
};

// ReplicasOptions: how the replica set is kept; per process, fixed at
// Connect().
struct ReplicasOptions {
  // Default: kRendezvous.
  Placement placement = Placement::kRendezvous;

  // A dns:/// target is resolved again when its list is older than this.
  // Default: 10 s.
  std::chrono::milliseconds refresh_interval{10000};
  // ...and sooner after a replica was unreachable (it may be gone), but not
  // more often than this. Default: 1 s.
  std::chrono::milliseconds unreachable_refresh_interval{1000};
  // After a replica was unreachable it is tried after the others for this
  // long (so that a dead replica does not cost a connection attempt per
  // call). Default: 3 s.
  std::chrono::milliseconds unreachable_skip{3000};

  // target -> addresses. Default (empty): ResolveTargets(). Tests inject a
  // resolver they control.
  std::function<absl::StatusOr<std::vector<std::string>>(const std::string& target)> resolve;
  // The clock of re-resolution and of skipping unreachable replicas (not
  // of the retry budget or backoff, which really wait). Default (empty):
  // std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

class Replicas {
 public:
  // Connect() resolves `client_options.target` (as above); the other client
  // options apply to every replica. Errors: ResolveTargets()'s; a replica
  // channel's.
  static absl::StatusOr<std::unique_ptr<Replicas>> Connect(const ClientOptions& client_options,
                                                           ReplicasOptions options = {});

  // The replicas as last resolved. A reference from client() stays valid
  // until a later Call() resolves a dns:/// target again without that
  // replica: use these before calls, or for calls not made through Call().
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  std::string address(size_t i) const ABSL_LOCKS_EXCLUDED(mu_);
  NeurofeatClient& client(size_t i) ABSL_LOCKS_EXCLUDED(mu_);

  // UsesKeys() says whether a call's key decides anything: rendezvous
  // placement over several replicas, or over a dns:/// name that may come
  // to list several. Otherwise a caller need not compute keys (an upload's
  // key reads the whole file).
  bool UsesKeys() const ABSL_LOCKS_EXCLUDED(mu_);

  // Preference() is the addresses a call with `key` tries, in order, as of
  // now (rendezvous rank; replicas unreachable lately last). An empty key,
  // or round-robin placement, gives the next turn's order.
  std::vector<std::string> Preference(absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);

  // One attempt on one replica; fills `details` (the server's pushback).
  using Attempt = std::function<absl::Status(NeurofeatClient& client, CallDetails* details)>;

  // Call() runs `attempt` on the replica `key` ranks first (an empty key:
  // the next in turn) and, while it is refused, on the ones ranked next,
  // backing off after each round, as the retry policy says
  // (retry_policy.h), until it succeeds, fails otherwise, or the budget
  // would be exceeded (then the last refusal is returned). A dns:/// target
  // is resolved again before a round when it is due (ReplicasOptions).
  // `attempt` must start its work afresh each time (upload again: an
  // unknown upload is retried). Thread-safe.
  absl::Status Call(absl::string_view key, const Attempt& attempt) {
    return Call(key, attempt, retry_.budget);
  }
  // The same within another budget than the policy's.
  absl::Status Call(absl::string_view key, const Attempt& attempt,
                    std::chrono::milliseconds budget);
  // Without a key: in turn.
  absl::Status Call(const Attempt& attempt) { return Call({}, attempt, retry_.budget); }
  absl::Status Call(const Attempt& attempt, std::chrono::milliseconds budget) {
    return Call({}, attempt, budget);
  }

 private:
  struct Replica {
    std::string address;
    std::unique_ptr<NeurofeatClient> client;
    // Clock ticks (ReplicasOptions::now) until which the replica is tried
    // last.
    std::atomic<int64_t> skip_until{0};
  };
  using Members = std::vector<std::shared_ptr<Replica>>;

  Replicas(std::string target, ClientOptions client_options, ReplicasOptions options,
           Members members);

  static absl::StatusOr<Members> Build(const std::vector<std::string>& addresses,
                                       const ClientOptions& client_options, const Members& old);
  int64_t Now() const;
  // The current members, resolved again first when due.
  std::shared_ptr<const Members> Current() ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const Members> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // The order in which a call with `key` tries `members`; `turn` starts
  // the round-robin order.
  std::vector<size_t> Order(const Members& members, absl::string_view key, size_t turn);
  void MarkUnreachable(Replica& replica) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string target_;
  const ClientOptions client_options_;
  const ReplicasOptions options_;
  const RetryPolicy retry_;
  // Whether the target is resolved again (dns:).
  const bool dynamic_;
  std::atomic<size_t> next_{0};

  mutable Mutex mu_;
  std::shared_ptr<const Members> members_ ABSL_GUARDED_BY(mu_);
  int64_t resolved_at_ ABSL_GUARDED_BY(mu_) = 0;
  bool resolving_ ABSL_GUARDED_BY(mu_) = false;
  bool unreachable_since_resolved_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_LIB_REPLICAS_H_
