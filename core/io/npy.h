// File: npy.h
//
// A small, strict reader and writer for NumPy .npy files (format 1.0-3.0,
// little-endian, C order). Anything numpy.save would not write, or that does
// not add up (truncated data, trailing bytes, a shape whose size overflows,
// Fortran order, big-endian or object dtypes), is refused with
// InvalidArgument naming what is wrong. Random access by rows, so a reader
// never loads a whole file to serve a slice.
//
// Example:
//   NF_ASSIGN_OR_RETURN(NpyArray a, ReadNpy("x.npy"));
//   NF_ASSIGN_OR_RETURN(auto source, NpyTraceSource::Open("x.npy", info));
//   NF_ASSIGN_OR_RETURN(auto w, NpyWriter::Create("y.npy", NpyDtype::kFloat32,
//                                                 {frames, channels}));
#ifndef NEUROFEAT_CORE_IO_NPY_H_
#define NEUROFEAT_CORE_IO_NPY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/regular_file.h"
#include "core/source/trace_source.h"
#include "core/traces.h"

namespace neurofeat {

enum class NpyDtype { kInt16, kInt32, kInt64, kFloat32, kFloat64 };

// NpyDtypeSize() is the item size in bytes.
size_t NpyDtypeSize(NpyDtype dtype);
const char* NpyDtypeDescr(NpyDtype dtype);  // "<i2", "<f4", ...

struct NpyHeader {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<int64_t> shape;
  // Byte offset of the first item in the file.
  int64_t data_offset = 0;
  int64_t num_items() const;
};

// ParseNpyHeader() parses the header at the start of `prefix` (which must
// hold the whole header) of a file of `file_size` bytes and checks that the
// data size matches the file size exactly.
// Errors: InvalidArgument naming the problem.
absl::StatusOr<NpyHeader> ParseNpyHeader(const std::string& prefix, int64_t file_size);

struct NpyArray {
  NpyHeader header;
  std::vector<std::byte> data;
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data.data());
  }
};

// ReadNpy() reads a whole file. Errors: NotFound if it does not exist,
// InvalidArgument if it is malformed, Internal on an I/O error.
absl::StatusOr<NpyArray> ReadNpy(const std::string& path);

// ReadNpyHeader() reads only the header of an .npy file (a regular file;
// see regular_file.h), or of one already open (`size` bytes).
absl::StatusOr<NpyHeader> ReadNpyHeader(const std::string& path);
absl::StatusOr<NpyHeader> ReadNpyHeader(int fd, int64_t size, const std::string& path);

// ParseNpy() reads a whole .npy image held in memory.
absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes);

// NpyToTraces() turns a 2-D int16/float32/float64 array into Traces.
// Errors: InvalidArgument for another rank or dtype (naming `what`).
absl::StatusOr<Traces> NpyToTraces(const NpyArray& array, const std::string& what);

// WriteNpy() writes `traces` as a (frames, channels) array.
absl::Status WriteNpy(const std::string& path, const Traces& traces);

// NpyWriter writes a file whose shape is known up front, row blocks in
// order; Finish() checks that every item was written. Not thread-safe.
class NpyWriter {
 public:
  static absl::StatusOr<std::unique_ptr<NpyWriter>> Create(const std::string& path, NpyDtype dtype,
                                                           std::vector<int64_t> shape);
  ~NpyWriter();
  // Append() writes traces whose type matches the dtype, row-major.
  absl::Status Append(const Traces& traces);
  absl::Status AppendBytes(const void* data, size_t bytes);
  absl::Status Finish();

 private:
  NpyWriter() = default;
  int fd_ = -1;
  std::string path_;
  NpyDtype dtype_ = NpyDtype::kFloat32;
  int64_t expected_bytes_ = 0;
  int64_t written_bytes_ = 0;
};

// NpyTraceSource reads frames of a (frames, channels) int16/float32/float64
// .npy file on demand with pread; it never holds the whole file.
class NpyTraceSource final : public TraceSource {
 public:
  // Open() checks the header; `info.channel_ids` may be empty (ids become
  // "0".."C-1") or must have one id per column.
  // Errors: NotFound, InvalidArgument (malformed, rank != 2, dtype,
  // channel id count), Internal on I/O errors.
  static absl::StatusOr<std::unique_ptr<NpyTraceSource>> Open(const std::string& path,
                                                              RecordingInfo info);
  ~NpyTraceSource() override;

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return header_.shape[0]; }
  SampleType sample_type() const override { return type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  NpyTraceSource() = default;
  ScopedFd fd_;
  std::string path_;
  NpyHeader header_;
  SampleType type_ = SampleType::kFloat32;
  RecordingInfo info_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_NPY_H_
