// Connectivity features (EEGDash feature_bank/connectivity.py): coherency
// from Welch cross spectra, phase differences of the band-passed analytic
// signal, and correlations in time and across the spectrum.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/dsp/hilbert.h"
#include "core/dsp/welch.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

const char kCoherency[] = "connectivity_coherency_preprocessor";
const char kPhase[] = "connectivity_phase_diff_preprocessor";

using Complex = std::complex<double>;

// Makes the pair-row shape of a coherency or phase preprocessor.
NodeShape PairShape(const NodeShape& parent, std::vector<std::pair<int, int>> pairs, ValueKind kind,
                    std::string producer) {
  NodeShape out = parent;
  out.kind = kind;
  out.producer = std::move(producer);
  out.channels = parent.rows;
  out.pairs = std::move(pairs);
  out.rows.clear();
  for (const auto& [a, b] : out.pairs) out.rows.push_back(PairName(parent.rows[a], parent.rows[b]));
  return out;
}

class CoherencyPreprocessor final : public PreprocessorKernel {
 public:
  CoherencyPreprocessor(const NodeShape& parent, const SpectralParams& p,
                        std::vector<std::pair<int, int>> pairs)
      : params_(p),
        welch_(WithHannWindow({p.fs, p.nperseg, p.noverlap, nullptr})),
        input_n_(parent.n) {
    output_ = PairShape(parent, std::move(pairs), ValueKind::kCoherency, kCoherency);
    kept_ = KeptBins(p, &output_.freqs);
    output_.n = static_cast<int64_t>(kept_.size());
  }
  void Apply(const NodeValue& in, EvalContext& ctx, NodeValue* out) const override {
    const int64_t channels = static_cast<int64_t>(output_.channels.size());
    WelchSpectra spectra(welch_, in.x.data(), channels, input_n_, *ctx.plans);
    const int64_t bins = spectra.bins();
    std::vector<double> psd(channels * bins);
    for (int64_t c = 0; c < channels; ++c) spectra.Psd(c, psd.data() + c * bins);
    std::vector<Complex> sxy(bins);
    const int64_t n = output_.n;
    out->z.resize(output_.pairs.size() * n);
    for (size_t p = 0; p < output_.pairs.size(); ++p) {
      const auto [a, b] = output_.pairs[p];
      spectra.Csd(a, b, sxy.data());
      for (int64_t k = 0; k < n; ++k) {
        const int64_t bin = kept_[k];
        out->z[p * n + k] = sxy[bin] / std::sqrt(psd[a * bins + bin] * psd[b * bins + bin]);
      }
    }
  }

 private:
  SpectralParams params_;
  // With its window, computed once.
  WelchSettings welch_;
  int64_t input_n_;
  std::vector<int64_t> kept_;
};

class PhaseDiffPreprocessor final : public PreprocessorKernel {
 public:
  PhaseDiffPreprocessor(const NodeShape& parent, std::vector<std::pair<int, int>> pairs) {
    output_ = PairShape(parent, std::move(pairs), ValueKind::kPhaseDiff, kPhase);
  }
  void Apply(const NodeValue& in, EvalContext& ctx, NodeValue* out) const override {
    const int64_t channels = static_cast<int64_t>(output_.channels.size()), n = output_.n;
    std::vector<Complex> analytic(channels * n);
    for (int64_t c = 0; c < channels; ++c) {
      AnalyticSignal(in.x.data() + c * n, n, *ctx.plans, analytic.data() + c * n);
    }
    out->z.resize(output_.pairs.size() * n);
    for (size_t p = 0; p < output_.pairs.size(); ++p) {
      const auto [a, b] = output_.pairs[p];
      for (int64_t i = 0; i < n; ++i) {
        const Complex z = analytic[a * n + i] * std::conj(analytic[b * n + i]);
        out->z[p * n + i] = z / std::abs(z);
      }
    }
  }
};

// One value per complex pair row (phase-difference features) or, with
// bands, one per band and pair row (coherence features).
class ComplexRowLeaf final : public LeafKernel {
 public:
  using RowFn = std::function<double(const Complex* z, int64_t n)>;
  ComplexRowLeaf(const NodeShape& shape, RowFn fn) : n_(shape.n), fn_(std::move(fn)) {
    columns_ = shape.rows;
  }
  void Compute(const NodeValue& in, EvalContext&, double* out) const override {
    for (size_t r = 0; r < columns_.size(); ++r) out[r] = fn_(in.z.data() + r * n_, n_);
  }

 private:
  int64_t n_;
  RowFn fn_;
};

