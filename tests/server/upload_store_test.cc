#include "server/upload_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat::server {
namespace {

using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::TimeScale;
using ::neurofeat::testing::WriteFile;

// The names in `dir` (not recursive).
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Uploads 10 x 2 int16 samples; returns the id.
std::string UploadSmall(UploadStore& store) {
  auto w = store.Begin(NpyDtype::kInt16, {10, 2});
  EXPECT_TRUE(w.ok()) << w.status();
  if (!w.ok()) return "";
  const std::vector<int16_t> data(20, 7);
  EXPECT_TRUE((*w)->Append(data.data(), 40).ok());
  absl::StatusOr<std::string> id = (*w)->Finish();
  EXPECT_TRUE(id.ok()) << id.status();
  return id.value_or("");
}

// The pid of a process that has exited and been reaped.
pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(UploadStoreTest, UploadsAreBoundedCheckedAndExpire) {
  TempDir dir;
  auto store = UploadStore::Create(
      {.parent_dir = dir.File("up"), .max_upload_bytes = 1000, .ttl = std::chrono::seconds(60)});
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->Begin(NpyDtype::kFloat32, {100, 10}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("upload limit")));
  auto w = (*store)->Begin(NpyDtype::kInt16, {10, 2});
  ASSERT_TRUE(w.ok());
  const std::vector<int16_t> data(20, 7);
  ASSERT_TRUE((*w)->Append(data.data(), 30).ok());
  EXPECT_THAT((*w)->Finish().status(),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 30 of 40 bytes
  auto w2 = (*store)->Begin(NpyDtype::kInt16, {10, 2});
  ASSERT_TRUE((*w2)->Append(data.data(), 40).ok());
  auto id = (*w2)->Finish();
  ASSERT_TRUE(id.ok()) << id.status();
  auto path = (*store)->Path(*id);
  ASSERT_TRUE(path.ok());
  EXPECT_TRUE(std::filesystem::exists(*path));
  EXPECT_THAT((*store)->Path("not-an-id").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // After the time to live the file is gone and the id unknown.
  (*store)->Expire(std::chrono::steady_clock::now() + std::chrono::seconds(61));
  EXPECT_FALSE(std::filesystem::exists(*path));
  EXPECT_THAT((*store)->Path(*id).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(UploadStoreTest, TheSpoolAsAWholeIsBoundedAndReservationsReturn) {
  TempDir dir;
  auto store = UploadStore::Create({.parent_dir = dir.File("up"),
                                    .max_upload_bytes = 1000,
                                    .max_spool_bytes = 1500,
                                    .ttl = std::chrono::seconds(60)});
  ASSERT_TRUE(store.ok());
  const std::vector<int16_t> data(400, 1);
  auto first = (*store)->Begin(NpyDtype::kInt16, {200, 2});  // 800 bytes
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*store)->spool_bytes(), 800);
  // In progress, the first upload's bytes are reserved: no room for 800 more.
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {200, 2}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("spool")));
  // An abandoned upload returns its reservation.
  first->reset();
  EXPECT_EQ((*store)->spool_bytes(), 0);
  auto second = (*store)->Begin(NpyDtype::kInt16, {200, 2});
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Append(data.data(), 800).ok());
  ASSERT_TRUE((*second)->Finish().ok());
  // Finished, it still holds its bytes until it expires.
  EXPECT_EQ((*store)->spool_bytes(), 800);
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {200, 2}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  (*store)->Expire(std::chrono::steady_clock::now() + std::chrono::seconds(61));
  EXPECT_EQ((*store)->spool_bytes(), 0);
  EXPECT_TRUE((*store)->Begin(NpyDtype::kInt16, {200, 2}).ok());
}

TEST(UploadStoreTest, ShapesThatWrapAreRefused) {
  TempDir dir;
  auto store = UploadStore::Create({.parent_dir = dir.File("up")});
  ASSERT_TRUE(store.ok());
  EXPECT_THAT((*store)->Begin(NpyDtype::kFloat32, {(int64_t{1} << 62) + 30000, 4}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("upload.header")));
  EXPECT_THAT((*store)->Begin(NpyDtype::kInt16, {4, int64_t{1} << 40}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("channels")));
}

