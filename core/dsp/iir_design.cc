#include "core/dsp/iir_design.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace neurofeat {
namespace {

using Complex = std::complex<double>;
using CVec = std::vector<Complex>;

// numpy's complex multiply and (Smith's) complex divide. std::complex's
// operators use a different division algorithm, which would move results by
// an ulp and away from scipy.
Complex Mul(Complex a, Complex b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

Complex Div(Complex a, Complex b) {
  const double br = b.real(), bi = b.imag();
  if (std::fabs(br) >= std::fabs(bi)) {
    if (br == 0 && bi == 0) return {a.real() / std::fabs(br), a.imag() / std::fabs(br)};
    const double rat = bi / br;
    const double scl = 1.0 / (br + bi * rat);
    return {(a.real() + a.imag() * rat) * scl, (a.imag() - a.real() * rat) * scl};
  }
  const double rat = br / bi;
  const double scl = 1.0 / (bi + br * rat);
  return {(a.real() * rat + a.imag()) * scl, (a.imag() * rat - a.real()) * scl};
}

Complex Prod(const CVec& v) {
  if (v.empty()) return {1.0, 0.0};
  Complex acc = v[0];
  for (size_t i = 1; i < v.size(); ++i) acc = Mul(acc, v[i]);
  return acc;
}

struct Zpk {
  CVec z;
  CVec p;
  double k = 1.0;
};

Zpk Buttap(int n) {
  Zpk out;
  for (int m = -n + 1; m < n; m += 2) {
    // -exp(1j * pi * m / (2 * n)) in numpy's order: (1j*pi*m) / (2n).
    Complex arg = Div(Complex(0.0 * m, std::numbers::pi * m), Complex(2.0 * n, 0.0));
    Complex e = std::exp(arg);
    out.p.push_back(-e);
  }
  return out;
}

Zpk Lp2Lp(const Zpk& in, double wo) {
  Zpk out;
  for (auto z : in.z) out.z.push_back(Mul(Complex(wo, 0), z));
  for (auto p : in.p) out.p.push_back(Mul(Complex(wo, 0), p));
  int degree = static_cast<int>(in.p.size() - in.z.size());
  out.k = in.k * std::pow(wo, degree);
  return out;
}

CVec Negate(const CVec& v) {
  CVec out;
  for (auto x : v) out.push_back(-x);
  return out;
}

Zpk Lp2Hp(const Zpk& in, double wo) {
  Zpk out;
  for (auto z : in.z) out.z.push_back(Div(Complex(wo, 0), z));
  for (auto p : in.p) out.p.push_back(Div(Complex(wo, 0), p));
  int degree = static_cast<int>(in.p.size() - in.z.size());
  for (int i = 0; i < degree; ++i) out.z.push_back({0.0, 0.0});
  out.k = in.k * Div(Prod(Negate(in.z)), Prod(Negate(in.p))).real();
  return out;
}

// z +/- sqrt(z^2 - wo^2) for each z, the pluses first (numpy concatenate).
CVec BandTransform(const CVec& scaled, double wo) {
  CVec plus, minus;
  for (auto z : scaled) {
    Complex sq = Mul(z, z);
    Complex root = std::sqrt(Complex(sq.real() - wo * wo, sq.imag()));
    plus.push_back(z + root);
    minus.push_back(z - root);
  }
  plus.insert(plus.end(), minus.begin(), minus.end());
  return plus;
}

Zpk Lp2Bp(const Zpk& in, double wo, double bw) {
  auto scale = [bw](const CVec& v) {
    CVec out;
    for (auto x : v) out.push_back(Div(Mul(x, Complex(bw, 0)), Complex(2.0, 0)));
    return out;
  };
  Zpk out;
  out.z = BandTransform(scale(in.z), wo);
  out.p = BandTransform(scale(in.p), wo);
  int degree = static_cast<int>(in.p.size() - in.z.size());
  for (int i = 0; i < degree; ++i) out.z.push_back({0.0, 0.0});
  out.k = in.k * std::pow(bw, degree);
  return out;
}

Zpk Lp2Bs(const Zpk& in, double wo, double bw) {
  auto invert = [bw](const CVec& v) {
    CVec out;
    for (auto x : v) out.push_back(Div(Complex(bw / 2, 0), x));
    return out;
  };
  Zpk out;
  out.z = BandTransform(invert(in.z), wo);
  out.p = BandTransform(invert(in.p), wo);
  int degree = static_cast<int>(in.p.size() - in.z.size());
  for (int i = 0; i < degree; ++i) out.z.push_back({0.0, wo});
  for (int i = 0; i < degree; ++i) out.z.push_back({-0.0, -wo});
  out.k = in.k * Div(Prod(Negate(in.z)), Prod(Negate(in.p))).real();
  return out;
}

Zpk Bilinear(const Zpk& in, double fs) {
  const double fs2 = 2.0 * fs;
  Zpk out;
  CVec num_z, num_p;
  for (auto z : in.z) {
    out.z.push_back(Div(Complex(fs2 + z.real(), z.imag()), Complex(fs2 - z.real(), -z.imag())));
    num_z.push_back(Complex(fs2 - z.real(), -z.imag()));
  }
  for (auto p : in.p) {
    out.p.push_back(Div(Complex(fs2 + p.real(), p.imag()), Complex(fs2 - p.real(), -p.imag())));
    num_p.push_back(Complex(fs2 - p.real(), -p.imag()));
  }
  int degree = static_cast<int>(in.p.size() - in.z.size());
  for (int i = 0; i < degree; ++i) out.z.push_back({-1.0, 0.0});
  out.k = in.k * Div(Prod(num_z), Prod(num_p)).real();
  return out;
}

// scipy's _cplxreal(): conjugate pairs (one member, positive imaginary part)
// followed by the real values, each group ordered as scipy orders it.
CVec CplxReal(CVec z) {
  if (z.empty()) return z;
  const double tol = 100 * std::numeric_limits<double>::epsilon();
  std::stable_sort(z.begin(), z.end(), [](Complex a, Complex b) {
    if (a.real() != b.real()) return a.real() < b.real();
    return std::fabs(a.imag()) < std::fabs(b.imag());
  });
  CVec real, zp, zn;
  for (auto v : z) {
    if (std::fabs(v.imag()) <= tol * std::abs(v)) {
      real.push_back({v.real(), 0.0});
    } else if (v.imag() > 0) {
      zp.push_back(v);
    } else {
      zn.push_back(v);
    }
  }
  // Runs of equal real part are ordered by |imag|.
  auto sort_runs = [tol](CVec& v) {
    size_t start = 0;
    while (start < v.size()) {
      size_t stop = start + 1;
      while (stop < v.size() &&
             v[stop].real() - v[stop - 1].real() <= tol * std::abs(v[stop - 1])) {
        ++stop;
      }
      std::stable_sort(v.begin() + start, v.begin() + stop, [](Complex a, Complex b) {
        return std::fabs(a.imag()) < std::fabs(b.imag());
      });
      start = stop;
    }
  };
  sort_runs(zp);
  sort_runs(zn);
  CVec out;
  for (size_t i = 0; i < zp.size() && i < zn.size(); ++i) {
    Complex sum = zp[i] + std::conj(zn[i]);
    out.push_back(Div(sum, Complex(2.0, 0.0)));
  }
  out.insert(out.end(), real.begin(), real.end());
  return out;
}

bool IsReal(Complex c) { return c.imag() == 0; }

size_t IdxWorst(const CVec& p) {
  size_t best = 0;
  double best_val = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < p.size(); ++i) {
    double v = std::fabs(1 - std::abs(p[i]));
    if (v < best_val) {
      best_val = v;
      best = i;
    }
  }
  return best;
}

enum class Which { kReal, kComplex, kAny };

size_t NearestIdx(const CVec& fro, Complex to, Which which) {
  std::vector<size_t> order(fro.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::abs(fro[a] - to) < std::abs(fro[b] - to);
  });
  for (size_t idx : order) {
    bool real = IsReal(fro[idx]);
    if (which == Which::kAny || (which == Which::kReal && real) ||
        (which == Which::kComplex && !real)) {
      return idx;
    }
  }
  return order.empty() ? 0 : order[0];
}

