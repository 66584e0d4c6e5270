// Time-domain features of each channel (EEGDash feature_bank/signal.py), the
// FIR band-pass preprocessor and the envelope preprocessor.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/dsp/fir.h"
#include "core/dsp/hilbert.h"
#include "core/dsp/pairwise_sum.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double CentralMoment(const double* x, int64_t n, double mean, int power) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::pow(x[i] - mean, power);
  return s / static_cast<double>(n);
}

std::vector<double> Diff(const double* x, int64_t n) {
  std::vector<double> d(n > 0 ? n - 1 : 0);
  for (int64_t i = 0; i + 1 < n; ++i) d[i] = x[i + 1] - x[i];
  return d;
}

// numpy.quantile with linear interpolation. For float32 rows numpy takes the
// difference of the two neighbours in float32 and interpolates in float64.
double Quantile(const RowView& row, double q) {
  const int64_t n = row.n;
  const double index = q * static_cast<double>(n - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(index));
  const int64_t hi = std::min(lo + 1, n - 1);
  const double t = index - static_cast<double>(lo);
  std::vector<double> v(row.x, row.x + n);
  std::nth_element(v.begin(), v.begin() + lo, v.end());
  const double a = v[lo];
  const double b = hi == lo ? a : *std::min_element(v.begin() + lo + 1, v.end());
  const double diff = row.x32 != nullptr
                          ? static_cast<double>(static_cast<float>(b) - static_cast<float>(a))
                          : b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// A leaf with no parameters computing fn(row).
FeatureDef SimpleSignalFeature(std::string fn, std::string summary, int64_t min_samples,
                               std::function<double(const RowView&)> f, bool integer = false) {
  FeatureDef def;
  def.fn = fn;
  def.summary = std::move(summary);
  def.parents = SignalProducers();
  def.leaf = [f = std::move(f), fn, min_samples, integer](
                 ParamReader& params, const NodeShape& parent,
                 const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_RETURN_IF_ERROR(params.Finish());
    NF_RETURN_IF_ERROR(NeedSamples(parent, min_samples, params.path(), fn));
    return MakeRowLeaf(parent, f, integer);
  };
  return def;
}

class BandpassPreprocessor final : public PreprocessorKernel {
 public:
  BandpassPreprocessor(const NodeShape& parent, std::vector<double> taps, int64_t padlen)
      : taps_(std::move(taps)), padlen_(padlen) {
    output_ = parent;
    output_.producer = "signal_bandpass_filter_preprocessor";
  }
  void Apply(const NodeValue& in, EvalContext&, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(output_.rows.size()), n = output_.n;
    out->x.resize(rows * n);
    out->x32.clear();
    for (int64_t r = 0; r < rows; ++r) {
      FirFiltfilt(taps_, in.x.data() + r * n, n, padlen_, out->x.data() + r * n);
    }
  }

 private:
  std::vector<double> taps_;
  int64_t padlen_;
};

// signal_envelope_preprocessor: scipy.signal.envelope(x, residual=None) of
// each channel. Its float64 output replaces the float32 window (x32 is
// dropped), as the band-pass preprocessor's does.
class EnvelopePreprocessor final : public PreprocessorKernel {
 public:
  explicit EnvelopePreprocessor(const NodeShape& parent) {
    output_ = parent;
    output_.producer = "signal_envelope_preprocessor";
  }
  void Apply(const NodeValue& in, EvalContext& ctx, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(output_.rows.size()), n = output_.n;
    out->x.resize(rows * n);
    out->x32.clear();
    for (int64_t r = 0; r < rows; ++r) {
      Envelope(in.x.data() + r * n, n, *ctx.plans, out->x.data() + r * n);
    }
  }
};

}  // namespace

