// neurofeatd: the neurofeat gRPC server. main() only parses flags into
// ServerOptions (server_options.h documents each) and calls RunServer().
//
//   neurofeatd --listen 127.0.0.1:50051 --data-root /data [--threads N]
//              [--memory-budget 4GiB] [--max-queue 16] [--tls-cert C --tls-key K]
#include <malloc.h>
#include <signal.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cmdline/args.h"
#include "core/exec/memory_limits.h"
#include "core/status_macros.h"
#include "server/run_server.h"
#include "server/server_options.h"

namespace neurofeat::server {
namespace {

const ArgParser& Parser() {
  static const ArgParser parser(
      "neurofeatd",
      {{"listen", true, "HOST:PORT to serve on. Default 127.0.0.1:50051 (port 0: any free port)"},
       {"data-root", true, "a directory whose files requests may read (repeatable)", true},
       {"threads", true, "cap on compute threads (min with cgroup quota, Slurm, affinity)"},
       {"memory-budget", true,
        "working-set budget for requests, e.g. 4GiB (min with what cgroup/Slurm allow)"},
       {"max-queue", true, "requests waiting for memory beyond the running ones. Default 16"},
       {"queue-timeout", true, "longest wait for memory, e.g. 30s. Default 30s"},
       {"max-message-bytes", true, "largest gRPC message in or out. Default 64MiB"},
       {"upload-dir", true,
        "where uploads are spooled, in a neurofeatd-<pid>-<random> directory of this server's "
        "own (spools of killed servers found there are removed at start). Default $TMPDIR"},
       {"max-upload-bytes", true, "largest upload. Default 16GiB"},
       {"max-spool-bytes", true, "largest total of uploads held at once. Default 64GiB"},
       {"upload-ttl", true,
        "how long an upload stays usable (then its file is deleted), e.g. 1h. Default 1h"},
       {"tls-cert", true, "PEM server certificate (enables TLS; needs --tls-key)"},
       {"tls-key", true, "PEM private key"},
       {"tls-client-ca", true, "PEM CA: require and verify client certificates (mutual TLS)"},
       {"grace-period", true, "time in-flight requests get on SIGTERM, e.g. 30s. Default 30s"},
       {"drain-notice", true,
        "on SIGTERM, how long health says NOT_SERVING with the port still open before it "
        "closes, even when nothing is in flight (load balancers stop sending). Default 2s"},
       {"port-file", true, "write the bound port to this file once serving"},
       {"cache-dir", true, "result cache (RocksDB). Default $XDG_CACHE_HOME/neurofeat"},
       {"cache-max-bytes", true, "cache size cap, oldest data evicted first. Default 1GiB"},
       {"cache-ttl", true, "drop cached results older than this, e.g. 7d or 3600s. Default never"},
       {"no-cache", false, "run without the result cache"},
       {"keep-memory-at-rest", false,
        "keep freed memory in the process when idle. Default: 1 s after the last request the "
        "buffer pool is emptied and malloc_trim(0) gives free pages back to the kernel"},
       {"malloc-mmap-threshold", true,
        "blocks of this size and more are mapped and unmapped, not kept in malloc's heaps (0: "
        "glibc's dynamic threshold, at most 32MiB). Default 1MiB"},
       {"malloc-arenas", true,
        "glibc malloc arenas (0: glibc's default, 8 per core). Default: one per compute thread, "
        "at least 2"},
       {"metrics-listen", true, "HOST:PORT for Prometheus /metrics (port 0: any). Default off"},
       {"metrics-port-file", true, "write the metrics port to this file"},
       {"help", false, "show this help"}});
  return parser;
}

absl::Status Bytes(const ParsedArgs& args, const std::string& flag, int64_t* out) {
  auto v = args.GetOptional(flag);
  if (!v.has_value()) return absl::OkStatus();
  std::optional<int64_t> b = ParseByteSize(*v);
  if (!b.has_value() || *b <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", *v, " is not a size such as 512MiB"));
  }
  *out = *b;
  return absl::OkStatus();
}

template <typename Duration>
absl::Status Time(const ParsedArgs& args, const std::string& flag, Duration* out,
                  bool allow_zero = false) {
  auto v = args.GetOptional(flag);
  if (!v.has_value()) return absl::OkStatus();
  NF_ASSIGN_OR_RETURN(double seconds, ParseDurationSeconds(*v, flag, allow_zero));
  *out = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  return absl::OkStatus();
}

absl::Status Count(const ParsedArgs& args, const std::string& flag, int64_t min, int* out) {
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> v, args.GetInt(flag));
  if (!v.has_value()) return absl::OkStatus();
  if (*v < min || *v > (int64_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", *v, " must be in [", min, ", 1048576]"));
  }
  *out = static_cast<int>(*v);
  return absl::OkStatus();
}

absl::StatusOr<ServerOptions> OptionsFromFlags(const ParsedArgs& args) {
  ServerOptions o;
  o.listen = args.GetOptional("listen").value_or(o.listen);
  o.port_file = args.GetOptional("port-file").value_or("");
  o.tls_cert_file = args.GetOptional("tls-cert").value_or("");
  o.tls_key_file = args.GetOptional("tls-key").value_or("");
  o.tls_client_ca_file = args.GetOptional("tls-client-ca").value_or("");
  o.data_roots = args.GetAll("data-root");
  o.upload_dir = args.GetOptional("upload-dir").value_or("");
  NF_RETURN_IF_ERROR(Bytes(args, "max-upload-bytes", &o.max_upload_bytes));
  NF_RETURN_IF_ERROR(Bytes(args, "max-spool-bytes", &o.max_spool_bytes));
  NF_RETURN_IF_ERROR(Time(args, "upload-ttl", &o.upload_ttl));
  NF_RETURN_IF_ERROR(Bytes(args, "max-message-bytes", &o.max_message_bytes));
  if (args.Has("threads")) {
    int threads = 0;
    NF_RETURN_IF_ERROR(Count(args, "threads", 1, &threads));
    o.threads = threads;
  }
  if (args.Has("memory-budget")) {
    int64_t budget = 0;
    NF_RETURN_IF_ERROR(Bytes(args, "memory-budget", &budget));
    o.memory_budget_bytes = budget;
  }
  NF_RETURN_IF_ERROR(Count(args, "max-queue", 0, &o.max_queue));
  NF_RETURN_IF_ERROR(Time(args, "queue-timeout", &o.queue_timeout));
  o.cache_dir = args.GetOptional("cache-dir").value_or("");
  NF_RETURN_IF_ERROR(Bytes(args, "cache-max-bytes", &o.cache_max_bytes));
  NF_RETURN_IF_ERROR(Time(args, "cache-ttl", &o.cache_ttl));
  o.no_cache = args.Has("no-cache");
  o.keep_memory_at_rest = args.Has("keep-memory-at-rest");
  if (auto v = args.GetOptional("malloc-mmap-threshold"); v.has_value()) {
    if (*v == "0") {
      o.malloc_mmap_threshold_bytes = 0;
    } else {
      NF_RETURN_IF_ERROR(Bytes(args, "malloc-mmap-threshold", &o.malloc_mmap_threshold_bytes));
      if (o.malloc_mmap_threshold_bytes > (int64_t{32} << 20)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--malloc-mmap-threshold=", *v, " is over glibc's limit of 32MiB"));
      }
    }
  }
  if (args.Has("malloc-arenas")) {
    int arenas = 0;
    NF_RETURN_IF_ERROR(Count(args, "malloc-arenas", 0, &arenas));
    o.malloc_arenas = arenas;
  }
  o.metrics_listen = args.GetOptional("metrics-listen").value_or("");
  o.metrics_port_file = args.GetOptional("metrics-port-file").value_or("");
  NF_RETURN_IF_ERROR(Time(args, "grace-period", &o.grace_period));
  NF_RETURN_IF_ERROR(Time(args, "drain-notice", &o.drain_notice, /*allow_zero=*/true));
  return o;
}

}  // namespace
}  // namespace neurofeat::server

