// File: traces.h
//
// Traces: an owning, contiguous, time-major block of samples (frames x
// channels, channel index fastest), like SpikeInterface's get_traces() and the
// Neuropixels binary formats. Samples are int16, float32 or float64.
//
// Example:
//   Traces t = Traces::Uninitialized(SampleType::kFloat32, 30000, 384);
//   float* row = t.row<float>(10);
//   row[3] = 1.5f;
#ifndef NEUROFEAT_CORE_TRACES_H_
#define NEUROFEAT_CORE_TRACES_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "core/buffer_pool.h"

namespace neurofeat {

enum class SampleType { kInt16, kFloat32, kFloat64 };

// SampleTypeName() returns "int16", "float32" or "float64".
const char* SampleTypeName(SampleType type);
// SampleTypeSize() returns the size of one sample in bytes.
size_t SampleTypeSize(SampleType type);
// ParseSampleType() accepts the names SampleTypeName() returns; otherwise
// InvalidArgument naming `field` and the value.
absl::StatusOr<SampleType> ParseSampleType(const std::string& name, const std::string& field);

template <typename T>
constexpr SampleType SampleTypeOf();
template <>
constexpr SampleType SampleTypeOf<int16_t>() {
  return SampleType::kInt16;
}
template <>
constexpr SampleType SampleTypeOf<float>() {
  return SampleType::kFloat32;
}
template <>
constexpr SampleType SampleTypeOf<double>() {
  return SampleType::kFloat64;
}

// Traces owns frames x channels samples of one SampleType, 64-byte aligned.
// Move-only. Not thread-safe for concurrent writes to the same rows.
class Traces {
 public:
  Traces() = default;
  // Uninitialized() allocates without touching the memory (large blocks are
  // written once by the producer, so zero-filling would only cost time).
  static Traces Uninitialized(SampleType type, int64_t frames, int64_t channels);
  static Traces Zeros(SampleType type, int64_t frames, int64_t channels);
  // View() wraps samples owned elsewhere without copying them.
  // REQUIRES: `data` outlives the view and nobody writes through the view.
  // Sources use it to hand out rows they already hold in memory.
  static Traces View(SampleType type, int64_t frames, int64_t channels, const std::byte* data);

  Traces(Traces&&) noexcept = default;
  Traces& operator=(Traces&&) noexcept = default;
  Traces(const Traces&) = delete;
  Traces& operator=(const Traces&) = delete;

  SampleType type() const { return type_; }
  int64_t frames() const { return frames_; }
  int64_t channels() const { return channels_; }
  int64_t size() const { return frames_ * channels_; }
  size_t size_bytes() const { return static_cast<size_t>(size()) * SampleTypeSize(type_); }

  std::byte* bytes() { return data_.get(); }
  const std::byte* bytes() const { return data_.get(); }

  // data<T>() REQUIRES: SampleTypeOf<T>() == type().
  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(data_.get());
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(data_.get());
  }
  template <typename T>
  T* row(int64_t frame) {
    return data<T>() + frame * channels_;
  }
  template <typename T>
  const T* row(int64_t frame) const {
    return data<T>() + frame * channels_;
  }

 private:
  SampleType type_ = SampleType::kFloat32;
  int64_t frames_ = 0;
  int64_t channels_ = 0;
  BufferPool::Block data_;
};

// SaturatingRoundToInt16() is how every step writes int16: rounded half to
// even, then saturated at the int16 range (NaN gives -32768).
inline int16_t SaturatingRoundToInt16(double v) {
  return static_cast<int16_t>(std::fmin(std::fmax(std::nearbyint(v), -32768.0), 32767.0));
}

// CastSample<Out>() is a float64 result written as a sample of type Out:
// SaturatingRoundToInt16 for int16, a plain cast otherwise.
template <typename Out>
Out CastSample(double v) {
  if constexpr (std::is_same_v<Out, int16_t>) {
    return SaturatingRoundToInt16(v);
  } else {
    return static_cast<Out>(v);
  }
}

// CopyFrames() returns rows [begin, end) of `src` as a new Traces.
Traces CopyFrames(const Traces& src, int64_t begin, int64_t end);

// ConvertTraces() casts every sample to `type`. To int16, values are rounded
// half to even and saturated at the int16 range.
Traces ConvertTraces(const Traces& src, SampleType type);
// ConvertFrame() is one frame (every channel) of ConvertTraces(src, type),
// written to `dst`, for steps that convert a row where they use it.
void ConvertFrame(const Traces& src, int64_t frame, float* dst);
void ConvertFrame(const Traces& src, int64_t frame, int16_t* dst);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_TRACES_H_
