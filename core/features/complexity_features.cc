// Complexity features (EEGDash feature_bank/complexity.py): the entropy
// preprocessor and ApEn / SampEn, multiscale entropy with v0.8.0 semantics,
// SVD entropy, Lempel-Ziv complexity, the Hurst exponent and DFA.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "core/dsp/pairwise_sum.h"
#include "core/features/entropy_counts.h"
#include "core/features/entropy_pairs.h"
#include "core/features/feature_bank.h"
#include "core/features/kernel_helpers.h"
#include "core/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

const char kEntropy[] = "complexity_entropy_preprocessor";

// The tolerance r * std(x). EEGDash multiplies a float32 std by r in float32
// when the window is float32; matching it keeps every neighbour count equal.
double Tolerance(const RowView& row, double r) {
  if (row.x32 != nullptr) {
    return static_cast<double>(static_cast<float>(r) * StdFloat32(row.x32, row.n));
  }
  return r * std::sqrt(Variance(row.x, row.n));
}

class EntropyPreprocessor final : public PreprocessorKernel {
 public:
  EntropyPreprocessor(const NodeShape& parent, int64_t m, double r, int64_t l)
      : m_(m), r_(r), l_(l), n_(parent.n) {
    output_ = parent;
    output_.kind = ValueKind::kEntropyCounts;
    output_.producer = kEntropy;
    output_.entropy_m = m;
    output_.entropy_l = l;
  }
  void Apply(const NodeValue& in, EvalContext&, NodeValue* out) const override {
    const int64_t rows = static_cast<int64_t>(output_.rows.size());
    out->counts_m.resize(rows);
    out->counts_mp1.resize(rows);
    auto count = [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const RowView row = Row(in, c, n_);
        CountNeighboursBanded(row.x, n_, m_, Tolerance(row, r_), l_, &out->counts_m[c],
                              &out->counts_mp1[c]);
      }
    };
    if (rows > 1 && rows * n_ >= kParallelRowSamples) {
      tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows),
                        [&](const tbb::blocked_range<int64_t>& r) { count(r.begin(), r.end()); });
    } else {
      count(0, rows);
    }
  }

 private:
  int64_t m_;
  double r_;
  int64_t l_;
  int64_t n_;
};

class CountsLeaf final : public LeafKernel {
 public:
  CountsLeaf(const NodeShape& shape, bool sample) : sample_(sample) { columns_ = shape.rows; }
  void Compute(const NodeValue& in, EvalContext&, double* out) const override {
    for (size_t c = 0; c < columns_.size(); ++c) {
      out[c] = sample_ ? SampleEntropy(in.counts_m[c], in.counts_mp1[c])
                       : ApproximateEntropy(in.counts_m[c], in.counts_mp1[c]);
    }
  }

 private:
  bool sample_;
};

struct EntropyParams {
  int64_t m;
  double r;
};
absl::StatusOr<EntropyParams> ReadEntropyParams(ParamReader& params) {
  EntropyParams p;
  NF_ASSIGN_OR_RETURN(p.m, params.Int("m", 2));
  NF_ASSIGN_OR_RETURN(p.r, params.Number("r", 0.2));
  if (p.m < 1) {
    return absl::InvalidArgumentError(absl::StrCat(params.Field("m"), ": must be >= 1, got ", p.m));
  }
  if (p.r < 0) {
    return absl::InvalidArgumentError(absl::StrCat(params.Field("r"), ": must be >= 0, got ", p.r));
  }
  return p;
}

absl::Status NeedEmbedding(const NodeShape& parent, int64_t m, int64_t l, const std::string& path) {
  // Two vectors of dimension m + 1 are needed for a neighbour to exist.
  if ((parent.n - m) / l < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": too few samples for an entropy estimate: windows of ", parent.n, " samples give ",
        std::max<int64_t>(0, (parent.n - m) / l), " embedding vectors of dimension ", m + 1,
        " at stride ", l, " (need at least 2)"));
  }
  return absl::OkStatus();
}

