// File: binary_source.h
//
// InterleavedBinarySource: frames x channels samples stored time-major at a
// byte offset of a file (raw .bin/.dat, SpikeGLX, Open Ephys binary, NPY),
// read on demand with pread: a request for seconds 600-601 reads those
// bytes and nothing else.
#ifndef NEUROFEAT_CORE_IO_BINARY_SOURCE_H_
#define NEUROFEAT_CORE_IO_BINARY_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/io/regular_file.h"
#include "core/source/trace_source.h"

namespace neurofeat {

struct BinaryLayout {
  SampleType type = SampleType::kInt16;
  int64_t channels = 0;
  int64_t data_offset = 0;  // bytes before the first sample
  // Frames in the file; -1: derived from the file size, which must then be
  // a whole number of frames after the offset.
  int64_t frames = -1;
  // How errors name the channel count and the offset when they came from a
  // request or a header ("recording.path.raw_num_channels",
  // "x.ap.meta: nSavedChans"); default "<path>: channel count".
  std::string channels_field;
  std::string offset_field;
};

class InterleavedBinarySource final : public TraceSource {
 public:
  // The layout is checked against the file's real size before anything is
  // allocated: 1 <= channels <= kMaxChannels, the offset inside the file,
  // and at least one whole frame.
  // Errors: NotFound, InvalidArgument (layout vs file size, channel ids,
  // not a regular file), naming the file and the numbers.
  static absl::StatusOr<std::unique_ptr<InterleavedBinarySource>> Open(const std::string& path,
                                                                       const BinaryLayout& layout,
                                                                       RecordingInfo info);
  ~InterleavedBinarySource() override;

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return layout_.frames; }
  SampleType sample_type() const override { return layout_.type; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  InterleavedBinarySource() = default;
  ScopedFd fd_;
  std::string path_;
  BinaryLayout layout_;
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_BINARY_SOURCE_H_
