#include "core/preprocess/phase_shift_kernels.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/checked_math.h"
#include "tbb/parallel_for.h"

namespace neurofeat {

int64_t NextFiveSmooth(int64_t at_least) {
  for (int64_t n = std::max<int64_t>(at_least, 1);; ++n) {
    int64_t r = n;
    for (int64_t p : {2, 3, 5}) {
      while (r % p == 0) r /= p;
    }
    if (r == 1) return n;
  }
}

bool HasOnlySmallPrimeFactors(int64_t n) {
  if (n < 1) return false;
  for (int64_t p : {2, 3, 5, 7, 11, 13}) {
    while (n % p == 0) n /= p;
  }
  return n == 1;
}

void PhaseShiftRotation(double shift, int64_t length, std::complex<double>* out) {
  const double step = 1.0 / static_cast<double>(length);
  for (int64_t k = 0; k <= length / 2; ++k) {
    const double angle = -2.0 * std::numbers::pi * (static_cast<double>(k) * step) * shift;
    out[k] = std::complex<double>(std::cos(angle), std::sin(angle));
  }
}

namespace {

int64_t TransformLength(PhaseShiftKernels::Kind kind, int64_t frames, int64_t margin) {
  const int64_t length = frames + 2 * margin;
  return kind == PhaseShiftKernels::Kind::kRotation ? length : NextFiveSmooth(frames + length - 1);
}

}  // namespace

int64_t PhaseShiftKernels::BytesFor(Kind kind, int64_t frames, int64_t margin,
                                    int64_t distinct_shifts) {
  const int64_t bins = TransformLength(kind, frames, margin) / 2 + 1;
  return SaturatingMul(SaturatingMul(distinct_shifts, bins),
                       static_cast<int64_t>(sizeof(std::complex<double>)));
}

std::shared_ptr<const PhaseShiftKernels> PhaseShiftKernels::Build(
    Kind kind, int64_t frames, int64_t margin, const std::vector<double>& distinct_shifts,
    FftPlans* plans) {
  auto k = std::shared_ptr<PhaseShiftKernels>(new PhaseShiftKernels());
  const int64_t length = frames + 2 * margin;
  const int64_t n = TransformLength(kind, frames, margin);
  k->kind_ = kind;
  k->frames_ = frames;
  k->fft_length_ = n;
  k->output_scale_ = kind == Kind::kRotation ? 1.0 / static_cast<double>(length) : 1.0;
  k->spectra_.resize(distinct_shifts.size());
  tbb::parallel_for(size_t{0}, distinct_shifts.size(), [&](size_t i) {
    FftBuffer<std::complex<double>> rotation(static_cast<size_t>(length / 2 + 1));
    PhaseShiftRotation(distinct_shifts[i], length, rotation.data());
    if (kind == Kind::kRotation) {
      k->spectra_[i] = std::move(rotation);
      return;
    }
    // h_s exactly as SpikeInterface's irfft makes it (the Nyquist bin's
    // real part only), divided by L as numpy does; then laid out over the
    // offsets the kept outputs use: g[d mod N] = h[d mod L].
    FftBuffer<double> h(static_cast<size_t>(length));
    plans->BackwardReal(rotation.data(), h.data(), length);
    FftBuffer<double> g(static_cast<size_t>(n));
    std::fill(g.data(), g.data() + n, 0.0);
    const double scale = 1.0 / (static_cast<double>(length) * static_cast<double>(n));
    for (int64_t d = margin - length + 1; d <= margin + frames - 1; ++d) {
      g[((d % n) + n) % n] = h[((d % length) + length) % length] * scale;
    }
    k->spectra_[i] = FftBuffer<std::complex<double>>(static_cast<size_t>(n / 2 + 1));
    plans->ForwardReal(g.data(), k->spectra_[i].data(), n);
  });
  return k;
}

}  // namespace neurofeat