// One-sided Jacobi SVD: the singular values of a rows x cols matrix given as
// columns. Accurate for small singular values, unlike the Gram matrix.
std::vector<double> SingularValues(std::vector<std::vector<double>> a) {
  const size_t cols = a.size();
  const size_t rows = cols == 0 ? 0 : a[0].size();
  for (int sweep = 0; sweep < 60; ++sweep) {
    bool rotated = false;
    for (size_t p = 0; p + 1 < cols; ++p) {
      for (size_t q = p + 1; q < cols; ++q) {
        double alpha = 0.0, beta = 0.0, gamma = 0.0;
        for (size_t i = 0; i < rows; ++i) {
          alpha += a[p][i] * a[p][i];
          beta += a[q][i] * a[q][i];
          gamma += a[p][i] * a[q][i];
        }
        if (gamma == 0.0 || std::fabs(gamma) <= 1e-15 * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2.0 * gamma);
        const double t =
            (zeta >= 0 ? 1.0 : -1.0) / (std::fabs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t);
        const double s = c * t;
        for (size_t i = 0; i < rows; ++i) {
          const double ap = a[p][i], aq = a[q][i];
          a[p][i] = c * ap - s * aq;
          a[q][i] = s * ap + c * aq;
        }
      }
    }
    if (!rotated) break;
  }
  std::vector<double> sv(cols);
  for (size_t k = 0; k < cols; ++k) {
    double s = 0.0;
    for (double v : a[k]) s += v * v;
    sv[k] = std::sqrt(s);
  }
  return sv;
}

// EEGDash's Lempel-Ziv (Kaspar & Schuster) on x > threshold.
double LempelZiv(const RowView& row, std::optional<double> threshold, bool normalize) {
  const int64_t n = row.n;
  double t;
  if (threshold.has_value()) {
    t = *threshold;
  } else {
    std::vector<double> v(row.x, row.x + n);
    const int64_t half = n / 2;
    std::nth_element(v.begin(), v.begin() + half, v.end());
    const double upper = v[half];
    if (n % 2 == 1) {
      t = upper;
    } else {
      const double lower = *std::max_element(v.begin(), v.begin() + half);
      // numba adds two float32 values in float32, then halves in float64.
      t = row.x32 != nullptr
              ? static_cast<double>(static_cast<float>(lower) + static_cast<float>(upper)) / 2.0
              : (lower + upper) / 2.0;
    }
  }
  std::vector<uint8_t> s(n);
  for (int64_t i = 0; i < n; ++i) s[i] = row.x[i] > t;
  int64_t j = 0, k = 1, l = 1, k_max = 1;
  double c = 1;
  while (true) {
    if (s[j + k - 1] == s[l + k - 1]) {
      ++k;
      if (l + k > n) {
        c += 1;
        break;
      }
    } else {
      k_max = std::max(k, k_max);
      ++j;
      if (j == l) {
        c += 1;
        l += k_max;
        if (l + 1 > n) break;
        j = 0;
        k = 1;
        k_max = 1;
      } else {
        k = 1;
      }
    }
  }
  if (normalize) c *= std::log2(static_cast<double>(n)) / static_cast<double>(n);
  return c;
}

// The window sizes 2^k, 2 <= k < log2(n) - 1, of the Hurst and DFA estimates.
std::vector<int64_t> DyadicScales(int64_t n) {
  std::vector<int64_t> ns;
  const double stop = std::log2(static_cast<double>(n)) - 1.0;
  for (int k = 2; k < stop; ++k) ns.push_back(int64_t{1} << k);
  return ns;
}

