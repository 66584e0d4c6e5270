// File: server_options.h
//
// ServerOptions: everything neurofeatd can be told, as one plain struct
// (main() fills it from flags; tests and embedders fill it directly) and
// RunServer() takes. Each field says what it does and its default.
#ifndef NEUROFEAT_SERVER_SERVER_OPTIONS_H_
#define NEUROFEAT_SERVER_SERVER_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace neurofeat::server {

struct ServerOptions {
  // ---- Where it listens ----------------------------------------------------
  // HOST:PORT of the gRPC service; port 0 picks a free port.
  // Default: 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // Written with the bound port once serving (atomically: tmp + rename).
  // Default: none.
  std::string port_file;
  // PEM server certificate and key: TLS. With a client CA, clients must
  // present a certificate it signed (mutual TLS). Default: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;

  // ---- What requests may read ------------------------------------------------
  // Directories whose files requests may name. Default: none (every path is
  // refused; inline samples and uploads still work).
  std::vector<std::string> data_roots;
  // Where uploads are spooled: the server makes its own directory in it,
  // neurofeatd-<pid>-<random> (mode 0700), removes it on a clean stop, and
  // at start removes the ones processes killed without a clean stop left
  // there (see upload_store.h). Default: $TMPDIR (or /tmp).
  std::string upload_dir;
  // Largest single upload. Default: 16 GiB.
  int64_t max_upload_bytes = int64_t{16} << 30;
  // Largest total of uploads held at once. Default: 64 GiB.
  int64_t max_spool_bytes = int64_t{64} << 30;
  // How long a finished upload stays usable; its file is deleted within a
  // second after. Default: 1 h.
  std::chrono::seconds upload_ttl{3600};
  // Largest gRPC message in or out (< 2 GiB). Default: 64 MiB.
  int64_t max_message_bytes = int64_t{64} << 20;

  // ---- How much it may use -----------------------------------------------------
  // Cap on compute threads; the smallest of this, the cgroup CPU quota,
  // SLURM_CPUS_PER_TASK and the affinity mask is used. Default: none.
  std::optional<int> threads;
  // Working-set budget of admitted requests; the smallest of this and what
  // the cgroup / Slurm / machine memory allows (minus a reserve) is used.
  // Default: none.
  std::optional<int64_t> memory_budget_bytes;
  // Requests that may wait for memory beyond the running ones. Default: 16.
  int max_queue = 16;
  // Longest wait for memory before RESOURCE_EXHAUSTED. Default: 30 s.
  std::chrono::milliseconds queue_timeout{30000};
  // Chunks of a Preprocess stream computed ahead of the one being written
  // (each counts in the request's working set). Default: 2.
  int preprocess_chunks_ahead = 2;

  // ---- Result cache --------------------------------------------------------------
  // RocksDB directory; empty: $XDG_CACHE_HOME/neurofeat. Default: empty.
  std::string cache_dir;
  // Size cap (oldest data evicted first). Default: 1 GiB.
  int64_t cache_max_bytes = int64_t{1} << 30;
  // Entries older than this are dropped; 0: never. Default: 0.
  std::chrono::seconds cache_ttl{0};
  // Run without the cache. Default: false.
  bool no_cache = false;

  // ---- Memory at rest -------------------------------------------------------------
  // Keep freed memory in the process when idle. Default: false (1 s after
  // the last request the buffer pool is emptied and malloc_trim(0) runs).
  bool keep_memory_at_rest = false;
  // glibc malloc arenas; 0: glibc's default (8 per core). Default: one per
  // compute thread, at least 2.
  std::optional<int> malloc_arenas;
  // Blocks of this size and more are mapped and unmapped by malloc, not kept
  // in its heaps; 0: glibc's dynamic threshold. Default: 1 MiB.
  int64_t malloc_mmap_threshold_bytes = int64_t{1} << 20;

  // ---- Metrics --------------------------------------------------------------------
  // HOST:PORT for Prometheus /metrics (port 0: any); empty: off.
  // Default: off.
  std::string metrics_listen;
  // Written with the metrics port. Default: none.
  std::string metrics_port_file;

  // ---- Stopping ---------------------------------------------------------------------
  // On SIGTERM/SIGINT, how long running requests get to finish.
  // Default: 30 s.
  std::chrono::milliseconds grace_period{30000};
  // On SIGTERM/SIGINT, how long health reports NOT_SERVING with the port
  // open, even with nothing in flight, so load balancers stop sending.
  // Default: 2 s.
  std::chrono::milliseconds drain_notice{2000};
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_SERVER_OPTIONS_H_
