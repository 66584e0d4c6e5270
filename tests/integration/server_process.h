// File: server_process.h
//
// ServerProcess: a real neurofeatd started by a test on 127.0.0.1 with a
// free port (the server binds port 0 and writes the port it got), a fresh
// data root and upload directory, and stopped (SIGTERM, then SIGKILL) when
// the object dies.
#ifndef NEUROFEAT_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define NEUROFEAT_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/lib/neurofeat_client.h"
#include "tests/testing/test_data.h"

namespace neurofeat::testing {

class ServerProcess {
 public:
  // `extra_flags` are appended to neurofeatd's command line (--listen
  // 127.0.0.1:0 unless they give --listen, e.g. a restart on the same port;
  // a fresh
  // --cache-dir and --upload-dir are given unless they name one, or
  // --no-cache); `env` is
  // added to its environment; `file_size_limit` (RLIMIT_FSIZE, bytes) makes
  // writes beyond it fail as on a full disk.
  explicit ServerProcess(std::vector<std::string> extra_flags = {},
                         std::map<std::string, std::string> env = {}, int64_t file_size_limit = 0);
  ~ServerProcess();

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& data_root() const { return data_root_; }
  const std::string& log_path() const { return log_; }
  std::string Log() const;
  // The Prometheus port, when started with --metrics-listen (0 otherwise).
  int metrics_port() const { return metrics_port_; }
  // GET /metrics.
  std::string Scrape() const;

  // A plaintext client.
  std::unique_ptr<client::NeurofeatClient> Client() const;

  // Sends SIGTERM and waits (up to `timeout_s`); returns the exit status
  // (-1 if it had to be killed).
  int Stop(double timeout_s = 60.0);
  // Kill() sends SIGKILL (no clean stop) and reaps the process.
  void Kill();

  // Peak resident memory (VmHWM) and CPU seconds (user + system) so far.
  int64_t PeakRssBytes() const;
  double CpuSeconds() const;

 private:
  TempDir dir_;
  std::string data_root_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  bool stopped_ = false;
};

}  // namespace neurofeat::testing

#endif  // NEUROFEAT_TESTS_INTEGRATION_SERVER_PROCESS_H_
