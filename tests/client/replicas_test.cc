#include "client/lib/replicas.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neurofeat::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
// gives up after at most 2 s (and not long before: it keeps trying).
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
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_GE(calls, 5);
}

}  // namespace
}  // namespace neurofeat::client
