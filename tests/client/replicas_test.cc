#include "client/lib/replicas.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace neurofeat::client {
namespace {

using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Expected digests and weights below were computed apart from this code,
// with Python's hashlib (the SHA-256s of "" and "abc" are FIPS 180-2's).
constexpr char kA[] = "10.0.0.1:50051";
constexpr char kB[] = "10.0.0.2:50051";
constexpr char kC[] = "10.0.0.3:50051";
constexpr char kEdfKey[] = "path:EDF:sub-01/eeg/sub-01_task-rest_eeg.edf";
constexpr char kEmptyKey[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcKey[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(ResolveTargetsTest, OneAddressOrAList) {
  EXPECT_THAT(*ResolveTargets("127.0.0.1:50051"), ElementsAre("127.0.0.1:50051"));
  EXPECT_THAT(*ResolveTargets("a.example:1, b.example:2,[::1]:3"),
              ElementsAre("a.example:1", "b.example:2", "[::1]:3"));
}

TEST(ResolveTargetsTest, DnsNamesResolveToEveryAddress) {
  absl::StatusOr<std::vector<std::string>> r = ResolveTargets("dns:///localhost:7000");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->empty());
  for (const std::string& a : *r) EXPECT_THAT(a, HasSubstr(":7000"));
  EXPECT_TRUE(ResolveTargets("dns:localhost:7000").ok());
}

TEST(ResolveTargetsTest, MalformedTargetsNameTheEntry) {
  for (const char* bad :
       {"", "host", "host:", "host:0", "host:65536", "a:1,,b:2", ":80", "a:1,a:1", "host:http"}) {
    absl::StatusOr<std::vector<std::string>> r = ResolveTargets(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--server")) << bad;
  }
  absl::StatusOr<std::vector<std::string>> r = ResolveTargets("dns:///no-such-host.invalid:1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no-such-host.invalid"));
}

TEST(PlacementKeyTest, KeysNameWhatIsHashed) {
  EXPECT_EQ(ServerPathKey("rec0.npy", v1::FILE_FORMAT_AUTO), "path:FILE_FORMAT_AUTO:rec0.npy");
  EXPECT_EQ(ServerPathKey("sub-01/eeg/sub-01_task-rest_eeg.edf", v1::EDF), kEdfKey);
  EXPECT_EQ(BytesKey(""), kEmptyKey);
  EXPECT_EQ(BytesKey("abc"), kAbcKey);
}

TEST(PlacementKeyTest, AFileKeyIsTheSha256OfItsWholeContent) {
  TempDir dir;
  WriteFile(dir.File("abc.npy"), "abc");
  EXPECT_EQ(*LocalFileKey(dir.File("abc.npy")), kAbcKey);
  // Longer than the 1 MiB pieces it is read in, not a multiple of them.
  std::string bytes(3 * (size_t{1} << 20) + 5, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7) % 251);
  WriteFile(dir.File("big.bin"), bytes);
  EXPECT_EQ(*LocalFileKey(dir.File("big.bin")),
            "sha256:ec2623f73dcc1952ac286d1a0e4b72f10904022864fa6db9558717a7e5a94ec4");
  absl::StatusOr<std::string> missing = LocalFileKey(dir.File("missing.npy"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.npy"));
}

TEST(RendezvousTest, AWeightIsTheFirstEightBytesOfTheSha256OfAddressAndKey) {
  EXPECT_EQ(RendezvousWeight(kA, kEdfKey), 0x0ada3511864f1b68u);
  EXPECT_EQ(RendezvousWeight(kB, kEdfKey), 0x30fa88aff6ffd01cu);
  EXPECT_EQ(RendezvousWeight(kC, kEdfKey), 0x9959494659af2c40u);
  EXPECT_EQ(RendezvousWeight(kA, kEmptyKey), 0x42a20c8c51fcf8c4u);
  EXPECT_EQ(RendezvousWeight(kB, kEmptyKey), 0x68ba18958b589a45u);
  EXPECT_EQ(RendezvousWeight(kC, kEmptyKey), 0x19cafe78bf254bfau);
}

TEST(RendezvousTest, ReplicasRankByWeightHighestFirst) {
  const std::vector<std::string> abc = {kA, kB, kC};
  EXPECT_THAT(RankReplicas(abc, kEdfKey), ElementsAre(2, 1, 0));
  EXPECT_THAT(RankReplicas(abc, "path:FILE_FORMAT_AUTO:rec0.npy"), ElementsAre(2, 1, 0));
  EXPECT_THAT(RankReplicas(abc, kEmptyKey), ElementsAre(1, 0, 2));
  EXPECT_THAT(RankReplicas(abc, kAbcKey), ElementsAre(1, 0, 2));
  // The order of the list does not matter, only the addresses.
  EXPECT_THAT(RankReplicas({kC, kA, kB}, kAbcKey), ElementsAre(2, 1, 0));
}

TEST(RendezvousTest, KeysSpreadEvenlyOverTheReplicas) {
  const std::vector<std::string> abc = {kA, kB, kC};
  std::vector<int> first(3, 0);
  for (int i = 0; i < 3000; ++i) {
    ++first[RankReplicas(abc, absl::StrCat("path:FILE_FORMAT_AUTO:rec", i, ".npy"))[0]];
  }
  EXPECT_THAT(first, ElementsAre(1028, 1014, 958));  // hashlib's count
}

// Rendezvous hashing's property: a replica that leaves takes away only the
// keys it ranked first, each to the replica it ranked next; one that joins
// takes only keys from the others, about its share.
TEST(RendezvousTest, RemovingAReplicaMovesOnlyTheKeysItHeld) {
  const std::vector<std::string> five = {"10.1.0.1:50051", "10.1.0.2:50051", "10.1.0.3:50051",
                                         "10.1.0.4:50051", "10.1.0.5:50051"};
  std::vector<std::string> four = five;
  four.erase(four.begin() + 2);
  int held = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = absl::StrCat("path:EDF:sub-", i, ".edf");
    const std::vector<size_t> before = RankReplicas(five, key);
    const std::string after = four[RankReplicas(four, key)[0]];
    if (before[0] == 2) {
      ++held;
      EXPECT_EQ(after, five[before[1]]) << key;
    } else {
      EXPECT_EQ(after, five[before[0]]) << key;
    }
  }
  EXPECT_GT(held, 300);  // about a fifth
  EXPECT_LT(held, 500);
  // Joining: every key that moves, moves to the newcomer.
  std::vector<std::string> six = five;
  six.push_back("10.1.0.6:50051");
  int taken = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = absl::StrCat("path:EDF:sub-", i, ".edf");
    const std::string before = five[RankReplicas(five, key)[0]];
    const std::string after = six[RankReplicas(six, key)[0]];
    if (after != before) {
      ++taken;
      EXPECT_EQ(after, "10.1.0.6:50051") << key;
    }
  }
  EXPECT_GT(taken, 250);  // about a sixth
  EXPECT_LT(taken, 420);
}

// A clock the test moves.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::function<std::chrono::steady_clock::time_point()> Fn() {
    return [this] { return now; };
  }
};

