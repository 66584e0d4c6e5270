#include "client/lib/replicas.h"

#include <netdb.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
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

// ---------------------------------------------------------------------------
// Placement keys and rendezvous ranking
// ---------------------------------------------------------------------------

namespace {

// SHA-256 through OpenSSL's EVP interface, fed in pieces.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    // Only allocation can fail here: not a condition to report.
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
  }
  void Update(const void* data, size_t bytes) { EVP_DigestUpdate(ctx_.get(), data, bytes); }
  void Update(absl::string_view s) { Update(s.data(), s.size()); }
  // The 32-byte digest.
  std::string Finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &size);
    return std::string(reinterpret_cast<const char*>(out), size);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

constexpr absl::string_view kBytesKeyPrefix = "sha256:";

}  // namespace

std::string ServerPathKey(absl::string_view path, v1::FileFormat format) {
  return absl::StrCat("path:", v1::FileFormat_Name(format), ":", path);
}

std::string BytesKey(absl::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return absl::StrCat(kBytesKeyPrefix, absl::BytesToHexString(h.Finish()));
}

absl::StatusOr<std::string> LocalFileKey(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
  }
  Sha256 h;
  std::vector<char> buffer(size_t{1} << 20);
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    h.Update(buffer.data(), got);
  }
  if (std::ferror(file.get())) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read (", std::strerror(errno), ")"));
  }
  return absl::StrCat(kBytesKeyPrefix, absl::BytesToHexString(h.Finish()));
}

uint64_t RendezvousWeight(absl::string_view address, absl::string_view key) {
  Sha256 h;
  h.Update(address);
  h.Update("\n");
  h.Update(key);
  const std::string digest = h.Finish();
  uint64_t weight = 0;
  for (int i = 0; i < 8; ++i) weight = (weight << 8) | static_cast<unsigned char>(digest[i]);
  return weight;
}

std::vector<size_t> RankReplicas(const std::vector<std::string>& addresses, absl::string_view key) {
  std::vector<std::pair<uint64_t, size_t>> weighted;
  weighted.reserve(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) {
    weighted.emplace_back(RendezvousWeight(addresses[i], key), i);
  }
  std::sort(weighted.begin(), weighted.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return addresses[a.second] < addresses[b.second];
  });
  std::vector<size_t> order;
  order.reserve(weighted.size());
  for (const auto& [weight, i] : weighted) order.push_back(i);
  return order;
}

// ---------------------------------------------------------------------------
// Replicas
// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Replicas>> Replicas::Connect(const ClientOptions& client_options,
                                                            ReplicasOptions options) {
  if (!options.resolve) options.resolve = ResolveTargets;
  if (!options.now) options.now = [] { return std::chrono::steady_clock::now(); };
  NF_ASSIGN_OR_RETURN(std::vector<std::string> addresses, options.resolve(client_options.target));
  if (addresses.empty()) {
    return absl::NotFoundError(absl::StrCat("--server=", client_options.target, ": no address"));
  }
  NF_ASSIGN_OR_RETURN(Members members, Build(addresses, client_options, {}));
  return std::unique_ptr<Replicas>(
      new Replicas(client_options.target, client_options, std::move(options), std::move(members)));
}

Replicas::Replicas(std::string target, ClientOptions client_options, ReplicasOptions options,
                   Members members)
    : target_(std::move(target)),
      client_options_(std::move(client_options)),
      options_(std::move(options)),
      retry_(client_options_.retry),
      dynamic_(absl::StartsWith(target_, "dns:")),
      members_(std::make_shared<const Members>(std::move(members))),
      resolved_at_(Now()) {}

absl::StatusOr<Replicas::Members> Replicas::Build(const std::vector<std::string>& addresses,
                                                  const ClientOptions& client_options,
                                                  const Members& old) {
  Members out;
  for (const std::string& address : addresses) {
    // A replica still listed keeps its connection and its unreachable mark.
    auto same = std::find_if(old.begin(), old.end(), [&](const std::shared_ptr<Replica>& r) {
      return r->address == address;
    });
    if (same != old.end()) {
      out.push_back(*same);
      continue;
    }
    ClientOptions one = client_options;
    one.target = address;
    auto replica = std::make_shared<Replica>();
    replica->address = address;
    NF_ASSIGN_OR_RETURN(replica->client, NeurofeatClient::Connect(one));
    out.push_back(std::move(replica));
  }
  return out;
}