class CoherenceBandLeaf final : public LeafKernel {
 public:
  CoherenceBandLeaf(const NodeShape& shape, const std::vector<Band>& bands,
                    std::vector<std::vector<int64_t>> bins, std::function<double(Complex)> g)
      : rows_(static_cast<int64_t>(shape.rows.size())),
        n_(shape.n),
        bins_(std::move(bins)),
        g_(std::move(g)) {
    for (const Band& band : bands) {
      for (const auto& r : shape.rows) columns_.push_back(absl::StrCat(band.name, "_", r));
    }
  }
  void Compute(const NodeValue& in, EvalContext&, double* out) const override {
    for (size_t k = 0; k < bins_.size(); ++k) {
      for (int64_t r = 0; r < rows_; ++r) {
        double s = 0.0;
        for (int64_t bin : bins_[k]) s += g_(in.z[r * n_ + bin]);
        out[k * rows_ + r] = s / static_cast<double>(bins_[k].size());
      }
    }
  }

 private:
  int64_t rows_;
  int64_t n_;
  std::vector<std::vector<int64_t>> bins_;
  std::function<double(Complex)> g_;
};

double Pearson(const RowView& a, const RowView& b) {
  const double ma = Mean(a.x, a.n), mb = Mean(b.x, b.n);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (int64_t i = 0; i < a.n; ++i) {
    const double da = a.x[i] - ma, db = b.x[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / std::sqrt(saa * sbb);
}

FeatureDef CorrelationFeature(std::string fn, std::string summary,
                              std::vector<std::string> parents) {
  FeatureDef def;
  def.fn = std::move(fn);
  def.summary = std::move(summary);
  def.parents = std::move(parents);
  def.leaf = [](ParamReader& params, const NodeShape& parent,
                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_ASSIGN_OR_RETURN(auto names, params.Pairs("pairs"));
    NF_RETURN_IF_ERROR(params.Finish());
    NF_ASSIGN_OR_RETURN(auto pairs, ResolvePairs(names, parent.rows, params.Field("pairs")));
    NF_RETURN_IF_ERROR(NeedSamples(parent, 2, params.path(), "a correlation"));
    return std::make_unique<PairLeaf>(parent, std::move(pairs), Pearson);
  };
  return def;
}

FeatureDef PhaseFeature(std::string fn, std::string summary,
                        std::function<double(const Complex*, int64_t)> f) {
  FeatureDef def;
  def.fn = std::move(fn);
  def.summary = std::move(summary);
  def.parents = {kPhase};
  def.leaf = [f = std::move(f)](ParamReader& params, const NodeShape& parent,
                                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_RETURN_IF_ERROR(params.Finish());
    return std::make_unique<ComplexRowLeaf>(parent, f);
  };
  return def;
}

FeatureDef CoherenceFeature(std::string fn, std::string summary, std::function<double(Complex)> g) {
  FeatureDef def;
  def.fn = std::move(fn);
  def.summary = std::move(summary);
  def.parents = {kCoherency};
  def.leaf = [g = std::move(g)](ParamReader& params, const NodeShape& parent,
                                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_ASSIGN_OR_RETURN(std::vector<Band> bands, params.Bands("bands", DefaultBands()));
    NF_RETURN_IF_ERROR(params.Finish());
    std::vector<std::vector<int64_t>> bins;
    for (const Band& band : bands) {
      NF_ASSIGN_OR_RETURN(std::vector<int64_t> b,
                          BandBins(band, parent.freqs, params.Field("bands")));
      if (b.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            params.Field("bands"), ": band \"", band.name, "\" [", band.lo, ", ", band.hi,
            ") Hz contains no frequency bin of the spectrum, so its mean is undefined"));
      }
      bins.push_back(std::move(b));
    }
    return std::make_unique<CoherenceBandLeaf>(parent, bands, std::move(bins), g);
  };
  return def;
}

Complex MeanOf(const Complex* z, int64_t n) {
  Complex s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += z[i];
  return s / static_cast<double>(n);
}

}  // namespace