// The address of the replica whose client is `c`.
std::string AddressOf(Replicas& replicas, const NeurofeatClient* c) {
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (&replicas.client(i) == c) return replicas.address(i);
  }
  return "?";
}

TEST(ReplicasTest, ARecordingGoesToTheReplicaItsKeyRanksFirstThenTheNext) {
  FakeClock clock;
  ReplicasOptions options;
  options.now = clock.Fn();
  ClientOptions o;
  o.target = absl::StrCat(kA, ",", kB, ",", kC);
  auto replicas = Replicas::Connect(o, options);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  Replicas& r = **replicas;
  EXPECT_THAT(r.Preference(kEdfKey), ElementsAre(kC, kB, kA));
  // Every call with the key starts on its first replica.
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> seen;
    ASSERT_TRUE(r.Call(kEdfKey, [&](NeurofeatClient& c, CallDetails*) {
                   seen.push_back(AddressOf(r, &c));
                   return absl::OkStatus();
                 }).ok());
    EXPECT_THAT(seen, ElementsAre(kC));
  }
  // Busy: the next in the key's order, not the next in turn.
  std::vector<std::string> seen;
  absl::Status s = r.Call(kAbcKey, [&](NeurofeatClient& c, CallDetails*) {
    seen.push_back(AddressOf(r, &c));
    return seen.size() < 3 ? absl::ResourceExhaustedError("busy") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(kB, kA, kC));
  // Unreachable: tried last for a few seconds, so its keys go to their
  // next replica at once; then first again.
  seen.clear();
  s = r.Call(kEdfKey, [&](NeurofeatClient& c, CallDetails*) {
    seen.push_back(AddressOf(r, &c));
    return seen.size() == 1 ? absl::UnavailableError("connection refused") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(kC, kB));
  EXPECT_THAT(r.Preference(kEdfKey), ElementsAre(kB, kA, kC));
  clock.now += std::chrono::milliseconds(2999);
  EXPECT_THAT(r.Preference(kEdfKey), ElementsAre(kB, kA, kC));
  clock.now += std::chrono::milliseconds(1);
  EXPECT_THAT(r.Preference(kEdfKey), ElementsAre(kC, kB, kA));
}

TEST(ReplicasTest, WithoutAKeyOrWithRoundRobinPlacementCallsGoInTurn) {
  for (const Placement placement : {Placement::kRendezvous, Placement::kRoundRobin}) {
    ReplicasOptions options;
    options.placement = placement;
    ClientOptions o;
    o.target = absl::StrCat(kA, ",", kB, ",", kC);
    auto replicas = Replicas::Connect(o, options);
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    Replicas& r = **replicas;
    // Round robin ignores the key; rendezvous without a key is in turn.
    const std::string key = placement == Placement::kRoundRobin ? kEdfKey : "";
    std::vector<std::string> first;
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(r.Call(key, [&](NeurofeatClient& c, CallDetails*) {
                     first.push_back(AddressOf(r, &c));
                     return absl::OkStatus();
                   }).ok());
    }
    EXPECT_THAT(first, ElementsAre(kA, kB, kC, kA, kB, kC));
  }
}

