#include "client/lib/replicas.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"

namespace neurofeat::client {
namespace {

// Splits "HOST:PORT" ("[V6]:PORT" for IPv6) and checks the port.
absl::Status CheckHostPort(absl::string_view entry, absl::string_view target) {
  const size_t colon = entry.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(entry.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server=", target, ": \"", entry, "\" is not HOST:PORT (port 1-65535)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ResolveDns(absl::string_view name_port,
                                                    absl::string_view target) {
  NF_RETURN_IF_ERROR(CheckHostPort(name_port, target));
  const size_t colon = name_port.rfind(':');
  const std::string host(
      absl::StripSuffix(absl::StripPrefix(name_port.substr(0, colon), "["), "]"));
  const std::string port(name_port.substr(colon + 1));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::NotFoundError(
        absl::StrCat("--server=", target, ": cannot resolve ", host, " (", gai_strerror(rc), ")"));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, freeaddrinfo);
  std::vector<std::string> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char ip[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof(ip), nullptr, 0, NI_NUMERICHOST) != 0) {
      continue;
    }
    std::string address =
        a->ai_family == AF_INET6 ? absl::StrCat("[", ip, "]:", port) : absl::StrCat(ip, ":", port);
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("--server=", target, ": ", host, " has no address"));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveTargets(const std::string& target) {
  if (target.empty()) return absl::InvalidArgumentError("--server: HOST:PORT is required");
  if (absl::StartsWith(target, "dns:")) {
    absl::string_view rest = absl::StripPrefix(target, "dns:");
    // dns:///NAME:PORT (no authority) or dns:NAME:PORT.
    rest = absl::StripPrefix(rest, "///");
    return ResolveDns(rest, target);
  }
  std::vector<std::string> out;
  for (absl::string_view entry : absl::StrSplit(target, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    NF_RETURN_IF_ERROR(CheckHostPort(entry, target));
    if (std::find(out.begin(), out.end(), entry) != out.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--server=", target, ": ", entry, " is listed twice"));
    }
    out.emplace_back(entry);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Replicas>> Replicas::Connect(const ClientOptions& options) {
  NF_ASSIGN_OR_RETURN(std::vector<std::string> addresses, ResolveTargets(options.target));
  std::vector<std::unique_ptr<NeurofeatClient>> clients;
  for (const std::string& a : addresses) {
    ClientOptions one = options;
    one.target = a;
    NF_ASSIGN_OR_RETURN(std::unique_ptr<NeurofeatClient> c, NeurofeatClient::Connect(one));
    clients.push_back(std::move(c));
  }
  return std::unique_ptr<Replicas>(
      new Replicas(std::move(addresses), std::move(clients), options.retry));
}

Replicas::Replicas(std::vector<std::string> addresses,
                   std::vector<std::unique_ptr<NeurofeatClient>> clients, RetryPolicy retry)
    : addresses_(std::move(addresses)),
      clients_(std::move(clients)),
      retry_(retry),
      skip_until_ms_(std::make_unique<std::atomic<int64_t>[]>(clients_.size())) {}

namespace {
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

size_t Replicas::Turn() {
  const int64_t now = NowMs();
  size_t i = 0;
  for (size_t tries = 0; tries < clients_.size(); ++tries) {
    i = next_.fetch_add(1) % clients_.size();
    if (skip_until_ms_[i].load() <= now) return i;
  }
  return i;  // all were unreachable lately: try in turn anyway
}

void Replicas::MarkUnreachable(size_t i) {
  constexpr int64_t kSkipMs = 3000;
  skip_until_ms_[i].store(NowMs() + kSkipMs);
}

absl::Status Replicas::Call(const Attempt& attempt, std::chrono::milliseconds budget) {
  const auto give_up = std::chrono::steady_clock::now() + budget;
  thread_local std::minstd_rand jitter(std::random_device{}());
  std::chrono::milliseconds backoff = retry_.initial_backoff;
  size_t i = Turn();
  while (true) {
    std::chrono::milliseconds pushback{0};
    absl::Status last;
    // Whether some replica said "later" (unreachable, draining, busy) rather
    // than "never" (a request larger than its whole budget).
    bool worth_waiting = false;
    // One round: every replica once, starting with this work's turn.
    for (size_t tried = 0; tried < clients_.size(); ++tried, i = (i + 1) % clients_.size()) {
      CallDetails details;
      last = attempt(*clients_[i], &details);
      // An upload the server does not know (it restarted): at once, afresh.
      for (int again = 0; IsUnknownUpload(last) && again < 2; ++again) {
        if (std::chrono::steady_clock::now() >= give_up) return last;
        details = CallDetails();
        last = attempt(*clients_[i], &details);
      }
      if (!IsRefusal(last)) return last;
      if (last.code() == absl::StatusCode::kUnavailable) MarkUnreachable(i);
      const std::chrono::milliseconds hint =
          details.retry_pushback.value_or(std::chrono::milliseconds(0));
      if (hint.count() >= 0) {
        worth_waiting = true;
        pushback = std::max(pushback, hint);
      }
    }
    if (!worth_waiting) return last;
    const std::chrono::milliseconds wait =
        pushback.count() > 0 ? pushback
                             : std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(
                                   backoff.count() / 2, backoff.count())(jitter));
    if (std::chrono::steady_clock::now() + wait > give_up) return last;
    std::this_thread::sleep_for(wait);
    backoff = std::min(backoff * 2, retry_.max_backoff);
  }
}

}  // namespace neurofeat::client