// poly() of up to two roots, then the real part (roots come in conjugate
// pairs or are real), right-aligned into three coefficients.
std::array<double, 3> PolyRight(const CVec& roots) {
  CVec a = {Complex(1.0, 0.0)};
  for (auto r : roots) {
    CVec next(a.size() + 1, Complex(0.0, 0.0));
    for (size_t i = 0; i < a.size(); ++i) {
      next[i] += a[i];
      next[i + 1] += Mul(a[i], -r);
    }
    a = next;
  }
  std::array<double, 3> out = {0.0, 0.0, 0.0};
  size_t offset = 3 - a.size();
  for (size_t i = 0; i < a.size(); ++i) out[offset + i] = a[i].real();
  return out;
}

std::array<double, 6> SingleSection(const CVec& z, const CVec& p) {
  auto b = PolyRight(z);
  auto a = PolyRight(p);
  return {b[0], b[1], b[2], a[0], a[1], a[2]};
}

SosFilter Zpk2Sos(Zpk in) {
  CVec z = in.z, p = in.p;
  if (z.empty() && p.empty()) return SosFilter{{{in.k, 0, 0, 1, 0, 0}}};
  while (p.size() < z.size()) p.push_back({0.0, 0.0});
  while (z.size() < p.size()) z.push_back({0.0, 0.0});
  size_t n_sections = (std::max(p.size(), z.size()) + 1) / 2;
  if (p.size() % 2 == 1) {
    p.push_back({0.0, 0.0});
    z.push_back({0.0, 0.0});
  }
  z = CplxReal(z);
  p = CplxReal(p);
  SosFilter sos;
  sos.sections.assign(n_sections, {0, 0, 0, 0, 0, 0});
  auto erase = [](CVec& v, size_t idx) { v.erase(v.begin() + static_cast<std::ptrdiff_t>(idx)); };
  auto count_real = [](const CVec& v) {
    return std::count_if(v.begin(), v.end(), [](Complex c) { return IsReal(c); });
  };
  for (size_t si = n_sections; si-- > 0;) {
    size_t p1_idx = IdxWorst(p);
    Complex p1 = p[p1_idx];
    erase(p, p1_idx);
    if (IsReal(p1) && count_real(p) == 0) {
      size_t z1_idx = NearestIdx(z, p1, Which::kReal);
      Complex z1 = z[z1_idx];
      erase(z, z1_idx);
      sos.sections[si] = SingleSection({z1, {0, 0}}, {p1, {0, 0}});
    } else if (p.size() + 1 == z.size() && !IsReal(p1) && count_real(p) == 1 &&
               count_real(z) == 1) {
      size_t z1_idx = NearestIdx(z, p1, Which::kComplex);
      Complex z1 = z[z1_idx];
      erase(z, z1_idx);
      sos.sections[si] = SingleSection({z1, std::conj(z1)}, {p1, std::conj(p1)});
    } else {
      Complex p2;
      if (IsReal(p1)) {
        CVec reals;
        std::vector<size_t> real_idx;
        for (size_t i = 0; i < p.size(); ++i) {
          if (IsReal(p[i])) {
            reals.push_back(p[i]);
            real_idx.push_back(i);
          }
        }
        size_t p2_idx = real_idx[IdxWorst(reals)];
        p2 = p[p2_idx];
        erase(p, p2_idx);
      } else {
        p2 = std::conj(p1);
      }
      if (!z.empty()) {
        size_t z1_idx = NearestIdx(z, p1, Which::kAny);
        Complex z1 = z[z1_idx];
        erase(z, z1_idx);
        if (!IsReal(z1)) {
          sos.sections[si] = SingleSection({z1, std::conj(z1)}, {p1, p2});
        } else if (!z.empty()) {
          size_t z2_idx = NearestIdx(z, p1, Which::kReal);
          Complex z2 = z[z2_idx];
          erase(z, z2_idx);
          sos.sections[si] = SingleSection({z1, z2}, {p1, p2});
        } else {
          sos.sections[si] = SingleSection({z1}, {p1, p2});
        }
      } else {
        sos.sections[si] = SingleSection({}, {p1, p2});
      }
    }
  }
  for (int i = 0; i < 3; ++i) sos.sections[0][i] *= in.k;
  return sos;
}

}  // namespace