int main(int argc, char** argv) {
  using neurofeat::server::Parser;
  // Block the stop signals in every thread (threads inherit the mask); the
  // server takes them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A full disk (or a file-size limit) must fail a write, not kill the server.
  signal(SIGXFSZ, SIG_IGN);
  // Large blocks (chunks, messages) are allocated on arena threads and freed
  // on gRPC threads; with glibc's adaptive mmap threshold they would come
  // from per-thread heaps that do not shrink, and the resident size would
  // drift far above what admission accounts for (a 2 GiB stream to a slow
  // reader: 510 MiB instead of 140-220 MiB). A fixed threshold maps every
  // large block on its own and returns it to the kernel when freed. It sits
  // above 1 MiB because gRPC serializes a large message into 1 MiB slices:
  // at exactly 1 MiB each slice would be a fresh mapping, page-faulted
  // anew for every message. The blocks that are large and frequent (sample
  // buffers, response messages) are recycled by BufferPool and StreamCall.
  mallopt(M_MMAP_THRESHOLD, 2 << 20);
  absl::StatusOr<neurofeat::ParsedArgs> args = Parser().Parse(argc, argv, 1);
  if (!args.ok()) {
    std::fprintf(stderr, "neurofeatd: error: %s\n%s", std::string(args.status().message()).c_str(),
                 Parser().Usage().c_str());
    return 2;
  }
  if (args->Has("help")) {
    std::printf("%s", Parser().Usage().c_str());
    return 0;
  }
  absl::StatusOr<neurofeat::server::ServerOptions> options =
      neurofeat::server::OptionsFromFlags(*args);
  absl::Status s = options.ok() ? neurofeat::server::RunServer(*options) : options.status();
  if (!s.ok()) {
    std::fprintf(stderr, "neurofeatd: error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
