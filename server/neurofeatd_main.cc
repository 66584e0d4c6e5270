// neurofeatd: the neurofeat gRPC server.
//
//   neurofeatd --listen 127.0.0.1:50051 --data-root /data [--threads N]
//              [--memory-budget 4GiB] [--max-queue 16] [--tls-cert C --tls-key K [--tls-client-ca
//              CA]]
//
// It sizes its compute arena and memory budget from the cgroup, Slurm and
// affinity limits (and the flags, whichever is smallest), logs them, and
// serves neurofeat.v1.Neurofeat, grpc.health.v1.Health and server
// reflection. On SIGTERM or SIGINT: health becomes NOT_SERVING, new work is
// refused, in-flight requests get --grace-period to finish, exit 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/exec/compute_arena.h"
#include "core/exec/cpu_limits.h"
#include "core/exec/memory_limits.h"
#include "core/status_macros.h"
#include "cmdline/args.h"
#include "core/version.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/neurofeat_service.h"
#include "server/path_policy.h"
#include "server/upload_store.h"

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
       {"upload-dir", true, "where uploads are spooled. Default $TMPDIR/neurofeatd-<pid>"},
       {"max-upload-bytes", true, "largest upload. Default 16GiB"},
       {"max-spool-bytes", true, "largest total of uploads held at once. Default 64GiB"},
       {"upload-ttl", true, "how long an upload stays usable, e.g. 1h. Default 1h"},
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
       {"metrics-listen", true, "HOST:PORT for Prometheus /metrics (port 0: any). Default off"},
       {"metrics-port-file", true, "write the metrics port to this file"},
       {"help", false, "show this help"}});
  return parser;
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const std::string& flag) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, "=", path, ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<int64_t> Bytes(const ParsedArgs& args, const std::string& flag, int64_t def) {
  auto v = args.GetOptional(flag);
  if (!v.has_value()) return def;
  std::optional<int64_t> b = ParseByteSize(*v);
  if (!b.has_value() || *b <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", *v, " is not a size such as 512MiB"));
  }
  return *b;
}

absl::StatusOr<double> Seconds(const ParsedArgs& args, const std::string& flag, double def,
                               bool allow_zero = false) {
  auto v = args.GetOptional(flag);
  if (!v.has_value()) return def;
  return ParseDurationSeconds(*v, flag, allow_zero);
}