double HurstExponent(const RowView& row, const std::vector<int64_t>& ns) {
  const int64_t n_total = row.n;
  std::vector<double> log_n, log_rs;
  for (int64_t n : ns) {
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t w = 0; w < n_total / n; ++w) {
      const double* xj = row.x + w * n;
      const double m = Mean(xj, n);
      double z = 0.0, zmin = 0.0, zmax = 0.0, ss = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double y = xj[i] - m;
        z += y;
        if (i == 0) {
          zmin = zmax = z;
        } else {
          zmin = std::min(zmin, z);
          zmax = std::max(zmax, z);
        }
        ss += y * y;
      }
      const double s = std::sqrt(ss / static_cast<double>(n));
      if (s != 0.0) {
        sum += (zmax - zmin) / s;
        ++count;
      }
    }
    // Anis-Lloyd expected R/S for this scale.
    const double nd = static_cast<double>(n);
    const double gamma_ratio =
        (n > 340 ? 1.0 / std::sqrt(nd / 2.0)
                 : std::exp(std::lgamma((nd - 1.0) / 2.0) - std::lgamma(nd / 2.0))) /
        std::sqrt(std::numbers::pi);
    double expected = 0.0;
    for (int64_t a = 1; a < n; ++a) expected += std::sqrt((nd - a) / static_cast<double>(a));
    log_n.push_back(std::log(nd));
    log_rs.push_back(std::log(sum / static_cast<double>(count)) - std::log(expected * gamma_ratio));
  }
  return 0.5 +
         SlopeIntercept(log_n.data(), log_rs.data(), static_cast<int64_t>(log_n.size())).first;
}

double Dfa(const RowView& row, const std::vector<int64_t>& ns) {
  const int64_t n_total = row.n;
  const double m = Mean(row.x, n_total);
  std::vector<double> profile(n_total);
  double acc = 0.0;
  for (int64_t i = 0; i < n_total; ++i) {
    acc += row.x[i] - m;
    profile[i] = acc;
  }
  std::vector<double> log_n, log_f;
  for (int64_t n : ns) {
    std::vector<double> t(n);
    for (int64_t i = 0; i < n; ++i) t[i] = static_cast<double>(i);
    double f2 = 0.0;
    const int64_t blocks = n_total / n;
    for (int64_t b = 0; b < blocks; ++b) {
      const double* z = profile.data() + b * n;
      const auto [slope, intercept] = SlopeIntercept(t.data(), z, n);
      double rss = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double e = z[i] - (slope * t[i] + intercept);
        rss += e * e;
      }
      f2 += rss / static_cast<double>(n);
    }
    log_n.push_back(std::log(static_cast<double>(n)));
    log_f.push_back(std::log(std::sqrt(f2 / static_cast<double>(blocks))));
  }
  return SlopeIntercept(log_n.data(), log_f.data(), static_cast<int64_t>(log_n.size())).first;
}