void RegisterSignalFeatures(FeatureBank& bank) {
  bank.Add(SimpleSignalFeature("signal_mean", "mean over the window", 1,
                               [](const RowView& r) { return Mean(r.x, r.n); }));
  for (const char* fn : {"signal_variance", "signal_hjorth_activity", "signal_std"}) {
    const bool is_std = std::string(fn) == "signal_std";
    FeatureDef def;
    def.fn = fn;
    def.summary = is_std ? "standard deviation (ddof)" : "variance (ddof)";
    def.parents = SignalProducers();
    def.leaf = [is_std](ParamReader& params, const NodeShape& parent,
                        const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(int64_t ddof, params.Int("ddof", 0));
      NF_RETURN_IF_ERROR(params.Finish());
      if (ddof < 0 || ddof >= parent.n) {
        return absl::InvalidArgumentError(absl::StrCat(params.Field("ddof"), ": must be in [0, ",
                                                       parent.n, ") for windows of ", parent.n,
                                                       " samples, got ", ddof));
      }
      return MakeRowLeaf(parent, [ddof, is_std](const RowView& r) {
        const double v = Variance(r.x, r.n, static_cast<int>(ddof));
        return is_std ? std::sqrt(v) : v;
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "signal_skewness";
    def.summary = "skewness (scipy.stats.skew; bias)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(bool bias, params.Bool("bias", true));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedSamples(parent, bias ? 2 : 3, params.path(), "signal_skewness"));
      return MakeRowLeaf(parent, [bias](const RowView& r) {
        const double m = Mean(r.x, r.n);
        const double m2 = CentralMoment(r.x, r.n, m, 2), m3 = CentralMoment(r.x, r.n, m, 3);
        if (m2 == 0.0) return kNaN;
        double g1 = m3 / std::pow(m2, 1.5);
        if (!bias) {
          const double n = static_cast<double>(r.n);
          g1 *= std::sqrt(n * (n - 1.0)) / (n - 2.0);
        }
        return g1;
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "signal_kurtosis";
    def.summary = "kurtosis (scipy.stats.kurtosis; fisher, bias)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(bool fisher, params.Bool("fisher", true));
      NF_ASSIGN_OR_RETURN(bool bias, params.Bool("bias", true));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedSamples(parent, bias ? 2 : 4, params.path(), "signal_kurtosis"));
      return MakeRowLeaf(parent, [fisher, bias](const RowView& r) {
        const double m = Mean(r.x, r.n);
        const double m2 = CentralMoment(r.x, r.n, m, 2), m4 = CentralMoment(r.x, r.n, m, 4);
        if (m2 == 0.0) return kNaN;
        double k = m4 / (m2 * m2);
        if (!bias) {
          const double n = static_cast<double>(r.n);
          k = 1.0 / (n - 2.0) / (n - 3.0) * ((n * n - 1.0) * k - 3.0 * (n - 1.0) * (n - 1.0)) + 3.0;
        }
        return fisher ? k - 3.0 : k;
      });
    };
    bank.Add(std::move(def));
  }
  bank.Add(
      SimpleSignalFeature("signal_root_mean_square", "root mean square", 1, [](const RowView& r) {
        double s = 0.0;
        for (int64_t i = 0; i < r.n; ++i) s += r.x[i] * r.x[i];
        return std::sqrt(s / static_cast<double>(r.n));
      }));
  bank.Add(SimpleSignalFeature("signal_peak_to_peak", "max - min", 1, [](const RowView& r) {
    const auto [lo, hi] = std::minmax_element(r.x, r.x + r.n);
    // numpy subtracts float32 maxima in float32.
    if (r.x32 != nullptr)
      return static_cast<double>(static_cast<float>(*hi) - static_cast<float>(*lo));
    return *hi - *lo;
  }));
  {
    FeatureDef def;
    def.fn = "signal_quantile";
    def.summary = "quantile q (numpy linear interpolation)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(double q, params.Number("q", 0.5));
      NF_RETURN_IF_ERROR(params.Finish());
      if (q < 0.0 || q > 1.0) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("q"), ": must be in [0, 1], got ", q));
      }
      return MakeRowLeaf(parent, [q](const RowView& r) { return Quantile(r, q); });
    };
    bank.Add(std::move(def));
  }
  bank.Add(SimpleSignalFeature("signal_line_length", "mean absolute first difference", 2,
                               [](const RowView& r) {
                                 double s = 0.0;
                                 for (int64_t i = 0; i + 1 < r.n; ++i)
                                   s += std::fabs(r.x[i + 1] - r.x[i]);
                                 return s / static_cast<double>(r.n - 1);
                               }));
  {
    FeatureDef def;
    def.fn = "signal_zero_crossings";
    def.summary = "number of zero crossings (|x| < threshold counts as zero)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(double threshold, params.Number("threshold", 1e-15));
      NF_RETURN_IF_ERROR(params.Finish());
      if (threshold < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("threshold"), ": must be >= 0, got ", threshold));
      }
      return MakeRowLeaf(
          parent, [threshold](const RowView& r) { return ZeroCrossings(r, threshold); },
          /*integer_valued=*/true);
    };
    bank.Add(std::move(def));
  }
  bank.Add(SimpleSignalFeature(
      "signal_hjorth_mobility", "std(diff x) / std(x)", 2, [](const RowView& r) {
        const std::vector<double> d = Diff(r.x, r.n);
        return std::sqrt(Variance(d.data(), r.n - 1)) / std::sqrt(Variance(r.x, r.n));
      }));
  bank.Add(SimpleSignalFeature(
      "signal_hjorth_complexity", "std(diff2 x) * std(x) / var(diff x)", 3, [](const RowView& r) {
        const std::vector<double> d1 = Diff(r.x, r.n);
        const std::vector<double> d2 = Diff(d1.data(), r.n - 1);
        return std::sqrt(Variance(d2.data(), r.n - 2)) * std::sqrt(Variance(r.x, r.n)) /
               Variance(d1.data(), r.n - 1);
      }));
  {
    FeatureDef def;
    def.fn = "signal_decorrelation_time";
    def.summary = "first lag (s) where the autocorrelation reaches 0";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo& info) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedSamples(parent, 2, params.path(), "signal_decorrelation_time"));
      const double fs = info.fs;
      return MakeRowLeaf(parent, [fs](const RowView& r) {
        const double m = Mean(r.x, r.n);
        std::vector<double> d(r.n);
        for (int64_t i = 0; i < r.n; ++i) d[i] = r.x[i] - m;
        // The first lag < n/2 with a non-positive (linear) autocorrelation;
        // 0 if there is none, as numpy's argmax of an all-false mask.
        for (int64_t lag = 0; lag < r.n / 2; ++lag) {
          double ac = 0.0;
          for (int64_t i = 0; i + lag < r.n; ++i) ac += d[i] * d[i + lag];
          if (ac <= 0.0) return static_cast<double>(lag) / fs;
        }
        return 0.0;
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "signal_bandpass_filter_preprocessor";
    def.summary = "zero-phase FIR band-pass (firwin Hamming, filtfilt)";
    def.parents = SignalProducers();
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo& info) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(std::optional<double> f_min, params.OptionalNumber("f_min"));
      NF_ASSIGN_OR_RETURN(std::optional<double> f_max, params.OptionalNumber("f_max"));
      NF_ASSIGN_OR_RETURN(std::optional<int64_t> taps_opt, params.OptionalInt("num_taps"));
      NF_RETURN_IF_ERROR(params.Finish());
      if (!f_min.has_value() || !f_max.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field(f_min.has_value() ? "f_max" : "f_min"), ": required (Hz)"));
      }
      const double nyquist = info.fs / 2.0;
      if (!(*f_min > 0.0) || !(*f_min < *f_max) || !(*f_max < nyquist)) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.path(), ": need 0 < f_min < f_max < Nyquist (", nyquist,
                         " Hz), got f_min ", *f_min, ", f_max ", *f_max));
      }
      // EEGDash's default: int(1.5 * fs) taps.
      NF_ASSIGN_OR_RETURN(int64_t default_taps,
                          DoubleToCount(info.fs * 1.5, params.Field("num_taps")));
      int64_t taps = taps_opt.value_or(default_taps);
      // The taps are designed and held per node; a bound keeps a parameter
      // from sizing an allocation at will.
      constexpr int64_t kMaxTaps = (int64_t{1} << 20) - 1;
      if (taps < 1 || taps > kMaxTaps) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("num_taps"), ": must be in [1, ", kMaxTaps, "], got ", taps,
                         taps_opt.has_value() ? "" : " (1.5 x fs)"));
      }
      if (taps % 2 == 0) ++taps;
      if (parent.n < 2) {
        return absl::InvalidArgumentError(absl::StrCat(params.path(), ": windows of ", parent.n,
                                                       " samples are too short to filter"));
      }
      const int64_t padlen = std::min<int64_t>(3 * taps, parent.n - 1);
      return std::make_unique<BandpassPreprocessor>(
          parent, FirwinBandpass(taps, *f_min, *f_max, info.fs), padlen);
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "signal_envelope_preprocessor";
    def.summary = "amplitude envelope (scipy.signal.envelope: |analytic signal|, mean removed)";
    def.parents = SignalProducers();
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      // scipy's default band [1, (n + 1) // 2) is empty below 3 samples.
      NF_RETURN_IF_ERROR(NeedSamples(parent, 3, params.path(), "signal_envelope_preprocessor"));
      return std::make_unique<EnvelopePreprocessor>(parent);
    };
    bank.Add(std::move(def));
  }
}

}  // namespace neurofeat