absl::StatusOr<SosFilter> DesignButterworth(int order, BandType band, double freq1_hz,
                                            double freq2_hz, double fs_hz) {
  if (order < 1 || order > 10) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter_order=", order, " is outside the supported range 1..10"));
  }
  if (!(fs_hz > 0) || !std::isfinite(fs_hz)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling rate ", fs_hz, " Hz is not positive"));
  }
  const bool two = band == BandType::kBandpass || band == BandType::kBandstop;
  const double nyquist = fs_hz / 2;
  for (double f : two ? std::vector<double>{freq1_hz, freq2_hz} : std::vector<double>{freq1_hz}) {
    if (!(f > 0) || !(f < nyquist) || !std::isfinite(f)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "corner frequency ", f, " Hz must be inside (0, Nyquist = ", nyquist, " Hz)"));
    }
  }
  if (two && !(freq1_hz < freq2_hz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("freq_min=", freq1_hz, " must be below freq_max=", freq2_hz));
  }
  // iirfilter: Wn = 2 * Wn / fs, then pre-warp with fs = 2.
  auto warp = [fs_hz](double f) {
    double wn = 2 * f / fs_hz;
    return 2 * 2.0 * std::tan(std::numbers::pi * wn / 2.0);
  };
  Zpk proto = Buttap(order);
  Zpk analog;
  switch (band) {
    case BandType::kLowpass:
      analog = Lp2Lp(proto, warp(freq1_hz));
      break;
    case BandType::kHighpass:
      analog = Lp2Hp(proto, warp(freq1_hz));
      break;
    case BandType::kBandpass:
    case BandType::kBandstop: {
      double w0 = warp(freq1_hz), w1 = warp(freq2_hz);
      double bw = w1 - w0;
      double wo = std::sqrt(w0 * w1);
      analog = band == BandType::kBandpass ? Lp2Bp(proto, wo, bw) : Lp2Bs(proto, wo, bw);
      break;
    }
  }
  return Zpk2Sos(Bilinear(analog, 2.0));
}

