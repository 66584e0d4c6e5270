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
#include "core/preprocess/trace_source.h"

namespace neurofeat {

struct BinaryLayout {
  SampleType type = SampleType::kInt16;
  int64_t channels = 0;
  int64_t data_offset = 0;  // bytes before the first sample
  // Frames in the file; -1: derived from the file size, which must then be
  // a whole number of frames after the offset.
  int64_t frames = -1;
};

class InterleavedBinarySource final : public TraceSource {
 public:
  // Errors: NotFound, InvalidArgument (layout vs file size, channel ids),
  // naming the file and the numbers.
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
  int fd_ = -1;
  std::string path_;
  BinaryLayout layout_;
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_BINARY_SOURCE_H_
