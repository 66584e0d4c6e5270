// Spectral features (EEGDash feature_bank/spectral.py): the Welch
// preprocessor, its normalised and dB variants, and the features of a PSD.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/dsp/welch.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

const char kWelch[] = "spectral_preprocessor";
const char kNormalized[] = "spectral_normalized_preprocessor";
const char kDb[] = "spectral_db_preprocessor";

class WelchPreprocessor final : public PreprocessorKernel {
 public:
  WelchPreprocessor(const NodeShape& parent, const SpectralParams& p)
      : params_(p), welch_(WithHannWindow({p.fs, p.nperseg, p.noverlap, nullptr})) {
    output_ = parent;
    output_.kind = ValueKind::kSpectrum;
    output_.producer = kWelch;
    kept_ = KeptBins(p, &output_.freqs);
    output_.n = static_cast<int64_t>(kept_.size());
    input_n_ = parent.n;
  }
  void Apply(const NodeValue& in, EvalContext& ctx, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(output_.rows.size());
    WelchSpectra spectra(welch_, in.x.data(), rows, input_n_, *ctx.plans);
    std::vector<double> psd(spectra.bins());
    out->x.resize(rows * output_.n);
    out->x32.clear();
    for (int64_t r = 0; r < rows; ++r) {
      spectra.Psd(r, psd.data());
      for (int64_t k = 0; k < output_.n; ++k) out->x[r * output_.n + k] = psd[kept_[k]];
    }
  }

 private:
  SpectralParams params_;
  // With its window, computed once.
  WelchSettings welch_;
  std::vector<int64_t> kept_;
  int64_t input_n_ = 0;
};

// Applies a per-row transform of a spectrum.
class SpectrumMap final : public PreprocessorKernel {
 public:
  SpectrumMap(const NodeShape& parent, std::string producer,
              std::function<void(const double*, int64_t, double*)> f)
      : f_(std::move(f)) {
    output_ = parent;
    output_.producer = std::move(producer);
  }
  void Apply(const NodeValue& in, EvalContext&, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(output_.rows.size()), n = output_.n;
    out->x.resize(rows * n);
    for (int64_t r = 0; r < rows; ++r) f_(in.x.data() + r * n, n, out->x.data() + r * n);
  }

 private:
  std::function<void(const double*, int64_t, double*)> f_;
};

double Sum(const double* p, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += p[i];
  return s;
}

// A spectral leaf without parameters, given f and p of one row.
FeatureDef SpectralLeaf(std::string fn, std::string summary, std::vector<std::string> parents,
                        std::function<double(const std::vector<double>& f, const RowView& p)> g) {
  FeatureDef def;
  def.fn = std::move(fn);
  def.summary = std::move(summary);
  def.parents = std::move(parents);
  def.leaf = [g = std::move(g)](ParamReader& params, const NodeShape& parent,
                                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_RETURN_IF_ERROR(params.Finish());
    if (parent.n < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(params.path(), ": the spectrum has no frequency bins"));
    }
    const std::vector<double> freqs = parent.freqs;
    return MakeRowLeaf(parent, [g, freqs](const RowView& r) { return g(freqs, r); });
  };
  return def;
}

}  // namespace