absl::Status NeedScales(const NodeShape& parent, const std::string& path, const std::string& what) {
  if (DyadicScales(parent.n).size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": too few samples for ", what, ": windows of ", parent.n,
        " samples give fewer than 2 window sizes 2^k < n / 2 (need at least 17 samples)"));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterComplexityFeatures(FeatureBank& bank) {
  {
    FeatureDef def;
    def.fn = kEntropy;
    def.summary = "neighbour counts for ApEn/SampEn (m, r * std, stride l)";
    def.parents = SignalProducers();
    def.preprocessor =
        [](ParamReader& params, const NodeShape& parent,
           const SignalInfo&) -> absl::StatusOr<std::unique_ptr<PreprocessorKernel>> {
      NF_ASSIGN_OR_RETURN(EntropyParams p, ReadEntropyParams(params));
      NF_ASSIGN_OR_RETURN(int64_t l, params.Int("l", 1));
      NF_RETURN_IF_ERROR(params.Finish());
      if (l < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("l"), ": must be >= 1, got ", l));
      }
      NF_RETURN_IF_ERROR(NeedEmbedding(parent, p.m, l, params.path()));
      return std::make_unique<EntropyPreprocessor>(parent, p.m, p.r, l);
    };
    bank.Add(std::move(def));
  }
  for (const bool sample : {true, false}) {
    FeatureDef def;
    def.fn = sample ? "complexity_sample_entropy" : "complexity_approx_entropy";
    def.summary = sample ? "sample entropy from the neighbour counts"
                         : "approximate entropy from the neighbour counts";
    def.parents = {kEntropy};
    def.leaf = [sample](ParamReader& params, const NodeShape& parent,
                        const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      return std::make_unique<CountsLeaf>(parent, sample);
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "complexity_multiscale_entropy";
    def.summary = "multiscale entropy, EEGDash v0.8.0: trapezoid of SampEn over strides 1..l_max";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(EntropyParams p, ReadEntropyParams(params));
      NF_ASSIGN_OR_RETURN(int64_t l_max, params.Int("l_max", 16));
      NF_RETURN_IF_ERROR(params.Finish());
      if (l_max < 1 || l_max > 64) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("l_max"), ": must be in [1, 64], got ", l_max));
      }
      NF_RETURN_IF_ERROR(NeedEmbedding(parent, p.m, l_max, params.path()));
      const double r = p.r;
      // The stride tables depend only on the window length: built once.
      auto counter = std::make_shared<const MultiscalePairCounter>(parent.n, p.m, l_max);
      return MakeRowLeaf(parent, [counter, r, l_max](const RowView& row) {
        const double tol = Tolerance(row, r);
        const std::vector<double> sampen = MultiscaleSampleEntropy(*counter, row.x, tol);
        double sum = 0.0;
        for (double s : sampen) sum += std::isfinite(s) ? s : 0.0;
        const double first = std::isfinite(sampen.front()) ? sampen.front() : 0.0;
        const double last = std::isfinite(sampen.back()) ? sampen.back() : 0.0;
        // numpy.trapz(dx=1) / l_max.
        return l_max == 1 ? 0.0 : (sum - 0.5 * (first + last)) / static_cast<double>(l_max);
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "complexity_svd_entropy";
    def.summary = "entropy of the normalised singular values of the delay embedding (m, tau)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(int64_t m, params.Int("m", 10));
      NF_ASSIGN_OR_RETURN(int64_t tau, params.Int("tau", 1));
      NF_RETURN_IF_ERROR(params.Finish());
      if (m < 1 || tau < 1) {
        return absl::InvalidArgumentError(absl::StrCat(params.Field(m < 1 ? "m" : "tau"),
                                                       ": must be >= 1, got ", m < 1 ? m : tau));
      }
      if ((parent.n - m + 1) / tau < m) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.path(), ": too few samples for SVD entropy: windows of ", parent.n,
                         " samples give ", std::max<int64_t>(0, (parent.n - m + 1) / tau),
                         " embedding vectors, fewer than m = ", m));
      }
      return MakeRowLeaf(parent, [m, tau](const RowView& row) {
        const int64_t vectors = (row.n - m + 1) / tau;
        std::vector<std::vector<double>> cols(m, std::vector<double>(vectors));
        for (int64_t k = 0; k < m; ++k) {
          for (int64_t i = 0; i < vectors; ++i) cols[k][i] = row.x[i * tau + k];
        }
        std::vector<double> s = SingularValues(std::move(cols));
        double total = 0.0;
        for (double v : s) total += v;
        double h = 0.0;
        for (double v : s) {
          const double p = v / total;
          h -= p * std::log(p);
        }
        return h;
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "complexity_lempel_ziv";
    def.summary = "Lempel-Ziv complexity of x > threshold (default: the median)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(std::optional<double> threshold, params.OptionalNumber("threshold"));
      NF_ASSIGN_OR_RETURN(bool normalize, params.Bool("normalize", true));
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedSamples(parent, 2, params.path(), "complexity_lempel_ziv"));
      return MakeRowLeaf(parent, [threshold, normalize](const RowView& row) {
        return LempelZiv(row, threshold, normalize);
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "complexity_hurst_exp";
    def.summary = "Hurst exponent, rescaled range with the Anis-Lloyd correction";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedScales(parent, params.path(), "the Hurst exponent"));
      const std::vector<int64_t> ns = DyadicScales(parent.n);
      return MakeRowLeaf(parent, [ns](const RowView& row) { return HurstExponent(row, ns); });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "complexity_detrended_fluctuation_analysis";
    def.summary = "DFA scaling exponent (works on float32 windows too)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedScales(parent, params.path(), "detrended fluctuation analysis"));
      const std::vector<int64_t> ns = DyadicScales(parent.n);
      return MakeRowLeaf(parent, [ns](const RowView& row) { return Dfa(row, ns); });
    };
    bank.Add(std::move(def));
  }
}

