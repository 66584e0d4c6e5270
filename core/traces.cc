#include "core/traces.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "absl/strings/str_cat.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {

const char* SampleTypeName(SampleType type) {
  switch (type) {
    case SampleType::kInt16:
      return "int16";
    case SampleType::kFloat32:
      return "float32";
    case SampleType::kFloat64:
      return "float64";
  }
  return "unknown";
}

size_t SampleTypeSize(SampleType type) {
  switch (type) {
    case SampleType::kInt16:
      return 2;
    case SampleType::kFloat32:
      return 4;
    case SampleType::kFloat64:
      return 8;
  }
  return 0;
}

absl::StatusOr<SampleType> ParseSampleType(const std::string& name, const std::string& field) {
  if (name == "int16") return SampleType::kInt16;
  if (name == "float32") return SampleType::kFloat32;
  if (name == "float64") return SampleType::kFloat64;
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=\"", name, "\" is not a sample type (int16, float32, float64)"));
}

Traces Traces::Uninitialized(SampleType type, int64_t frames, int64_t channels) {
  Traces t;
  t.type_ = type;
  t.frames_ = frames;
  t.channels_ = channels;
  t.data_ = BufferPool::Default().Acquire(t.size_bytes());
  return t;
}

Traces Traces::View(SampleType type, int64_t frames, int64_t channels, const std::byte* data) {
  Traces t;
  t.type_ = type;
  t.frames_ = frames;
  t.channels_ = channels;
  t.data_ = BufferPool::Block(const_cast<std::byte*>(data), BufferPool::Deleter{nullptr, 0, true});
  return t;
}

Traces Traces::Zeros(SampleType type, int64_t frames, int64_t channels) {
  Traces t = Uninitialized(type, frames, channels);
  std::memset(t.bytes(), 0, t.size_bytes());
  return t;
}

Traces CopyFrames(const Traces& src, int64_t begin, int64_t end) {
  Traces out = Traces::Uninitialized(src.type(), end - begin, src.channels());
  const size_t row_bytes = static_cast<size_t>(src.channels()) * SampleTypeSize(src.type());
  // One core cannot saturate memory bandwidth; copy in parallel blocks of
  // ~1 MiB inside the caller's arena.
  const int64_t rows_per_block = std::max<int64_t>(1, (1 << 20) / std::max<size_t>(row_bytes, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end, rows_per_block),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      std::memcpy(out.bytes() + (r.begin() - begin) * row_bytes,
                                  src.bytes() + r.begin() * row_bytes,
                                  (r.end() - r.begin()) * row_bytes);
                    });
  return out;
}

namespace {

template <typename To, typename From>
void ConvertAll(const From* src, To* dst, int64_t n) {
  if constexpr (std::is_same_v<To, int16_t> && !std::is_same_v<From, int16_t>) {
    for (int64_t i = 0; i < n; ++i) dst[i] = SaturatingRoundToInt16(static_cast<double>(src[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<To>(src[i]);
  }
}

// Blocks of about this many samples convert in parallel (in the caller's
// arena): one core converting a 1 s x 384 chunk was the serial part of
// chains whose steps all scale.
constexpr int64_t kConvertBlock = int64_t{1} << 18;

template <typename To, typename From>
void ConvertParallel(const From* src, To* dst, int64_t n) {
  if (n <= kConvertBlock) return ConvertAll(src, dst, n);
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kConvertBlock),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      ConvertAll(src + r.begin(), dst + r.begin(), r.end() - r.begin());
                    });
}

template <typename To>
void ConvertFrom(const Traces& src, To* dst) {
  switch (src.type()) {
    case SampleType::kInt16:
      ConvertParallel(src.data<int16_t>(), dst, src.size());
      break;
    case SampleType::kFloat32:
      ConvertParallel(src.data<float>(), dst, src.size());
      break;
    case SampleType::kFloat64:
      ConvertParallel(src.data<double>(), dst, src.size());
      break;
  }
}

}  // namespace

namespace {

template <typename To>
void ConvertFrameTo(const Traces& src, int64_t frame, To* dst) {
  const int64_t n = src.channels();
  switch (src.type()) {
    case SampleType::kInt16:
      return ConvertAll(src.row<int16_t>(frame), dst, n);
    case SampleType::kFloat32:
      return ConvertAll(src.row<float>(frame), dst, n);
    case SampleType::kFloat64:
      return ConvertAll(src.row<double>(frame), dst, n);
  }
}

}  // namespace

void ConvertFrame(const Traces& src, int64_t frame, float* dst) { ConvertFrameTo(src, frame, dst); }

void ConvertFrame(const Traces& src, int64_t frame, int16_t* dst) {
  ConvertFrameTo(src, frame, dst);
}

Traces ConvertTraces(const Traces& src, SampleType type) {
  Traces out = Traces::Uninitialized(type, src.frames(), src.channels());
  switch (type) {
    case SampleType::kInt16:
      ConvertFrom(src, out.data<int16_t>());
      break;
    case SampleType::kFloat32:
      ConvertFrom(src, out.data<float>());
      break;
    case SampleType::kFloat64:
      ConvertFrom(src, out.data<double>());
      break;
  }
  return out;
}

}  // namespace neurofeat