// A resolver the test controls: a dns:/// target's addresses now, and how
// often it was asked.
struct FakeDns {
  std::vector<std::string> addresses;
  absl::Status error;
  int lookups = 0;
  std::function<absl::StatusOr<std::vector<std::string>>(const std::string&)> Fn() {
    return [this](const std::string& target) -> absl::StatusOr<std::vector<std::string>> {
      EXPECT_EQ(target, "dns:///neurofeat-headless.test:50051");
      ++lookups;
      if (!error.ok()) return error;
      return addresses;
    };
  }
};

TEST(ReplicasTest, ADnsTargetIsResolvedAgainSoAScaledSetIsPickedUp) {
  FakeClock clock;
  FakeDns dns;
  dns.addresses = {kA, kB};
  ReplicasOptions options;
  options.now = clock.Fn();
  options.resolve = dns.Fn();
  ClientOptions o;
  o.target = "dns:///neurofeat-headless.test:50051";
  auto replicas = Replicas::Connect(o, options);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  Replicas& r = **replicas;
  EXPECT_EQ(dns.lookups, 1);
  auto first_replica = [&](absl::string_view key) {
    std::string where;
    EXPECT_TRUE(r.Call(key, [&](NeurofeatClient& c, CallDetails*) {
                   where = AddressOf(r, &c);
                   return absl::OkStatus();
                 }).ok());
    return where;
  };
  EXPECT_EQ(first_replica(kEdfKey), kB);  // B before A for this key
  // Scaled to three: not seen before 10 s...
  dns.addresses = {kA, kB, kC};
  clock.now += std::chrono::milliseconds(9999);
  EXPECT_EQ(first_replica(kEdfKey), kB);
  EXPECT_EQ(dns.lookups, 1);
  // ...then the key ranks C first.
  clock.now += std::chrono::milliseconds(1);
  EXPECT_EQ(first_replica(kEdfKey), kC);
  EXPECT_EQ(dns.lookups, 2);
  EXPECT_EQ(r.size(), 3u);
  // A name that does not resolve for a moment keeps the list.
  dns.error = absl::NotFoundError("no such host");
  clock.now += std::chrono::seconds(10);
  EXPECT_EQ(first_replica(kEdfKey), kC);
  EXPECT_EQ(dns.lookups, 3);
  dns.error = absl::OkStatus();
  // Scaled down to two: C is unreachable, so its keys go to their next
  // replica at once, and the list is resolved again within a second, not
  // ten.
  dns.addresses = {kA, kB};
  std::vector<std::string> seen;
  const std::map<const NeurofeatClient*, std::string> names = {
      {&r.client(0), r.address(0)}, {&r.client(1), r.address(1)}, {&r.client(2), r.address(2)}};
  absl::Status s = r.Call(kEdfKey, [&](NeurofeatClient& c, CallDetails*) {
    seen.push_back(names.at(&c));
    return names.at(&c) == kC ? absl::UnavailableError("connection refused") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(kC, kB));
  clock.now += std::chrono::milliseconds(999);
  EXPECT_EQ(first_replica(kAbcKey), kB);
  EXPECT_EQ(dns.lookups, 3);
  clock.now += std::chrono::milliseconds(1);
  EXPECT_EQ(first_replica(kAbcKey), kB);
  EXPECT_EQ(dns.lookups, 4);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_THAT(r.Preference(kEdfKey), ElementsAre(kB, kA));
}

TEST(ReplicasTest, KeysMatterWithSeveralReplicasOrANameThatMayListSeveral) {
  struct Case {
    std::string target;
    Placement placement;
    bool uses_keys;
  };
  const Case kCases[] = {
      {kA, Placement::kRendezvous, false},
      {absl::StrCat(kA, ",", kB), Placement::kRendezvous, true},
      {absl::StrCat(kA, ",", kB), Placement::kRoundRobin, false},
      {"dns:///neurofeat-headless.test:50051", Placement::kRendezvous, true},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.target);
    ReplicasOptions options;
    options.placement = c.placement;
    options.resolve = [](const std::string& target) -> absl::StatusOr<std::vector<std::string>> {
      if (absl::StartsWith(target, "dns:")) return std::vector<std::string>{kA};
      return ResolveTargets(target);
    };
    ClientOptions o;
    o.target = c.target;
    auto replicas = Replicas::Connect(o, options);
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    EXPECT_EQ((*replicas)->UsesKeys(), c.uses_keys);
  }
}