void RegisterDimensionalityFeatures(FeatureBank& bank) {
  {
    FeatureDef def;
    def.fn = "dimensionality_higuchi_fractal_dim";
    def.summary = "Higuchi fractal dimension (k_max, eps)";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_ASSIGN_OR_RETURN(int64_t k_max, params.Int("k_max", 10));
      NF_ASSIGN_OR_RETURN(double eps, params.Number("eps", 1e-7));
      NF_RETURN_IF_ERROR(params.Finish());
      if (k_max < 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.Field("k_max"), ": must be >= 2, got ", k_max));
      }
      if (parent.n < 2 * k_max) {
        return absl::InvalidArgumentError(
            absl::StrCat(params.path(), ": too few samples for the Higuchi dimension: windows of ",
                         parent.n, " samples, need at least 2 * k_max = ", 2 * k_max));
      }
      return MakeRowLeaf(parent, [k_max, eps](const RowView& row) {
        const int64_t n = row.n;
        std::vector<double> neg_log_k(k_max), log_l(k_max);
        for (int64_t k = 1; k <= k_max; ++k) {
          double sum_lm = 0.0;
          for (int64_t m = 0; m < k; ++m) {
            const int64_t segments = (n - m - 1) / k;
            double length = 0.0;
            for (int64_t i = 1; i <= segments; ++i) {
              length += std::fabs(row.x[m + i * k] - row.x[m + (i - 1) * k]);
            }
            sum_lm += length * static_cast<double>(n - 1) / (static_cast<double>(segments) * k);
          }
          const double lk = sum_lm / static_cast<double>(k) / static_cast<double>(k);
          neg_log_k[k - 1] = -std::log(static_cast<double>(k));
          log_l[k - 1] = std::log(std::max(lk, eps));
        }
        return SlopeIntercept(neg_log_k.data(), log_l.data(), k_max).first;
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "dimensionality_katz_fractal_dim";
    def.summary = "Katz fractal dimension";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(NeedSamples(parent, 2, params.path(), "dimensionality_katz_fractal_dim"));
      return MakeRowLeaf(parent, [](const RowView& row) {
        double length = 0.0, d = 0.0;
        for (int64_t i = 0; i + 1 < row.n; ++i) length += std::fabs(row.x[i + 1] - row.x[i]);
        for (int64_t i = 1; i < row.n; ++i) d = std::max(d, std::fabs(row.x[i] - row.x[0]));
        const double mean_step = length / static_cast<double>(row.n - 1);
        const double log_n = std::log(length / mean_step);
        return log_n / (std::log(d / length) + log_n);
      });
    };
    bank.Add(std::move(def));
  }
  {
    FeatureDef def;
    def.fn = "dimensionality_petrosian_fractal_dim";
    def.summary = "Petrosian fractal dimension from the zero crossings of the first difference";
    def.parents = SignalProducers();
    def.leaf = [](ParamReader& params, const NodeShape& parent,
                  const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
      NF_RETURN_IF_ERROR(params.Finish());
      NF_RETURN_IF_ERROR(
          NeedSamples(parent, 3, params.path(), "dimensionality_petrosian_fractal_dim"));
      return MakeRowLeaf(parent, [](const RowView& row) {
        const int64_t n = row.n;
        std::vector<double> d(n - 1);
        std::vector<float> d32;
        if (row.x32 != nullptr) {
          // numpy differences float32 samples in float32.
          d32.resize(n - 1);
          for (int64_t i = 0; i + 1 < n; ++i) {
            d32[i] = row.x32[i + 1] - row.x32[i];
            d[i] = d32[i];
          }
        } else {
          for (int64_t i = 0; i + 1 < n; ++i) d[i] = row.x[i + 1] - row.x[i];
        }
        RowView diff{d.data(), d32.empty() ? nullptr : d32.data(), n - 1};
        const double nd = ZeroCrossings(diff, 1e-15);
        const double log_n = std::log(static_cast<double>(n));
        return log_n / (std::log(static_cast<double>(n) / nd) + log_n);
      });
    };
    bank.Add(std::move(def));
  }
}

}  // namespace neurofeat
