// Files named by requests: FIFOs, devices and directories are refused
// without blocking; sidecars are size-capped; short reads are named.
#include "core/io/regular_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RegularFileTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("x.npy").c_str(), 0644), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(
      OpenRegularFile(dir.File("x.npy")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file (a FIFO)")));
  EXPECT_THAT(ReadSmallFile(dir.File("x.npy"), 100).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
}

TEST(RegularFileTest, DirectoriesDevicesAndMissingFiles) {
  testing::TempDir dir;
  EXPECT_THAT(OpenRegularFile(dir.path()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
  // Sandboxes may bind a regular file over /dev/null: test the first path
  // that is a character device here, and a socket, which every machine has.
  bool tested_a_device = false;
  for (const char* device : {"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom"}) {
    struct stat st {};
    if (::stat(device, &st) != 0 || !S_ISCHR(st.st_mode)) continue;
    EXPECT_THAT(OpenRegularFile(device).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character device")));
    tested_a_device = true;
    break;
  }
  if (!tested_a_device) std::fprintf(stderr, "no character device on this machine\n");
  const std::string socket_path = dir.File("s.npy");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_THAT(OpenRegularFile(socket_path).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a socket")));
  ::close(fd);
  EXPECT_THAT(OpenRegularFile(dir.File("missing")).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir.File("missing"))));
  EXPECT_THAT(OpenRegularFile(dir.File("missing/below")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(RegularFileTest, RegularFilesOpenAndReadWithTheirSize) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("a.meta"), "nSavedChans=385\n");
  absl::StatusOr<OpenedFile> f = OpenRegularFile(dir.File("a.meta"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->size, 16);
  char buf[4];
  ASSERT_TRUE(PreadFully(f->fd.get(), buf, 4, 0, "a.meta").ok());
  EXPECT_EQ(std::string(buf, 4), "nSav");
  EXPECT_THAT(PreadFully(f->fd.get(), buf, 4, 14, "a.meta"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("a.meta ended early")));
  EXPECT_EQ(*ReadSmallFile(dir.File("a.meta"), 16), "nSavedChans=385\n");
  EXPECT_THAT(ReadSmallFile(dir.File("a.meta"), 15).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than a header")));
}

}  // namespace
}  // namespace neurofeat