TEST(ReplicasTest, AListOfAddressesIsNotResolvedAgain) {
  FakeClock clock;
  ReplicasOptions options;
  options.now = clock.Fn();
  int lookups = 0;
  options.resolve = [&](const std::string& target) {
    ++lookups;
    return ResolveTargets(target);
  };
  ClientOptions o;
  o.target = absl::StrCat(kA, ",", kB);
  auto replicas = Replicas::Connect(o, options);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  clock.now += std::chrono::minutes(5);
  ASSERT_TRUE((*replicas)
                  ->Call(kEdfKey, [](NeurofeatClient&, CallDetails*) { return absl::OkStatus(); })
                  .ok());
  EXPECT_EQ(lookups, 1);
}

TEST(ReplicasTest, RefusalsMoveToTheNextReplicaOthersReturnAtOnce) {
  ClientOptions o;
  o.target = "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3";
  auto replicas = Replicas::Connect(o);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  std::vector<NeurofeatClient*> seen;
  // Refused by the first two it tries, accepted by the third.
  absl::Status s = (*replicas)->Call([&](NeurofeatClient& c, CallDetails*) {
    seen.push_back(&c);
    return seen.size() < 3 ? absl::UnavailableError("down") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_NE(seen[0], seen[2]);
  // Not a refusal: no other replica is tried.
  int calls = 0;
  s = (*replicas)->Call([&](NeurofeatClient&, CallDetails*) {
    ++calls;
    return absl::InvalidArgumentError("bad pipeline");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
  // Refused everywhere: retried after backing off, given up within budget.
  calls = 0;
  s = (*replicas)->Call(
      [&](NeurofeatClient&, CallDetails*) {
        ++calls;
        return absl::ResourceExhaustedError("busy");
      },
      std::chrono::milliseconds(400));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GE(calls, 6);  // at least two rounds of three
  // "Never" (pushback -1: larger than the server's whole budget): every
  // replica is asked once, then the refusal is returned without waiting.
  calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  s = (*replicas)->Call(
      [&](NeurofeatClient&, CallDetails* d) {
        ++calls;
        d->retry_pushback = std::chrono::milliseconds(-1);
        return absl::ResourceExhaustedError("too large");
      },
      std::chrono::seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

// A server that restarted between an upload and the request reading it
// answers NOT_FOUND for the upload: the unit (upload and request) is run
// again at once on the same replica; other NOT_FOUNDs are answers.
TEST(ReplicasTest, AnUnknownUploadIsUploadedAgainAtOnce) {
  ClientOptions o;
  o.target = "127.0.0.1:1";
  auto replicas = Replicas::Connect(o);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  int calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status s = (*replicas)->Call([&](NeurofeatClient&, CallDetails*) {
    ++calls;
    return calls == 1 ? absl::NotFoundError("recording.upload_id: upload \"x\" is unknown")
                      : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  calls = 0;
  s = (*replicas)->Call([&](NeurofeatClient&, CallDetails*) {
    ++calls;
    return absl::NotFoundError("recording.path.path: \"x.npy\" not found under the data roots");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

// The budget bounds the whole call: with nothing listening, a 2 s budget
// gives up after at most 2 s, and not before the first four waits (at least
// 50 + 100 + 200 + 400 ms: each a draw from [half, all] of its step) have
// passed; the fifth step (800-1600 ms) may not fit the rest.
TEST(ReplicasTest, TheBudgetBoundsTheWholeCall) {
  ClientOptions o;
  o.target = "127.0.0.1:1";
  o.retry.budget = std::chrono::seconds(2);
  auto replicas = Replicas::Connect(o);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  int calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status s = (*replicas)->Call([&](NeurofeatClient&, CallDetails*) {
    ++calls;
    return absl::UnavailableError("connection refused");
  });
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_LE(took, std::chrono::seconds(2));
  EXPECT_GE(took, std::chrono::milliseconds(750));
  EXPECT_GE(calls, 5);
}

}  // namespace
}  // namespace neurofeat::client
