#include "core/dsp/fft.h"

#include <fftw3.h>

#include <new>

namespace neurofeat {
namespace {

// One mutex for every FftPlans: FFTW's planner keeps process-wide state, so
// two caches planning at once would race inside the library.
std::mutex& PlannerMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

template <typename T>
FftBuffer<T>::FftBuffer(size_t n) : size_(n) {
  void* p = fftw_malloc(sizeof(T) * (n == 0 ? 1 : n));
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<T*>(p));
}

template <typename T>
void FftBuffer<T>::Free::operator()(T* p) const {
  fftw_free(p);
}

template class FftBuffer<double>;
template class FftBuffer<std::complex<double>>;

FftPlans::~FftPlans() {
  // The same order as Plan(): this object's lock, then the planner's.
  MutexLock own(&mu_);
  std::lock_guard<std::mutex> lock(PlannerMutex());
  for (auto& [key, plan] : plans_) fftw_destroy_plan(static_cast<fftw_plan>(plan));
}

void* FftPlans::Plan(Kind kind, int64_t n) {
  MutexLock own(&mu_);
  const auto key = std::make_pair(static_cast<int>(kind), n);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  std::lock_guard<std::mutex> lock(PlannerMutex());
  // Planning arrays only fix the alignment; FFTW_ESTIMATE does not touch them.
  FftBuffer<std::complex<double>> a(n + 1), b(n + 1);
  const int size = static_cast<int>(n);
  fftw_plan plan = nullptr;
  switch (kind) {
    case Kind::kR2C:
      plan = fftw_plan_dft_r2c_1d(size, reinterpret_cast<double*>(a.data()),
                                  reinterpret_cast<fftw_complex*>(b.data()), FFTW_ESTIMATE);
      break;
    case Kind::kC2CForward:
      plan =
          fftw_plan_dft_1d(size, reinterpret_cast<fftw_complex*>(a.data()),
                           reinterpret_cast<fftw_complex*>(b.data()), FFTW_FORWARD, FFTW_ESTIMATE);
      break;
    case Kind::kC2CBackward:
      plan =
          fftw_plan_dft_1d(size, reinterpret_cast<fftw_complex*>(a.data()),
                           reinterpret_cast<fftw_complex*>(b.data()), FFTW_BACKWARD, FFTW_ESTIMATE);
      break;
    case Kind::kC2R:
      plan = fftw_plan_dft_c2r_1d(size, reinterpret_cast<fftw_complex*>(a.data()),
                                  reinterpret_cast<double*>(b.data()), FFTW_ESTIMATE);
      break;
  }
  plans_.emplace(key, plan);
  return plan;
}

void FftPlans::ForwardReal(double* in, std::complex<double>* out, int64_t n) {
  fftw_execute_dft_r2c(static_cast<fftw_plan>(Plan(Kind::kR2C, n)), in,
                       reinterpret_cast<fftw_complex*>(out));
}

void FftPlans::ForwardComplex(std::complex<double>* in, std::complex<double>* out, int64_t n) {
  fftw_execute_dft(static_cast<fftw_plan>(Plan(Kind::kC2CForward, n)),
                   reinterpret_cast<fftw_complex*>(in), reinterpret_cast<fftw_complex*>(out));
}

void FftPlans::BackwardComplex(std::complex<double>* in, std::complex<double>* out, int64_t n) {
  fftw_execute_dft(static_cast<fftw_plan>(Plan(Kind::kC2CBackward, n)),
                   reinterpret_cast<fftw_complex*>(in), reinterpret_cast<fftw_complex*>(out));
}

void FftPlans::BackwardReal(std::complex<double>* in, double* out, int64_t n) {
  fftw_execute_dft_c2r(static_cast<fftw_plan>(Plan(Kind::kC2R, n)),
                       reinterpret_cast<fftw_complex*>(in), out);
}

}  // namespace neurofeat