absl::Status Serve(const ParsedArgs& args) {
  const std::string listen = args.GetOptional("listen").value_or("127.0.0.1:50051");
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> threads_flag, args.GetInt("threads"));
  if (threads_flag.has_value() && *threads_flag < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--threads=", *threads_flag, " must be >= 1"));
  }
  std::optional<int64_t> budget_flag;
  if (args.Has("memory-budget")) {
    NF_ASSIGN_OR_RETURN(int64_t b, Bytes(args, "memory-budget", 0));
    budget_flag = b;
  }
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> max_queue, args.GetInt("max-queue"));
  if (max_queue.has_value() && *max_queue < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--max-queue=", *max_queue, " must be >= 0"));
  }
  NF_ASSIGN_OR_RETURN(double queue_timeout, Seconds(args, "queue-timeout", 30.0));
  NF_ASSIGN_OR_RETURN(double grace, Seconds(args, "grace-period", 30.0));
  NF_ASSIGN_OR_RETURN(double drain_notice, Seconds(args, "drain-notice", 2.0, /*allow_zero=*/true));
  NF_ASSIGN_OR_RETURN(int64_t max_message, Bytes(args, "max-message-bytes", int64_t{64} << 20));
  NF_ASSIGN_OR_RETURN(int64_t max_upload, Bytes(args, "max-upload-bytes", int64_t{16} << 30));
  if (max_message > (int64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError("--max-message-bytes must be below 2GiB");
  }

  const CpuLimits cpu = DetectCpuLimits(CpuLimitInputs::FromSystem(
      threads_flag.has_value() ? std::optional<int>(static_cast<int>(*threads_flag))
                               : std::nullopt));
  const MemoryLimits memory =
      DetectMemoryLimits(MemoryLimitInputs::FromSystem(budget_flag, cpu.threads));
  InitComputeArena(cpu.threads, ArenaMode::kWorkersOnly);
  std::fprintf(stderr, "neurofeatd: %s\nneurofeatd: cpu %s\nneurofeatd: %s\n", kEngineVersion,
               cpu.Describe().c_str(), memory.Describe().c_str());

  NF_ASSIGN_OR_RETURN(PathPolicy paths, PathPolicy::Create(args.GetAll("data-root")));
  for (const auto& root : paths.roots())
    std::fprintf(stderr, "neurofeatd: data root %s\n", root.c_str());
  const char* tmp = std::getenv("TMPDIR");
  const std::string upload_dir =
      args.GetOptional("upload-dir")
          .value_or(absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/neurofeatd-", ::getpid()));
  NF_ASSIGN_OR_RETURN(double upload_ttl, Seconds(args, "upload-ttl", 3600.0));
  UploadStoreOptions upload_options;
  upload_options.dir = upload_dir;
  upload_options.max_upload_bytes = max_upload;
  NF_ASSIGN_OR_RETURN(upload_options.max_spool_bytes,
                      Bytes(args, "max-spool-bytes", int64_t{64} << 30));
  upload_options.ttl = std::chrono::seconds(static_cast<int64_t>(upload_ttl));
  NF_ASSIGN_OR_RETURN(std::unique_ptr<UploadStore> uploads, UploadStore::Create(upload_options));

  // Result cache: a cache that cannot be opened (read-only or full disk)
  // leaves the server serving, uncached.
  std::unique_ptr<ResultCache> cache;
  std::string cache_warning;
  if (!args.Has("no-cache")) {
    ResultCacheOptions cache_options;
    cache_options.dir = args.GetOptional("cache-dir").value_or(DefaultCacheDir());
    NF_ASSIGN_OR_RETURN(cache_options.max_bytes, Bytes(args, "cache-max-bytes", int64_t{1} << 30));
    NF_ASSIGN_OR_RETURN(double ttl, Seconds(args, "cache-ttl", 0.0));
    cache_options.ttl_seconds = static_cast<int64_t>(ttl);
    cache = ResultCache::OpenOrWarn(cache_options, &cache_warning);
    if (cache != nullptr) {
      std::fprintf(stderr, "neurofeatd: result cache %s (cap %lld MiB%s)\n",
                   cache_options.dir.c_str(), static_cast<long long>(cache_options.max_bytes >> 20),
                   cache_options.ttl_seconds > 0
                       ? absl::StrCat(", ttl ", cache_options.ttl_seconds, " s").c_str()
                       : "");
    }
    if (!cache_warning.empty())
      std::fprintf(stderr, "neurofeatd: warning: %s\n", cache_warning.c_str());
  } else {
    std::fprintf(stderr, "neurofeatd: result cache off (--no-cache)\n");
  }
  ContentKeys keys(cache.get(), [](const std::function<void()>& fn) { SubmitToArena(fn).get(); });

  Admission::Options admission_options;
  admission_options.budget_bytes = memory.budget_bytes;
  admission_options.max_queue = static_cast<int>(max_queue.value_or(16));
  admission_options.max_wait =
      std::chrono::milliseconds(static_cast<int64_t>(queue_timeout * 1000));
  Admission admission(admission_options);

  ServiceOptions service_options;
  service_options.paths = &paths;
  service_options.uploads = uploads.get();
  service_options.admission = &admission;
  service_options.cpu = cpu;
  service_options.memory = memory;
  service_options.max_message_bytes = max_message;
  service_options.cache = cache.get();
  service_options.keys = &keys;
  const StatusMapper errors(paths.roots(), {{upload_dir, "upload "}});
  service_options.errors = &errors;
  ServerMetrics metrics(&admission, cache.get(), cpu.threads, memory.budget_bytes, cache_warning);
  service_options.metrics = &metrics;
  if (auto ml = args.GetOptional("metrics-listen")) {
    NF_ASSIGN_OR_RETURN(int metrics_port, metrics.Serve(*ml));
    std::fprintf(stderr, "neurofeatd: metrics on port %d (/metrics)\n", metrics_port);
    if (auto pf = args.GetOptional("metrics-port-file")) {
      const std::string partial = *pf + ".partial";
      std::ofstream(partial) << metrics_port << "\n";
      std::rename(partial.c_str(), pf->c_str());
    }
  }
  NeurofeatService service(service_options);

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (args.Has("tls-cert") || args.Has("tls-key") || args.Has("tls-client-ca")) {
    if (!args.Has("tls-cert") || !args.Has("tls-key")) {
      return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
    }
    grpc::SslServerCredentialsOptions ssl;
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    NF_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(args.Get("tls-cert"), "tls-cert"));
    NF_ASSIGN_OR_RETURN(pair.private_key, ReadPem(args.Get("tls-key"), "tls-key"));
    ssl.pem_key_cert_pairs.push_back(pair);
    if (args.Has("tls-client-ca")) {
      NF_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(args.Get("tls-client-ca"), "tls-client-ca"));
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message));
  builder.SetMaxSendMessageSize(static_cast<int>(max_message));
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("--listen=", listen, ": cannot listen there"));
  }
  std::fprintf(
      stderr, "neurofeatd: serving on port %d (%s)\n", port,
      args.Has("tls-cert") ? (args.Has("tls-client-ca") ? "mutual TLS" : "TLS") : "plaintext");
  if (auto pf = args.GetOptional("port-file")) {
    const std::string partial = *pf + ".partial";
    std::ofstream(partial) << port << "\n";
    std::rename(partial.c_str(), pf->c_str());
  }

  // Signals were blocked in main() before any thread started; wait here.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "neurofeatd: %s: draining (%d in flight, grace %.0f s)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", admission.in_flight(), grace);
  // Readiness first: health says NOT_SERVING (so load balancers stop
  // sending) and admission refuses new work with UNAVAILABLE, while the
  // server still answers health checks; running requests get the grace
  // period to finish, then the server stops.
  const auto start = std::chrono::system_clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
  const auto notice_until = std::min(
      deadline, start + std::chrono::milliseconds(static_cast<int64_t>(drain_notice * 1000)));
  server->GetHealthCheckService()->SetServingStatus(false);
  admission.Drain();
  // The port stays open for the notice period (so probes see NOT_SERVING)
  // and then until the work in flight is done or the grace period ends.
  while ((admission.in_flight() > 0 || std::chrono::system_clock::now() < notice_until) &&
         std::chrono::system_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A handler stuck past the grace period (it should not be: every wait is
  // bounded) must not keep the process from stopping.
  std::thread watchdog([] {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    std::fprintf(stderr, "neurofeatd: requests still running 10 s after shutdown; exiting\n");
    std::_Exit(1);
  });
  watchdog.detach();
  server->Shutdown(deadline);
  server->Wait();
  std::fprintf(stderr, "neurofeatd: stopped\n");
  return absl::OkStatus();
}

}  // namespace
}  // namespace neurofeat::server

int main(int argc, char** argv) {
  using neurofeat::server::Parser;
  // Block the stop signals in every thread (threads inherit the mask); the
  // main thread takes them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A full disk (or a file-size limit) must fail a write, not kill the server.
  signal(SIGXFSZ, SIG_IGN);
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
  absl::Status s = neurofeat::server::Serve(*args);
  if (!s.ok()) {
    std::fprintf(stderr, "neurofeatd: error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