absl::StatusOr<BaFilter> DesignNotch(double freq_hz, double q, double fs_hz) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling rate ", fs_hz, " Hz is not positive"));
  }
  if (!(freq_hz > 0) || !(freq_hz < fs_hz / 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("freq=", freq_hz, " Hz must be inside (0, ", fs_hz / 2, " Hz)"));
  }
  if (!(q > 0) || !std::isfinite(q)) {
    return absl::InvalidArgumentError(absl::StrCat("q=", q, " must be positive"));
  }
  // iirnotch(w0 = freq / (fs / 2), Q) with its default fs = 2.
  double w0 = freq_hz / (fs_hz / 2);
  w0 = 2 * w0 / 2.0;
  double bw = w0 / q;
  bw = bw * std::numbers::pi;
  w0 = w0 * std::numbers::pi;
  const double gb = 1 / std::sqrt(2.0);
  const double beta = std::sqrt(1.0 - std::pow(gb, 2.0)) / gb * std::tan(bw / 2.0);
  const double gain = 1.0 / (1.0 + beta);
  BaFilter f;
  f.b = {gain * 1.0, gain * (-2.0 * std::cos(w0)), gain * 1.0};
  f.a = {1.0, -2.0 * gain * std::cos(w0), 2.0 * gain - 1.0};
  return f;
}

std::vector<double> LfilterZi(const BaFilter& filter) {
  std::vector<double> b = filter.b, a = filter.a;
  while (a.size() > 1 && a[0] == 0.0) a.erase(a.begin());
  if (a[0] != 1.0) {
    const double a0 = a[0];
    for (auto& v : b) v /= a0;
    for (auto& v : a) v /= a0;
  }
  const size_t n = std::max(a.size(), b.size());
  a.resize(n, 0.0);
  b.resize(n, 0.0);
  const size_t m = n - 1;
  if (m == 0) return {};
  // Solve (I - companion(a).T) zi = b[1:] - a[1:] * b[0] by Gaussian
  // elimination with partial pivoting (LAPACK gesv's method).
  std::vector<double> mat(m * m, 0.0), rhs(m);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < m; ++j) {
      // companion(a).T: first column -a[1:], super-diagonal ones.
      double c = 0.0;
      if (j == 0) c = -a[i + 1];
      if (j == i + 1) c = 1.0;
      mat[i * m + j] = (i == j ? 1.0 : 0.0) - c;
    }
    rhs[i] = b[i + 1] - a[i + 1] * b[0];
  }
  std::vector<size_t> perm(m);
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t col = 0; col < m; ++col) {
    size_t piv = col;
    for (size_t r = col + 1; r < m; ++r) {
      if (std::fabs(mat[r * m + col]) > std::fabs(mat[piv * m + col])) piv = r;
    }
    if (piv != col) {
      for (size_t j = 0; j < m; ++j) std::swap(mat[col * m + j], mat[piv * m + j]);
      std::swap(rhs[col], rhs[piv]);
    }
    const double inv = 1.0 / mat[col * m + col];
    for (size_t r = col + 1; r < m; ++r) {
      const double l = mat[r * m + col] * inv;
      for (size_t j = col; j < m; ++j) mat[r * m + j] -= l * mat[col * m + j];
      rhs[r] -= l * rhs[col];
    }
  }
  std::vector<double> zi(m);
  for (size_t i = m; i-- > 0;) {
    double s = rhs[i];
    for (size_t j = i + 1; j < m; ++j) s -= mat[i * m + j] * zi[j];
    zi[i] = s / mat[i * m + i];
  }
  return zi;
}

std::vector<std::array<double, 2>> SosfiltZi(const SosFilter& filter) {
  std::vector<std::array<double, 2>> zi;
  double scale = 1.0;
  for (const auto& s : filter.sections) {
    BaFilter section{{s[0], s[1], s[2]}, {s[3], s[4], s[5]}};
    std::vector<double> z = LfilterZi(section);
    z.resize(2, 0.0);
    zi.push_back({scale * z[0], scale * z[1]});
    scale *= ((s[0] + s[1]) + s[2]) / ((s[3] + s[4]) + s[5]);
  }
  return zi;
}

int SosfiltfiltPadlen(const SosFilter& filter) {
  int b2_zero = 0, a2_zero = 0;
  for (const auto& s : filter.sections) {
    b2_zero += s[2] == 0;
    a2_zero += s[5] == 0;
  }
  int n = static_cast<int>(filter.sections.size());
  return 3 * (2 * n + 1 - std::min(b2_zero, a2_zero));
}

int FiltfiltPadlen(const BaFilter& filter) {
  return 3 * static_cast<int>(std::max(filter.a.size(), filter.b.size()));
}

}  // namespace neurofeat