// A client holding an id the server does not know is told what to do: the
// code and field it can match on, and why it may have happened, never the
// time to live as the one cause.
TEST(UploadStoreTest, UnknownIdSaysToUploadAgain) {
  TempDir dir;
  auto store =
      UploadStore::Create({.parent_dir = dir.File("up"), .ttl = std::chrono::seconds(3600)});
  ASSERT_TRUE(store.ok());
  const std::string id = "0123456789abcdef0123456789abcdef";
  const std::string expected =
      "recording.upload_id: upload \"0123456789abcdef0123456789abcdef\" is unknown to this server "
      "(it restarted since, another replica holds it, or it expired); upload the recording again";
  EXPECT_THAT((*store)->Path(id).status(), StatusIs(absl::StatusCode::kNotFound, expected));
  // An expired upload reads the same.
  const std::string known = UploadSmall(**store);
  (*store)->Expire(std::chrono::steady_clock::now() + std::chrono::seconds(3601));
  EXPECT_THAT((*store)->Path(known).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("recording.upload_id: upload \"", known,
                                    "\" is unknown to this server (it restarted since, another "
                                    "replica holds it, or it expired); upload the recording "
                                    "again")));
  EXPECT_THAT((*store)->Path(id).status().message(), ::testing::Not(::testing::HasSubstr("3600")));
}

// ---- The spool never outlives its process ----------------------------------

TEST(UploadSpoolTest, TimerDeletesAnExpiredUploadWithinASecondOfItsTtl) {
  TempDir dir;
  const auto ttl = std::chrono::seconds(1);
  auto store = UploadStore::Create({.parent_dir = dir.path(), .ttl = ttl});
  ASSERT_TRUE(store.ok());
  const std::string id = UploadSmall(**store);
  const auto finished = std::chrono::steady_clock::now();
  auto path = (*store)->Path(id);
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_TRUE(std::filesystem::exists(*path));
  EXPECT_EQ((*store)->spool_bytes(), 40);
  // No other call into the store: only its timer can delete the file.
  const auto deadline =
      finished + ttl + std::chrono::milliseconds(static_cast<int>(1000 * TimeScale()));
  while (std::filesystem::exists(*path) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto gone = std::chrono::steady_clock::now();
  EXPECT_FALSE(std::filesystem::exists(*path)) << "still there 1 s after its ttl";
  EXPECT_GE(gone - finished, ttl - std::chrono::milliseconds(20));  // not before its time
  EXPECT_EQ((*store)->spool_bytes(), 0);
  EXPECT_THAT((*store)->Path(id).status(), StatusIs(absl::StatusCode::kNotFound));
  // The timer keeps going: a second upload expires too.
  const std::string second = UploadSmall(**store);
  auto second_path = (*store)->Path(second);
  ASSERT_TRUE(second_path.ok());
  const auto second_deadline = std::chrono::steady_clock::now() + ttl +
                               std::chrono::milliseconds(static_cast<int>(1000 * TimeScale()));
  while (std::filesystem::exists(*second_path) &&
         std::chrono::steady_clock::now() < second_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(std::filesystem::exists(*second_path));
}

TEST(UploadSpoolTest, ACleanStopLeavesNoDirectory) {
  TempDir dir;
  std::string spool;
  {
    auto store = UploadStore::Create({.parent_dir = dir.path()});
    ASSERT_TRUE(store.ok());
    spool = (*store)->dir();
    EXPECT_EQ(std::filesystem::path(spool).parent_path(), std::filesystem::path(dir.path()));
    EXPECT_TRUE(absl::StartsWith(std::filesystem::path(spool).filename().string(),
                                 absl::StrCat("neurofeatd-", ::getpid(), "-")));
    EXPECT_EQ(std::filesystem::status(spool).permissions(), std::filesystem::perms::owner_all);
    UploadSmall(**store);
    UploadSmall(**store);
    EXPECT_EQ(Names(spool).size(), 3u);  // two uploads and the lock
  }
  EXPECT_FALSE(std::filesystem::exists(spool));
  EXPECT_THAT(Names(dir.path()), ::testing::IsEmpty());
}

TEST(UploadSpoolTest, CreatesAMissingParentPrivateAndLeavesAnExistingOneAlone) {
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec);
  {
    auto store = UploadStore::Create({.parent_dir = dir.File("new/uploads")});
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(std::filesystem::status(dir.File("new/uploads")).permissions(),
              std::filesystem::perms::owner_all);
    auto shared = UploadStore::Create({.parent_dir = dir.path()});
    ASSERT_TRUE(shared.ok());
  }
  EXPECT_EQ(std::filesystem::status(dir.path()).permissions(),
            std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec);
  EXPECT_TRUE(std::filesystem::exists(dir.File("new/uploads")));  // the parent stays
  WriteFile(dir.File("file"), "x");
  EXPECT_THAT(UploadStore::Create({.parent_dir = dir.File("file/sub")}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("--upload-dir")));
}

// The start-up sweep takes exactly the spools whose owner is dead: an
// unlocked lock, or no lock and a pid that is not running. Live stores,
// other names and other processes' lock-less spools stay.
TEST(UploadSpoolTest, SweepRemovesTheSpoolsOfDeadProcessesOnly) {
  TempDir dir;
  const std::string parent = dir.path();
  // A live store in this process: its lock is held.
  auto live = UploadStore::Create({.parent_dir = parent});
  ASSERT_TRUE(live.ok());
  const std::string live_id = UploadSmall(**live);
  // A store whose process died: its lock file is there, unlocked.
  const std::string dead = absl::StrCat(parent, "/neurofeatd-", DeadPid(), "-a1b2c3");
  std::filesystem::create_directories(dead);
  WriteFile(dead + "/.lock", "");
  WriteFile(dead + "/0123.npy", std::string(5000, 'x'));
  WriteFile(dead + "/4567.npy", std::string(3000, 'x'));
  // An older server's spool without a lock, its pid dead; and one whose pid
  // lives (our parent process).
  const std::string old_dead = absl::StrCat(parent, "/neurofeatd-", DeadPid());
  std::filesystem::create_directories(old_dead);
  WriteFile(old_dead + "/89ab.npy", std::string(1000, 'x'));
  const std::string old_live = absl::StrCat(parent, "/neurofeatd-", ::getppid());
  std::filesystem::create_directories(old_live);
  // A lock held by another open file (a process alive in the middle of its
  // work), and names that are not spools.
  const std::string held = absl::StrCat(parent, "/neurofeatd-", DeadPid(), "-d4e5f6");
  std::filesystem::create_directories(held);
  WriteFile(held + "/.lock", "");
  const int held_fd = ::open((held + "/.lock").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held_fd, 0);
  ASSERT_EQ(::flock(held_fd, LOCK_EX | LOCK_NB), 0);
  std::filesystem::create_directories(parent + "/other");
  WriteFile(parent + "/neurofeatd-notes.txt", "x");

  const SpoolSweep sweep = SweepAbandonedSpools(parent);
  EXPECT_EQ(sweep.directories, 2);
  EXPECT_EQ(sweep.bytes, 9000);
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_FALSE(std::filesystem::exists(old_dead));
  EXPECT_TRUE(std::filesystem::exists(old_live));
  EXPECT_TRUE(std::filesystem::exists(held + "/.lock"));
  EXPECT_TRUE(std::filesystem::exists(parent + "/other"));
  EXPECT_TRUE(std::filesystem::exists(parent + "/neurofeatd-notes.txt"));
  auto path = (*live)->Path(live_id);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(std::filesystem::exists(*path));
  // Released, the held one goes at the next sweep, which a new store runs.
  ::close(held_fd);
  auto next = UploadStore::Create({.parent_dir = parent});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->swept().directories, 1);
  EXPECT_FALSE(std::filesystem::exists(held));
  EXPECT_TRUE(std::filesystem::exists(*path));
}

