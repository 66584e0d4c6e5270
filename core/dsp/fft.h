// File: fft.h
//
// FFTW3 plans for the sizes the feature bank uses, created once under a lock
// and executed concurrently with FFTW's new-array interface. Buffers handed to
// the Execute* functions must come from FftBuffer (FFTW's aligned allocator),
// because a plan is only valid for arrays with the alignment it was made for.
//
// Example:
//   FftPlans plans;
//   FftBuffer<double> in(n);  FftBuffer<std::complex<double>> out(n / 2 + 1);
//   plans.ForwardReal(in.data(), out.data(), n);
#ifndef NEUROFEAT_CORE_DSP_FFT_H_
#define NEUROFEAT_CORE_DSP_FFT_H_

#include <complex>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "core/mutex.h"

namespace neurofeat {

// FftBuffer owns an FFTW-aligned array of T (double or std::complex<double>).
template <typename T>
class FftBuffer {
 public:
  FftBuffer() = default;
  explicit FftBuffer(size_t n);
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  struct Free {
    void operator()(T* p) const;
  };
  std::unique_ptr<T[], Free> data_;
  size_t size_ = 0;
};

// FftPlans caches plans by size and kind. Thread-safe: planning takes a
// mutex (FFTW's planner is not re-entrant); execution does not.
class FftPlans {
 public:
  FftPlans() = default;
  ~FftPlans();
  FftPlans(const FftPlans&) = delete;
  FftPlans& operator=(const FftPlans&) = delete;

  // out[0..n/2] = DFT of the n real samples in `in` (unnormalised).
  void ForwardReal(double* in, std::complex<double>* out, int64_t n);
  // out[0..n) = DFT of n complex samples (sign -1, unnormalised).
  void ForwardComplex(std::complex<double>* in, std::complex<double>* out, int64_t n);
  // out[0..n) = inverse DFT (sign +1, unnormalised: divide by n yourself).
  void BackwardComplex(std::complex<double>* in, std::complex<double>* out, int64_t n);
  // out[0..n) = the n real samples whose DFT is in[0..n/2] (Hermitian;
  // the imaginary parts of bin 0 and, for even n, bin n/2 are ignored, as
  // numpy's irfft does), unnormalised. Overwrites `in`.
  void BackwardReal(std::complex<double>* in, double* out, int64_t n);

 private:
  enum class Kind { kR2C, kC2CForward, kC2CBackward, kC2R };
  void* Plan(Kind kind, int64_t n) ABSL_LOCKS_EXCLUDED(mu_);

  Mutex mu_;
  std::map<std::pair<int, int64_t>, void*> plans_ ABSL_GUARDED_BY(mu_);
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DSP_FFT_H_
