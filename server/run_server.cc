#include "server/run_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/buffer_pool.h"
#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/exec/memory_limits.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "core/version.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/neurofeat_service.h"
#include "server/path_policy.h"
#include "server/status_mapping.h"
#include "server/upload_store.h"

namespace neurofeat::server {
namespace {

void Log(const std::string& line) { std::fprintf(stderr, "neurofeatd: %s\n", line.c_str()); }

// Writes `value` to `path` atomically (readers never see a partial file).
void WritePortFile(const std::string& path, int value) {
  if (path.empty()) return;
  const std::string partial = path + ".partial";
  std::ofstream(partial) << value << "\n";
  std::rename(partial.c_str(), path.c_str());
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty() && o.tls_client_ca_file.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  auto read = [](const std::string& path, const char* flag) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> text = ReadSmallFile(path, int64_t{1} << 20);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "=", path, ": ", text.status().message()));
    }
    return text;
  };
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  NF_ASSIGN_OR_RETURN(pair.cert_chain, read(o.tls_cert_file, "tls-cert"));
  NF_ASSIGN_OR_RETURN(pair.private_key, read(o.tls_key_file, "tls-key"));
  ssl.pem_key_cert_pairs.push_back(pair);
  if (!o.tls_client_ca_file.empty()) {
    NF_ASSIGN_OR_RETURN(ssl.pem_root_certs, read(o.tls_client_ca_file, "tls-client-ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// The result cache, or null (off, or unusable: the server runs uncached).
std::unique_ptr<ResultCache> OpenCache(const ServerOptions& o, std::string* warning) {
  if (o.no_cache) {
    Log("result cache off (--no-cache)");
    return nullptr;
  }
  ResultCacheOptions cache_options;
  cache_options.dir = o.cache_dir.empty() ? DefaultCacheDir() : o.cache_dir;
  cache_options.max_bytes = o.cache_max_bytes;
  cache_options.ttl_seconds = o.cache_ttl.count();
  std::unique_ptr<ResultCache> cache = ResultCache::OpenOrWarn(cache_options, warning);
  if (cache != nullptr) {
    Log(absl::StrCat(
        "result cache ", cache_options.dir, " (cap ", cache_options.max_bytes >> 20, " MiB",
        cache_options.ttl_seconds > 0 ? absl::StrCat(", ttl ", cache_options.ttl_seconds, " s")
                                      : "",
        ")"));
  }
  if (!warning->empty()) Log(absl::StrCat("warning: ", *warning));
  return cache;
}

// The upload spool: its own directory under --upload-dir (default
// $TMPDIR), after sweeping the spools that dead processes left there.
absl::StatusOr<std::unique_ptr<UploadStore>> OpenUploads(const ServerOptions& o) {
  UploadStoreOptions upload_options;
  const char* tmp = std::getenv("TMPDIR");
  upload_options.parent_dir = !o.upload_dir.empty()            ? o.upload_dir
                              : tmp != nullptr && *tmp != '\0' ? std::string(tmp)
                                                               : std::string("/tmp");
  upload_options.max_upload_bytes = o.max_upload_bytes;
  upload_options.max_spool_bytes = o.max_spool_bytes;
  upload_options.ttl = o.upload_ttl;
  NF_ASSIGN_OR_RETURN(std::unique_ptr<UploadStore> uploads, UploadStore::Create(upload_options));
  if (uploads->swept().directories > 0) {
    Log(absl::StrFormat("removed %d upload spool(s) left by killed processes (%.1f MiB)",
                        uploads->swept().directories,
                        static_cast<double>(uploads->swept().bytes) / (1 << 20)));
  }
  Log(absl::StrCat("upload spool ", uploads->dir(), " (ttl ",
                   o.upload_ttl.count() > 0 ? absl::StrCat(o.upload_ttl.count(), " s")
                                            : std::string("until exit"),
                   ")"));
  return uploads;
}

// Blocks until SIGTERM or SIGINT; returns its name.
const char* WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

// Health NOT_SERVING and admission refusing, with the port open: for the
// drain notice at least, then until no call is live or the grace period
// ends; then the server stops.
void Drain(const ServerOptions& o, grpc::Server& server, Admission& admission,
           const NeurofeatService& service, const char* signal_name) {
  Log(absl::StrCat(signal_name, ": draining (", service.live_calls(), " calls live, grace ",
                   o.grace_period.count() / 1000.0, " s)"));
  const auto start = std::chrono::system_clock::now();
  const auto deadline = start + o.grace_period;
  const auto notice_until = std::min(deadline, start + o.drain_notice);
  server.GetHealthCheckService()->SetServingStatus(false);
  admission.Drain();
  while ((service.live_calls() > 0 || std::chrono::system_clock::now() < notice_until) &&
         std::chrono::system_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A call stuck past the grace period (it should not be: every wait is
  // bounded) must not keep the process from stopping.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    Log("calls still running 10 s after shutdown; exiting");
    std::_Exit(1);
  }).detach();
  server.Shutdown(deadline);
  server.Wait();
}

// The parts of a running server that outlive its gRPC server object.
struct Components {
  CpuLimits cpu;
  MemoryLimits memory;
  std::unique_ptr<PathPolicy> paths;
  std::unique_ptr<UploadStore> uploads;
  std::unique_ptr<ResultCache> cache;
  std::string cache_warning;
  std::unique_ptr<ContentKeys> keys;
  std::unique_ptr<Admission> admission;
  std::unique_ptr<StatusMapper> errors;
  std::unique_ptr<ServerMetrics> metrics;
};

absl::StatusOr<Components> Build(const ServerOptions& o) {
  if (o.max_message_bytes <= 0 || o.max_message_bytes > (int64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError("--max-message-bytes must be in (0, 2GiB)");
  }
  Components c;
  c.cpu = DetectCpuLimits(CpuLimitInputs::FromSystem(o.threads));
  c.memory =
      DetectMemoryLimits(MemoryLimitInputs::FromSystem(o.memory_budget_bytes, c.cpu.threads));
  InitComputeArena(c.cpu.threads, ArenaMode::kWorkersOnly);
  // One malloc arena per compute thread, not glibc's eight per core: blocks
  // made on arena threads and freed on gRPC threads, and the small
  // allocations of feature kernels, otherwise leave free pages in a dozen
  // heaps at once (an Extract's peak: 31 MiB with the default, 24 MiB with
  // two arenas; see README.md).
  const int arenas = o.malloc_arenas.value_or(std::max(2, c.cpu.threads));
  if (arenas > 0) mallopt(M_ARENA_MAX, arenas);
  if (o.malloc_mmap_threshold_bytes > 0) {
    // Large blocks are mapped and unmapped, never kept in the heaps: glibc
    // otherwise raises its threshold after each large free (up to 32 MiB),
    // and the blocks of requests running at once then fragment the heaps
    // (mixed scenario: peak 422-535 MiB over start at 512 MiB, 398-469 MiB
    // with the threshold fixed at 1 MiB; bench/RESULTS.md).
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(o.malloc_mmap_threshold_bytes));
  }
  Log(absl::StrCat(kEngineVersion));
  Log(absl::StrCat("cpu ", c.cpu.Describe()));
  Log(c.memory.Describe());
  NF_ASSIGN_OR_RETURN(PathPolicy paths, PathPolicy::Create(o.data_roots));
  c.paths = std::make_unique<PathPolicy>(std::move(paths));
  for (const auto& root : c.paths->roots()) Log(absl::StrCat("data root ", root));
  NF_ASSIGN_OR_RETURN(c.uploads, OpenUploads(o));
  c.cache = OpenCache(o, &c.cache_warning);
  c.keys = std::make_unique<ContentKeys>(c.cache.get());
  Admission::Options admission_options;
  admission_options.budget_bytes = c.memory.budget_bytes;
  admission_options.max_queue = o.max_queue;
  admission_options.max_wait = o.queue_timeout;
  // Cached sample buffers and admitted working sets share the budget.
  admission_options.on_free_bytes = [](int64_t free_bytes) {
    BufferPool::Default().SetMaxCachedBytes(static_cast<size_t>(free_bytes));
  };
  BufferPool::Default().SetMaxCachedBytes(static_cast<size_t>(c.memory.budget_bytes));
  // At rest, memory goes back to the kernel: the pool's blocks (its cap is
  // set again when the next request is admitted) and the free pages the
  // allocator's arenas keep (malloc_trim also releases those inside the
  // heaps, not only at their tops).
  if (!o.keep_memory_at_rest) {
    admission_options.on_idle = [] {
      BufferPool::Default().SetMaxCachedBytes(0);
      malloc_trim(0);
    };
  }
  c.admission = std::make_unique<Admission>(admission_options);
  c.errors = std::make_unique<StatusMapper>(
      c.paths->roots(),
      std::vector<std::pair<std::string, std::string>>{{c.uploads->dir(), "upload "}});
  ServerMetrics::Capacity capacity;
  capacity.threads = c.cpu.threads;
  capacity.budget_bytes = c.memory.budget_bytes;
  capacity.memory_limit_bytes = c.memory.limit_bytes;
  capacity.cpu_limit_cores = c.cpu.cgroup_quota_cpus;
  c.metrics = std::make_unique<ServerMetrics>(c.admission.get(), c.cache.get(), c.uploads.get(),
                                              capacity, c.cache_warning);
  if (!o.metrics_listen.empty()) {
    NF_ASSIGN_OR_RETURN(int port, c.metrics->Serve(o.metrics_listen));
    Log(absl::StrCat("metrics on port ", port, " (/metrics)"));
    WritePortFile(o.metrics_port_file, port);
  }
  return c;
}

}  // namespace

absl::Status RunServer(const ServerOptions& o) {
  NF_ASSIGN_OR_RETURN(Components c, Build(o));
  ServiceDeps deps;
  deps.paths = c.paths.get();
  deps.uploads = c.uploads.get();
  deps.admission = c.admission.get();
  deps.cpu = c.cpu;
  deps.memory = c.memory;
  deps.max_message_bytes = o.max_message_bytes;
  deps.cache = c.cache.get();
  deps.keys = c.keys.get();
  deps.metrics = c.metrics.get();
  deps.errors = c.errors.get();
  deps.preprocess_chunks_ahead = o.preprocess_chunks_ahead;
  NeurofeatService service(deps);
  NF_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, Credentials(o));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(o.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(o.max_message_bytes));
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("--listen=", o.listen, ": cannot listen there"));
  }
  Log(absl::StrCat(
      "serving on port ", port, " (",
      o.tls_cert_file.empty() ? "plaintext" : (o.tls_client_ca_file.empty() ? "TLS" : "mutual TLS"),
      ")"));
  WritePortFile(o.port_file, port);
  Drain(o, *server, *c.admission, service, WaitForStopSignal());
  Log("stopped");
  return absl::OkStatus();
}

}  // namespace neurofeat::server