int64_t Replicas::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.now().time_since_epoch())
      .count();
}

std::shared_ptr<const Replicas::Members> Replicas::Snapshot() const {
  MutexLock lock(&mu_);
  return members_;
}

size_t Replicas::size() const { return Snapshot()->size(); }

std::string Replicas::address(size_t i) const { return (*Snapshot())[i]->address; }

NeurofeatClient& Replicas::client(size_t i) { return *(*Snapshot())[i]->client; }

bool Replicas::UsesKeys() const {
  return options_.placement == Placement::kRendezvous && (dynamic_ || size() > 1);
}

std::shared_ptr<const Replicas::Members> Replicas::Current() {
  if (!dynamic_) return Snapshot();
  std::shared_ptr<const Members> old;
  {
    MutexLock lock(&mu_);
    const int64_t age = Now() - resolved_at_;
    const bool due =
        !resolving_ &&
        (age >= options_.refresh_interval.count() ||
         (unreachable_since_resolved_ && age >= options_.unreachable_refresh_interval.count()));
    if (!due) return members_;
    resolving_ = true;
    old = members_;
  }
  // Resolved outside the lock: other calls go on with the list they have.
  // A name that does not resolve for a moment keeps the list as it was.
  std::shared_ptr<const Members> fresh = old;
  absl::StatusOr<std::vector<std::string>> addresses = options_.resolve(target_);
  if (addresses.ok() && !addresses->empty()) {
    absl::StatusOr<Members> built = Build(*addresses, client_options_, *old);
    if (built.ok()) fresh = std::make_shared<const Members>(*std::move(built));
  }
  MutexLock lock(&mu_);
  members_ = std::move(fresh);
  resolved_at_ = Now();
  resolving_ = false;
  unreachable_since_resolved_ = false;
  return members_;
}

std::vector<size_t> Replicas::Order(const Members& members, absl::string_view key, size_t turn) {
  const size_t n = members.size();
  std::vector<size_t> order;
  if (key.empty() || options_.placement == Placement::kRoundRobin) {
    for (size_t k = 0; k < n; ++k) order.push_back((turn + k) % n);
  } else {
    std::vector<std::string> addresses;
    addresses.reserve(n);
    for (const auto& r : members) addresses.push_back(r->address);
    order = RankReplicas(addresses, key);
  }
  // Replicas unreachable lately go last, the others keeping their order:
  // a dead replica's keys fall to each key's next replica.
  const int64_t now = Now();
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t i) { return members[i]->skip_until.load() <= now; });
  return order;
}

std::vector<std::string> Replicas::Preference(absl::string_view key) {
  const std::shared_ptr<const Members> members = Snapshot();
  std::vector<std::string> out;
  for (size_t i : Order(*members, key, next_.load())) out.push_back((*members)[i]->address);
  return out;
}

void Replicas::MarkUnreachable(Replica& replica) {
  replica.skip_until.store(Now() + options_.unreachable_skip.count());
  MutexLock lock(&mu_);
  unreachable_since_resolved_ = true;
}

absl::Status Replicas::Call(absl::string_view key, const Attempt& attempt,
                            std::chrono::milliseconds budget) {
  const auto give_up = std::chrono::steady_clock::now() + budget;
  thread_local std::minstd_rand jitter(std::random_device{}());
  std::chrono::milliseconds backoff = retry_.initial_backoff;
  while (true) {
    const std::shared_ptr<const Members> members = Current();
    std::chrono::milliseconds pushback{0};
    absl::Status last;
    // Whether some replica said "later" (unreachable, draining, busy) rather
    // than "never" (a request larger than its whole budget).
    bool worth_waiting = false;
    // One round: every replica once, in the order this work prefers.
    for (size_t i : Order(*members, key, next_.fetch_add(1))) {
      Replica& replica = *(*members)[i];
      CallDetails details;
      last = attempt(*replica.client, &details);
      // An upload the server does not know (it restarted): at once, afresh.
      for (int again = 0; IsUnknownUpload(last) && again < 2; ++again) {
        if (std::chrono::steady_clock::now() >= give_up) return last;
        details = CallDetails();
        last = attempt(*replica.client, &details);
      }
      if (!IsRefusal(last)) return last;
      if (last.code() == absl::StatusCode::kUnavailable) MarkUnreachable(replica);
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