void RegisterConnectivityFeatures(FeatureBank& bank) {
  {
    FeatureDef def;
    def.fn = kCoherency;
    def.summary = "complex coherency Sxy / sqrt(Sxx Syy) per channel pair (Welch CSD)";
    def.parents = SignalProducers();
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo& info) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(SpectralParams p, ReadSpectralParams(params, info, parent.n));
      NF_ASSIGN_OR_RETURN(auto names, params.Pairs("pairs"));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_ASSIGN_OR_RETURN(auto pairs, ResolvePairs(names, parent.rows, params.Field("pairs")));
      return std::make_unique<CoherencyPreprocessor>(parent, p, std::move(pairs));
    };
    bank.Add(std::move(def));
  }
  bank.Add(CoherenceFeature("connectivity_magnitude_square_coherence", "mean |c|^2 over each band",
                            [](Complex c) { return std::norm(c); }));
  bank.Add(CoherenceFeature("connectivity_imaginary_coherence", "mean Im c over each band",
                            [](Complex c) { return c.imag(); }));
  bank.Add(CoherenceFeature(
      "connectivity_lagged_coherence", "mean Im c / sqrt(1 - (Re c)^2) over each band",
      [](Complex c) { return c.imag() / std::sqrt(1.0 - c.real() * c.real()); }));
  {
    FeatureDef def;
    def.fn = kPhase;
    def.summary = "e^{i (phi_a - phi_b)} of the analytic signals, per channel pair";
    def.parents = {"signal_bandpass_filter_preprocessor"};
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(auto names, params.Pairs("pairs"));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_ASSIGN_OR_RETURN(auto pairs, ResolvePairs(names, parent.rows, params.Field("pairs")));
      NF_RETURN_IF_ERROR(NeedSamples(parent, 2, params.path(), kPhase));
      return std::make_unique<PhaseDiffPreprocessor>(parent, std::move(pairs));
    };
    bank.Add(std::move(def));
  }
  bank.Add(PhaseFeature("connectivity_phase_locking_value", "|mean e^{i dphi}|",
                        [](const Complex* z, int64_t n) { return std::abs(MeanOf(z, n)); }));
  bank.Add(PhaseFeature("connectivity_corrected_imaginary_phase_locking_value",
                        "Im PLV / sqrt(1 - (Re PLV)^2)", [](const Complex* z, int64_t n) {
                          const Complex m = MeanOf(z, n);
                          return m.imag() / std::sqrt(1.0 - m.real() * m.real());
                        }));
  bank.Add(PhaseFeature("connectivity_phase_lag_index", "|mean sign(Im e^{i dphi})|",
                        [](const Complex* z, int64_t n) {
                          double s = 0.0;
                          for (int64_t i = 0; i < n; ++i) {
                            s += z[i].imag() > 0 ? 1.0 : (z[i].imag() < 0 ? -1.0 : 0.0);
                          }
                          return std::fabs(s / static_cast<double>(n));
                        }));
  bank.Add(PhaseFeature("connectivity_weighted_phase_lag_index", "|mean Im| / mean |Im|",
                        [](const Complex* z, int64_t n) {
                          double s = 0.0, a = 0.0;
                          for (int64_t i = 0; i < n; ++i) {
                            s += z[i].imag();
                            a += std::fabs(z[i].imag());
                          }
                          return std::fabs(s / static_cast<double>(n)) /
                                 (a / static_cast<double>(n));
                        }));
  bank.Add(PhaseFeature("connectivity_directed_phase_lag_index", "mean [Im e^{i dphi} > 0]",
                        [](const Complex* z, int64_t n) {
                          double s = 0.0;
                          for (int64_t i = 0; i < n; ++i) s += z[i].imag() > 0 ? 1.0 : 0.0;
                          return s / static_cast<double>(n);
                        }));
  bank.Add(CorrelationFeature("connectivity_temporal_correlation",
                              "Pearson correlation of the signals of each pair",
                              SignalProducers()));
  bank.Add(CorrelationFeature(
      "connectivity_spectral_correlation", "Pearson correlation of the spectra of each pair",
      {"spectral_preprocessor", "spectral_normalized_preprocessor", "spectral_db_preprocessor"}));
  {
    FeatureDef def;
    def.fn = "connectivity_max_cross_correlation";
    def.summary = "max |normalised cross-correlation| over lags (-tau, tau], tau = min(n/2, fs/2)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo& info) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(auto names, params.Pairs("pairs"));
      NF_ASSIGN_OR_RETURN(double eps, params.Number("eps", 1e-15));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_ASSIGN_OR_RETURN(auto pairs, ResolvePairs(names, parent.rows, params.Field("pairs")));
      NF_RETURN_IF_ERROR(
          NeedSamples(parent, 2, params.path(), "connectivity_max_cross_correlation"));
      const int64_t tau = std::min<int64_t>(parent.n / 2, static_cast<int64_t>(info.fs) / 2);
      return std::make_unique<PairLeaf>(
          parent, std::move(pairs), [tau, eps](const RowView& a, const RowView& b) {
            const int64_t n = a.n;
            const double ma = Mean(a.x, n), mb = Mean(b.x, n);
            const double sa = std::sqrt(Variance(a.x, n)), sb = std::sqrt(Variance(b.x, n));
            const double norm = (sa + eps) * (sb + eps);
            double best = 0.0;
            // scipy.signal.correlate(a, b)[lag] = sum_i a[i + lag] b[i].
            for (int64_t lag = -tau + 1; lag <= tau; ++lag) {
              double s = 0.0;
              const int64_t lo = std::max<int64_t>(0, -lag), hi = std::min<int64_t>(n, n - lag);
              for (int64_t i = lo; i < hi; ++i) s += (a.x[i + lag] - ma) * (b.x[i] - mb);
              best = std::max(best, std::fabs(s / static_cast<double>(n - std::abs(lag)) / norm));
            }
            return best;
          });
    };
    bank.Add(std::move(def));
  }
}

}  // namespace neurofeat
