// A server killed (kill -9) and restarted on the same port between an
// upload and the request that reads it: the client library uploads again
// (the retry policy's unit is the upload and the request) and the table is
// the one an uninterrupted run gives.
#include <string>

#include "absl/strings/str_cat.h"
#include "api/response_convert.h"
#include "client/lib/replicas.h"
#include "client/lib/request_samples.h"
#include "core/io/npy.h"
#include "core/status_macros.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using client::CallDetails;
using client::NeurofeatClient;

// 40 windows x 4 channels x 512 samples of the golden EEGDash input.
v1::ExtractRequest Request() {
  v1::ExtractRequest r;
  r.mutable_recording()->set_sampling_rate_hz(256);
  for (const char* c : {"Fz", "C3", "C4", "Pz"}) r.mutable_recording()->add_channel_names(c);
  auto* f = r.mutable_pipeline()->add_features();
  f->set_name("var");
  f->set_fn("signal_variance");
  return r;
}

absl::StatusOr<FeatureTable> ExtractWith(NeurofeatClient& c, const v1::ExtractRequest& r,
                                         CallDetails* d) {
  api::ExtractTableReader reader;
  absl::Status s = c.Extract(r, [&](const v1::ExtractResponse& m) { return reader.Add(m); }, d);
  if (!s.ok()) return s;
  NF_RETURN_IF_ERROR(reader.Finish());
  return std::move(reader.mutable_table());
}

TEST(RestartTest, AnUploadLostToARestartIsSentAgain) {
  const std::string x = testing::TestDataPath("eegdash/allfeatures_X.npy");
  auto first = std::make_unique<testing::ServerProcess>();
  ASSERT_TRUE(first->started()) << first->Log();
  const int port = first->port();
  // Uninterrupted: the reference table.
  v1::ExtractRequest uninterrupted = Request();
  client::RequestSamples samples;
  samples.local_path = x;
  std::unique_ptr<NeurofeatClient> c = first->Client();
  ASSERT_TRUE(client::AttachSamples(*c, samples, uninterrupted.mutable_recording(), nullptr).ok());
  absl::StatusOr<FeatureTable> want = ExtractWith(*c, uninterrupted, nullptr);
  ASSERT_TRUE(want.ok()) << want.status();

  client::ClientOptions o;
  o.target = absl::StrCat("127.0.0.1:", port);
  o.retry.budget = std::chrono::seconds(60);
  auto replicas = client::Replicas::Connect(o);
  ASSERT_TRUE(replicas.ok()) << replicas.status();
  std::unique_ptr<testing::ServerProcess> second;
  int attempts = 0;
  FeatureTable got;
  absl::Status s = (*replicas)->Call([&](NeurofeatClient& client, CallDetails* d) {
    ++attempts;
    v1::ExtractRequest r = Request();
    NF_RETURN_IF_ERROR(client::AttachSamples(client, samples, r.mutable_recording(),
                                                      nullptr));
    if (attempts == 1) {
      // The upload is done; the server dies and another takes its port.
      first->Kill();
      second = std::make_unique<testing::ServerProcess>(
          std::vector<std::string>{"--listen", absl::StrCat("127.0.0.1:", port)});
      if (!second->started()) return absl::InternalError(second->Log());
    }
    absl::StatusOr<FeatureTable> t = ExtractWith(client, r, d);
    if (!t.ok()) return t.status();
    got = *std::move(t);
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s << (second ? second->Log() : "");
  EXPECT_EQ(attempts, 2);  // the first's upload was unknown to the new server
  ASSERT_EQ(got.rows, want->rows);
  EXPECT_EQ(got.columns, want->columns);
  EXPECT_EQ(got.values, want->values);
}

}  // namespace
}  // namespace neurofeat