// A process killed in the middle of uploads (no destructor runs): the next
// store under the same parent removes its files.
TEST(UploadSpoolTest, AKilledProcessSpoolIsSweptByTheNextStore) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto store = UploadStore::Create({.parent_dir = dir.path()});
    if (!store.ok()) ::_exit(1);
    auto w = (*store)->Begin(NpyDtype::kInt16, {1000, 2});  // in progress
    const std::vector<int16_t> data(2000, 3);
    if (!w.ok() || !(*w)->Append(data.data(), 2000).ok()) ::_exit(1);
    UploadSmall(**store);  // and finished
    (void)!::write(pipe_fds[1], "k", 1);
    ::pause();  // until killed
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  char ready = 0;
  ASSERT_EQ(::read(pipe_fds[0], &ready, 1), 1);
  ::close(pipe_fds[0]);
  ASSERT_EQ(Names(dir.path()).size(), 1u);
  const std::string orphan = dir.File(Names(dir.path())[0]);
  EXPECT_EQ(Names(orphan).size(), 3u);
  // Alive, its spool is left alone.
  EXPECT_EQ(SweepAbandonedSpools(dir.path()).directories, 0);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(std::filesystem::exists(orphan));
  auto store = UploadStore::Create({.parent_dir = dir.path()});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->swept().directories, 1);
  EXPECT_GT((*store)->swept().bytes, 0);
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_THAT(Names(dir.path()),
              ::testing::ElementsAre(std::filesystem::path((*store)->dir()).filename().string()));
}

}  // namespace
}  // namespace neurofeat::server
