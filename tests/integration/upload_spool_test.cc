// The upload spool on a real neurofeatd: an upload's file is deleted by the
// server's timer once its time to live passes (no other request needed),
// the spool's bytes are a gauge, a clean stop leaves no directory, a server
// killed with SIGKILL has its spool removed by the next server started over
// the same --upload-dir, and an unknown upload id tells the client what to
// do.
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::TimeScale;
using ::testing::HasSubstr;

// The value of one sample line of the exposition, or -1.
double Metric(const std::string& page, const std::string& name) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// Every regular file under `dir`, recursively.
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path().string());
  }
  return files;
}

// The entries directly in `dir`.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

// Writes a (frames, 4) float32 recording to upload.
void WriteRecording(const std::string& path, int64_t frames) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, 4);
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 10);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  ASSERT_TRUE(WriteNpy(path, t).ok());
}

// Waits (polling, bounded) until `done()` holds; returns whether it did.
template <typename Done>
bool WaitFor(Done done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::chrono::milliseconds Scaled(int ms) {
  return std::chrono::milliseconds(static_cast<int>(ms * TimeScale()));
}

// Preprocesses an upload: OK, or the call's status.
absl::Status UseUpload(client::NeurofeatClient& client, const std::string& id) {
  v1::PreprocessRequest req;
  req.mutable_recording()->set_upload_id(id);
  req.mutable_recording()->set_sampling_rate_hz(30000);
  *req.mutable_pipeline() =
      *api::ParsePipelineJson(R"({"preprocess": [{"bandpass": {"freq_min": 300}}]})");
  return client.Preprocess(req, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
}

TEST(ServerSpoolTest, TheTimerDeletesAnUploadAfterItsTtlAndTheGaugeFollows) {
  TempDir dir;
  ServerProcess server(
      {"--upload-dir", dir.File("spool"), "--upload-ttl", "1s", "--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.started()) << server.Log();
  EXPECT_EQ(Metric(server.Scrape(), "neurofeat_upload_spool_bytes"), 0);
  WriteRecording(dir.File("x.npy"), 3000);
  auto client = server.Client();
  absl::StatusOr<std::string> id = client->UploadNpy(dir.File("x.npy"), 10000, nullptr);
  ASSERT_TRUE(id.ok()) << id.status();
  const auto uploaded = std::chrono::steady_clock::now();
  ASSERT_EQ(FilesUnder(dir.File("spool")).size(), 2u);  // the upload and the spool's lock
  EXPECT_EQ(Metric(server.Scrape(), "neurofeat_upload_spool_bytes"), 3000 * 4 * 4);
  ASSERT_TRUE(UseUpload(*client, *id).ok());
  // Nothing else is sent: only the server's timer can delete the file, and
  // it does within a second of the ttl.
  const bool deleted =
      WaitFor([&] { return FilesUnder(dir.File("spool")).size() == 1; }, Scaled(2500));
  EXPECT_TRUE(deleted) << "the upload outlived its ttl by more than 1.5 s";
  EXPECT_GE(std::chrono::steady_clock::now() - uploaded, std::chrono::milliseconds(900));
  EXPECT_EQ(Metric(server.Scrape(), "neurofeat_upload_spool_bytes"), 0);
  // The id is now unknown, and the client is told what to do.
  const absl::Status gone = UseUpload(*client, *id);
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound) << gone;
  EXPECT_EQ(gone.message(),
            absl::StrCat("recording.upload_id: upload \"", *id,
                         "\" is unknown to this server (it restarted since, another replica holds "
                         "it, or it expired); upload the recording again"));
}

TEST(ServerSpoolTest, ACleanStopLeavesNoDirectory) {
  TempDir dir;
  // The default spool: $TMPDIR.
  ServerProcess server({"--upload-dir="}, {{"TMPDIR", dir.path()}});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::vector<std::string> entries = Entries(dir.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(entries[0], absl::StrCat("neurofeatd-", server.pid(), "-")))
      << entries[0];
  WriteRecording(dir.File("x.npy"), 1000);
  ASSERT_TRUE(server.Client()->UploadNpy(dir.File("x.npy"), 10000, nullptr).ok());
  std::filesystem::remove(dir.File("x.npy"));
  EXPECT_EQ(FilesUnder(dir.path()).size(), 2u);
  EXPECT_EQ(server.Stop(), 0) << server.Log();
  EXPECT_THAT(Entries(dir.path()), ::testing::IsEmpty());
}

TEST(ServerSpoolTest, AKilledServersSpoolIsRemovedByTheNextStart) {
  TempDir dir;
  const std::string spool = dir.File("spool");
  WriteRecording(dir.File("x.npy"), 30000);
  std::string orphan;
  {
    ServerProcess first({"--upload-dir", spool});
    ASSERT_TRUE(first.started()) << first.Log();
    auto client = first.Client();
    ASSERT_TRUE(client->UploadNpy(dir.File("x.npy"), 100000, nullptr).ok());
    ASSERT_TRUE(client->UploadNpy(dir.File("x.npy"), 100000, nullptr).ok());
    first.Kill();
    ASSERT_EQ(Entries(spool).size(), 1u);
    orphan = spool + "/" + Entries(spool)[0];
    EXPECT_EQ(FilesUnder(orphan).size(), 3u) << "two uploads and the lock left behind";
  }
  ServerProcess second({"--upload-dir", spool});
  ASSERT_TRUE(second.started()) << second.Log();
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_THAT(second.Log(), HasSubstr("removed 1 upload spool(s) left by killed processes"));
  const std::vector<std::string> entries = Entries(spool);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(entries[0], absl::StrCat("neurofeatd-", second.pid(), "-")));
  EXPECT_EQ(second.Stop(), 0);
  EXPECT_THAT(Entries(spool), ::testing::IsEmpty());
}

}  // namespace
}  // namespace neurofeat
