#include "core/io/binary_source.h"

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"

namespace neurofeat {

absl::StatusOr<std::unique_ptr<InterleavedBinarySource>> InterleavedBinarySource::Open(
    const std::string& path, const BinaryLayout& layout, RecordingInfo info) {
  const std::string channels_field =
      layout.channels_field.empty() ? absl::StrCat(path, ": channel count") : layout.channels_field;
  NF_RETURN_IF_ERROR(CheckCount(layout.channels, 1, kMaxChannels, channels_field));
  const std::string offset_field =
      layout.offset_field.empty() ? absl::StrCat(path, ": data offset") : layout.offset_field;
  NF_RETURN_IF_ERROR(CheckCount(layout.data_offset, 0, kMaxCount, offset_field));
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  auto src = std::unique_ptr<InterleavedBinarySource>(new InterleavedBinarySource());
  src->path_ = path;
  src->layout_ = layout;
  const int64_t frame_bytes = layout.channels * static_cast<int64_t>(SampleTypeSize(layout.type));
  const int64_t payload = file.size - layout.data_offset;
  if (payload < 0) {
    return absl::InvalidArgumentError(absl::StrCat(offset_field, ": ", layout.data_offset,
                                                   " bytes is past the end of ", path, " (",
                                                   file.size, " bytes)"));
  }
  if (layout.frames < 0) {
    if (payload % frame_bytes != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", payload, " bytes of samples are not a whole number of frames of ",
          layout.channels, " channels x ", SampleTypeSize(layout.type), " bytes (",
          SampleTypeName(layout.type), "); check the channel count and dtype"));
    }
    src->layout_.frames = payload / frame_bytes;
  } else if (layout.frames > payload / frame_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is truncated: ", layout.frames, " frames of ", frame_bytes,
                     " bytes need more than the ", payload, " bytes the file holds"));
  }
  if (src->layout_.frames < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds no frames of ", layout.channels,
                                                   " channels x ", SampleTypeSize(layout.type),
                                                   " bytes"));
  }
  if (info.channel_ids.empty()) {
    for (int64_t c = 0; c < layout.channels; ++c) info.channel_ids.push_back(absl::StrCat(c));
  } else if (static_cast<int64_t>(info.channel_ids.size()) != layout.channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", info.channel_ids.size(), " channel ids for ", layout.channels, " channels"));
  }
  src->fd_ = std::move(file.fd);
  src->info_ = std::move(info);
  return src;
}

InterleavedBinarySource::~InterleavedBinarySource() = default;

absl::StatusOr<Traces> InterleavedBinarySource::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  Traces t = Traces::Uninitialized(layout_.type, end - start, layout_.channels);
  const int64_t frame_bytes = layout_.channels * static_cast<int64_t>(SampleTypeSize(layout_.type));
  NF_RETURN_IF_ERROR(PreadFully(fd_.get(), t.bytes(), t.size_bytes(),
                                layout_.data_offset + start * frame_bytes, path_));
  return t;
}

}  // namespace neurofeat