void RegisterSpectralFeatures(FeatureBank& bank) {
  const std::vector<std::string> any_spectrum = {kWelch, kNormalized, kDb};
  {
    FeatureDef def;
    def.fn = kWelch;
    def.summary = "Welch PSD (Hann, constant detrend, density), cut to [f_min, f_max]";
    def.parents = SignalProducers();
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo& info) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(SpectralParams p, ReadSpectralParams(params, info, parent.n));
      NF_RETURN_IF_ERROR(params.Finish());
      auto pre = std::make_unique<WelchPreprocessor>(parent, p);
      if (pre->output_shape().n == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            params.path(), ": no frequency bin lies in [", p.f_min, ", ", p.f_max, "] Hz"));
      }
      return pre;
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = kNormalized;
    def.summary = "PSD divided by its sum (a distribution over frequency)";
    def.parents = {kWelch};
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      return std::make_unique<SpectrumMap>(parent, kNormalized,
                                           [](const double* p, int64_t n, double* out) {
                                             const double s = Sum(p, n);
                                             for (int64_t i = 0; i < n; ++i) out[i] = p[i] / s;
                                           });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = kDb;
    def.summary = "10 log10(PSD + eps)";
    def.parents = {kWelch};
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(double eps, params.Number("eps", 1e-15));
      NF_RETURN_IF_ERROR(params.Finish());
      if (eps < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("eps"), ": must be >= 0, got ", eps));
      }
      return std::make_unique<SpectrumMap>(parent, kDb,
                                           [eps](const double* p, int64_t n, double* out) {
                                             for (int64_t i = 0; i < n; ++i) {
                                               out[i] = 10.0 * std::log10(p[i] + eps);
                                             }
                                           });
    };
    bank.Add(std::move(def));
  }
  bank.Add(SpectralLeaf(
      "spectral_root_total_power", "sqrt(sum PSD)", {kWelch},
      [](const std::vector<double>&, const RowView& p) { return std::sqrt(Sum(p.x, p.n)); }));
  bank.Add(
      SpectralLeaf("spectral_hjorth_activity", "sum PSD", {kWelch},
                   [](const std::vector<double>&, const RowView& p) { return Sum(p.x, p.n); }));
  bank.Add(SpectralLeaf("spectral_moment", "sum f p (mean frequency)", {kNormalized},
                        [](const std::vector<double>& f, const RowView& p) {
                          double s = 0.0;
                          for (int64_t i = 0; i < p.n; ++i) s += f[i] * p.x[i];
                          return s;
                        }));
  bank.Add(SpectralLeaf("spectral_hjorth_mobility", "sqrt(sum f^2 p)", {kNormalized},
                        [](const std::vector<double>& f, const RowView& p) {
                          double s = 0.0;
                          for (int64_t i = 0; i < p.n; ++i) s += f[i] * f[i] * p.x[i];
                          return std::sqrt(s);
                        }));
  bank.Add(SpectralLeaf("spectral_hjorth_complexity", "sqrt(M4 M0) / M2", {kNormalized},
                        [](const std::vector<double>& f, const RowView& p) {
                          double m0 = 0.0, m2 = 0.0, m4 = 0.0;
                          for (int64_t i = 0; i < p.n; ++i) {
                            const double f2 = f[i] * f[i];
                            m0 += p.x[i];
                            m2 += f2 * p.x[i];
                            m4 += f2 * f2 * p.x[i];
                          }
                          return std::sqrt(m4 * m0) / m2;
                        }));
  bank.Add(SpectralLeaf("spectral_entropy", "-sum p ln p (natural log)", {kNormalized},
                        [](const std::vector<double>&, const RowView& p) {
                          double s = 0.0;
                          for (int64_t i = 0; i < p.n; ++i) {
                            if (p.x[i] > 0) s += p.x[i] * std::log(p.x[i]);
                          }
                          return -s;
                        }));
  {
    FeatureDef def;
    def.fn = "spectral_edge";
    def.summary = "frequency below which a fraction `edge` of the power lies";
    def.parents = {kNormalized};
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(double edge, params.Number("edge", 0.9));
      NF_RETURN_IF_ERROR(params.Finish());
      if (!(edge > 0.0 && edge <= 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("edge"), ": must be in (0, 1], got ", edge));
      }
      const std::vector<double> f = parent.freqs;
      return MakeRowLeaf(parent, [edge, f](const RowView& p) {
        // np.searchsorted(np.cumsum(p), edge): the first bin whose cumulative
        // sum reaches `edge`.
        double c = 0.0;
        for (int64_t i = 0; i < p.n; ++i) {
          c += p.x[i];
          if (c >= edge) return f[i];
        }
        return f[p.n - 1];
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "spectral_slope";
    def.summary = "least-squares line of dB power against ln f: exp (slope), int (intercept)";
    def.parents = {kDb};
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      if (parent.n < 2 || parent.freqs.front() <= 0.0) {
        return absl::InvalidArgumentError(absl::StrCat(
            params.path(), ": spectral_slope needs at least 2 bins above 0 Hz (got ", parent.n,
            " bins from ", parent.freqs.empty() ? 0.0 : parent.freqs.front(), " Hz)"));
      }
      std::vector<double> log_f(parent.n);
      for (int64_t i = 0; i < parent.n; ++i) log_f[i] = std::log(parent.freqs[i]);
      return std::make_unique<PerRowLeaf>(
          parent, std::vector<std::string>{"exp", "int"}, [log_f](const RowView& p, double* out) {
            const auto [a, b] = SlopeIntercept(log_f.data(), p.x, p.n);
            out[0] = a;
            out[1] = b;
          });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "spectral_bands_power";
    def.summary = "sum of the spectrum over each band lo <= f < hi (no df factor)";
    def.parents = any_spectrum;
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(std::vector<Band> bands, params.Bands("bands", DefaultBands()));
      NF_RETURN_IF_ERROR(params.Finish());
      std::vector<std::vector<int64_t>> bins;
      std::vector<std::string> keys;
      for (const Band& band : bands) {
        NF_ASSIGN_OR_RETURN(std::vector<int64_t> b,
                            BandBins(band, parent.freqs, params.Field("bands")));
        bins.push_back(std::move(b));
        keys.push_back(band.name);
      }
      return std::make_unique<PerRowLeaf>(parent, keys, [bins](const RowView& p, double* out) {
        for (size_t k = 0; k < bins.size(); ++k) {
          double s = 0.0;
          for (int64_t i : bins[k]) s += p.x[i];
          out[k] = s;
        }
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "spectral_peak_frequency";
    def.summary = "frequency of the largest value, optionally within freq_range [lo, hi]";
    def.parents = any_spectrum;
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(auto range, params.Range("freq_range"));
      NF_RETURN_IF_ERROR(params.Finish());
      std::vector<int64_t> bins;
      for (int64_t i = 0; i < parent.n; ++i) {
        if (!range.has_value() ||
            (parent.freqs[i] >= range->first && parent.freqs[i] <= range->second)) {
          bins.push_back(i);
        }
      }
      if (bins.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("freq_range"), ": no frequency bin of the spectrum lies in [",
                         range->first, ", ", range->second, "] Hz"));
      }
      const std::vector<double> f = parent.freqs;
      return MakeRowLeaf(parent, [bins, f](const RowView& p) {
        int64_t best = bins[0];
        for (int64_t i : bins) {
          if (p.x[i] > p.x[best]) best = i;
        }
        return f[best];
      });
    };
    bank.Add(std::move(def));
  }
}

}  // namespace neurofeat
