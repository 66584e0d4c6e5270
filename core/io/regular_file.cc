#include "core/io/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace neurofeat {
namespace {

const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "a special file";
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<OpenedFile> OpenRegularFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("file not found: ", path));
    }
    if (error == EACCES || error == EPERM) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read ", path));
    }
    if (error == ENXIO || error == EISDIR) {
      // open() refuses sockets and directories before we can fstat them.
      struct stat st;
      const bool named = ::stat(path.c_str(), &st) == 0;
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is not a regular file",
                       named ? absl::StrCat(" (", FileKind(st.st_mode), ")") : ""));
    }
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", std::strerror(error)));
  }
  OpenedFile out{ScopedFd(fd), 0};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::InternalError(absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a regular file (", FileKind(st.st_mode), ")"));
  }
  out.size = static_cast<int64_t>(st.st_size);
  return out;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, int64_t max_bytes) {
  absl::StatusOr<OpenedFile> file = OpenRegularFile(path);
  if (!file.ok()) return file.status();
  if (file->size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", file->size, " bytes is more than a header file may hold (", max_bytes, ")"));
  }
  std::string text(static_cast<size_t>(file->size), '\0');
  absl::Status s = PreadFully(file->fd.get(), text.data(), text.size(), 0, path);
  if (!s.ok()) return s;
  return text;
}

absl::Status PreadFully(int fd, void* buf, size_t bytes, int64_t offset, const std::string& path) {
  char* p = static_cast<char*>(buf);
  while (bytes > 0) {
    ssize_t n = ::pread(fd, p, bytes, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(path, " ended early (was it truncated while open?)"));
    }
    p += n;
    bytes -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

}  // namespace neurofeat
