#include "core/io/binary_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/io/npy.h"
#include "core/status_macros.h"

namespace neurofeat {

absl::StatusOr<std::unique_ptr<InterleavedBinarySource>> InterleavedBinarySource::Open(
    const std::string& path, const BinaryLayout& layout, RecordingInfo info) {
  if (layout.channels < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": channel count must be >= 1, got ", layout.channels));
  }
  if (layout.data_offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": data offset must be >= 0, got ", layout.data_offset));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("file not found: ", path));
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  auto src = std::unique_ptr<InterleavedBinarySource>(new InterleavedBinarySource());
  src->fd_ = fd;
  src->path_ = path;
  src->layout_ = layout;
  struct stat st;
  if (::fstat(fd, &st) != 0) return absl::InternalError(absl::StrCat("cannot stat ", path));
  const int64_t frame_bytes = layout.channels * static_cast<int64_t>(SampleTypeSize(layout.type));
  const int64_t payload = static_cast<int64_t>(st.st_size) - layout.data_offset;
  if (payload < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": data offset ", layout.data_offset,
                                                   " is past the end of the file (", st.st_size,
                                                   " bytes)"));
  }
  if (layout.frames < 0) {
    if (payload % frame_bytes != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", payload, " bytes of samples are not a whole number of frames of ",
          layout.channels, " channels x ", SampleTypeSize(layout.type), " bytes (",
          SampleTypeName(layout.type), "); check the channel count and dtype"));
    }
    src->layout_.frames = payload / frame_bytes;
  } else if (layout.frames * frame_bytes > payload) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is truncated: ", layout.frames,
                                                   " frames need ", layout.frames * frame_bytes,
                                                   " bytes, the file holds ", payload));
  }
  if (info.channel_ids.empty()) {
    for (int64_t c = 0; c < layout.channels; ++c) info.channel_ids.push_back(absl::StrCat(c));
  } else if (static_cast<int64_t>(info.channel_ids.size()) != layout.channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", info.channel_ids.size(), " channel ids for ", layout.channels, " channels"));
  }
  src->info_ = std::move(info);
  return src;
}

InterleavedBinarySource::~InterleavedBinarySource() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<Traces> InterleavedBinarySource::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  Traces t = Traces::Uninitialized(layout_.type, end - start, layout_.channels);
  const int64_t frame_bytes = layout_.channels * static_cast<int64_t>(SampleTypeSize(layout_.type));
  NF_RETURN_IF_ERROR(
      PreadFully(fd_, t.bytes(), t.size_bytes(), layout_.data_offset + start * frame_bytes, path_));
  return t;
}

}  // namespace neurofeat
