// File: regular_file.h
//
// Opening files named by requests. A path under a data root may name a
// FIFO, a device or a socket; open(2) on a FIFO blocks until a writer comes,
// which would hang a request forever and stall shutdown. Every reader opens
// through OpenRegularFile(): O_NONBLOCK (so open never waits), then fstat on
// the descriptor (so what is checked is what is read) and anything but a
// regular file is refused.
//
// Example:
//   NF_ASSIGN_OR_RETURN(ScopedFd fd, OpenRegularFile(path));
//   NF_RETURN_IF_ERROR(PreadFully(fd.get(), buf, n, offset, path));
#ifndef NEUROFEAT_CORE_IO_REGULAR_FILE_H_
#define NEUROFEAT_CORE_IO_REGULAR_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace neurofeat {

// ScopedFd owns a file descriptor and closes it when it dies. Move-only.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct OpenedFile {
  ScopedFd fd;
  // Size in bytes when opened.
  int64_t size = 0;
};

// OpenRegularFile() opens `path` read-only without blocking and checks that
// it is a regular file.
// Errors: NotFound (missing), PermissionDenied (not readable),
// InvalidArgument "<path> is not a regular file (a FIFO)" for FIFOs,
// devices, sockets and directories, Internal for other errors.
absl::StatusOr<OpenedFile> OpenRegularFile(const std::string& path);

// ReadSmallFile() reads a whole regular file of at most `max_bytes` (headers
// and sidecars such as .meta and structure.oebin); a larger one is
// InvalidArgument naming the limit, so a huge "sidecar" is never loaded.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, int64_t max_bytes);

// PreadFully() reads exactly `bytes` at `offset`, looping over short reads
// and EINTR. Errors: DataLoss when the file ends early, Internal on I/O
// errors; both name `path`.
absl::Status PreadFully(int fd, void* buf, size_t bytes, int64_t offset, const std::string& path);

// FdPath() is a path that opens the same file as `fd` ("/proc/self/fd/N"),
// for libraries that only take a path (EDFlib): what they open is the file
// that was checked, not whatever the name points to by then.
std::string FdPath(int fd);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_REGULAR_FILE_H_
