#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace neurofeat::testing {

ServerProcess::ServerProcess(std::vector<std::string> extra_flags,
                             std::map<std::string, std::string> env, int64_t file_size_limit) {
  data_root_ = dir_.File("data");
  std::filesystem::create_directories(data_root_);
  log_ = dir_.File("neurofeatd.log");
  const std::string port_file = dir_.File("port");
  std::vector<std::string> argv = {std::string(NF_BINARY_DIR) + "/server/neurofeatd",
                                   "--data-root", data_root_, "--port-file",
                                   port_file, "--grace-period",
                                   // Sanitized servers run ~10x slower.
                                   absl::StrCat(static_cast<int>(30 * TimeScale()), "s"),
                                   "--metrics-port-file", dir_.File("metrics_port")};
  bool own_cache = false, own_notice = false, own_uploads = false, own_listen = false;
  for (const auto& f : extra_flags) {
    own_listen = own_listen || f == "--listen";
    own_cache = own_cache || f == "--cache-dir" || f == "--no-cache";
    own_notice = own_notice || f == "--drain-notice";
    own_uploads = own_uploads || f == "--upload-dir" || f.rfind("--upload-dir=", 0) == 0;
  }
  if (!own_listen) {
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:0");
  }
  if (!own_uploads) {
    argv.push_back("--upload-dir");
    argv.push_back(dir_.File("uploads"));
  }
  // Tests stop many servers: no notice period unless a test asks for one.
  if (!own_notice) {
    argv.push_back("--drain-notice");
    argv.push_back("0s");
  }
  if (!own_cache) {
    argv.push_back("--cache-dir");
    argv.push_back(dir_.File("cache"));
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    if (file_size_limit > 0) {
      struct rlimit limit;
      limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(file_size_limit);
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  // Wait for the port file (the server writes it once it serves).
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    int p = 0;
    if (in >> p && p > 0) {
      port_ = p;
      std::ifstream mp(dir_.File("metrics_port"));
      int m = 0;
      if (mp >> m) metrics_port_ = m;
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      stopped_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServerProcess::~ServerProcess() { Stop(10.0); }

std::string ServerProcess::Log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ServerProcess::Scrape() const {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(metrics_port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!::write(fd, request.data(), request.size());
  std::string response;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

std::unique_ptr<client::NeurofeatClient> ServerProcess::Client() const {
  client::ClientOptions o;
  o.target = target();
  return *client::NeurofeatClient::Connect(o);
}

int ServerProcess::Stop(double timeout_s) {
  if (stopped_ || pid_ <= 0) return 0;
  stopped_ = true;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  return -1;
}

void ServerProcess::Kill() {
  if (stopped_ || pid_ <= 0) return;
  stopped_ = true;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

int64_t ServerProcess::PeakRssBytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int64_t kb = 0;
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb * 1024;
    }
  }
  return -1;
}

double ServerProcess::CpuSeconds() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> f = absl::StrSplit(text.substr(close + 2), ' ');
  // Fields after the command: state is f[0]; utime, stime are fields 14, 15
  // of the whole line, i.e. f[11], f[12].
  int64_t utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime))
    return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace neurofeat::testing
