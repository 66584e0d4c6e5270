#include "core/features/csp.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/features/feature_bank.h"
#include "core/status_macros.h"

namespace neurofeat {

void SymmetricEigen(std::vector<double> a, int64_t n, std::vector<double>* values,
                    std::vector<std::vector<double>>* vectors) {
  std::vector<double> v(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
  auto at = [&](int64_t i, int64_t j) -> double& { return a[i * n + j]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, total = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        (i == j ? total : off) += at(i, j) * at(i, j);
      }
    }
    if (off <= 1e-30 * (total + off)) break;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = at(p, q);
        if (apq == 0.0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan 8.5.2).
        const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1.0 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return at(x, x) < at(y, y); });
  values->clear();
  vectors->clear();
  for (int64_t i : order) {
    values->push_back(at(i, i));
    std::vector<double> col(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) col[k] = v[k * n + i];
    vectors->push_back(std::move(col));
  }
}

absl::StatusOr<CspModel> FitCsp(const float* windows, int64_t n_windows, int64_t channels,
                                int64_t n_times, const std::vector<int64_t>& labels,
                                const std::vector<std::string>& channel_names,
                                const std::function<bool()>& cancelled) {
  if (static_cast<int64_t>(labels.size()) != n_windows) {
    return absl::InvalidArgumentError(absl::StrCat("labels: ", labels.size(), " labels for ",
                                                   n_windows, " windows; give one per window"));
  }
  std::vector<int64_t> classes(labels);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  if (classes.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: CommonSpatialPattern separates exactly two classes; the labels have ",
                     classes.size(), " (", absl::StrJoin(classes, ", "), ")"));
  }
  const int64_t c = channels;
  for (int l = 0; l < 2; ++l) {
    const int64_t windows_of_class = std::count(labels.begin(), labels.end(), classes[l]);
    // Each class needs more samples than channels for a covariance of full
    // rank, and two windows so that it is not one window's shape.
    if (windows_of_class < 2 || windows_of_class * n_times <= c) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels: class ", classes[l], " has ", windows_of_class, " window(s) of ", n_times,
          " samples; CommonSpatialPattern needs at least 2 windows and more than ", c,
          " samples (the channels) per class"));
    }
  }
  for (int64_t i = 0; i < n_windows * c * n_times; ++i) {
    if (!std::isfinite(windows[i])) {
      const int64_t per_window = c * n_times;
      return absl::InvalidArgumentError(
          absl::StrCat("windows: window ", i / per_window, ", channel ",
                       channel_names.empty() ? absl::StrCat((i % per_window) / n_times)
                                             : channel_names[(i % per_window) / n_times],
                       ", sample ", i % n_times, " is ", windows[i],
                       "; CommonSpatialPattern needs finite data"));
    }
  }
  CspModel m;
  m.labels = classes;
  m.channels = channel_names;
  std::vector<std::vector<double>> means(2, std::vector<double>(c, 0.0));
  std::vector<std::vector<double>> covs(2, std::vector<double>(c * c, 0.0));
  m.counts = {0, 0};
  for (int64_t w = 0; w < n_windows; ++w) {
    const int l = labels[w] == classes[0] ? 0 : 1;
    m.counts[l] += n_times;
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* x = windows + (w * c + ch) * n_times;
      double sum = 0;
      for (int64_t t = 0; t < n_times; ++t) sum += x[t];
      means[l][ch] += sum;
    }
  }
  for (int l = 0; l < 2; ++l) {
    for (double& v : means[l]) v /= static_cast<double>(m.counts[l]);
  }
  std::vector<double> centred(static_cast<size_t>(c * n_times));
  for (int64_t w = 0; w < n_windows; ++w) {
    if (cancelled && w % 64 == 0 && cancelled()) {
      return absl::CancelledError(absl::StrCat("fit cancelled at window ", w));
    }
    const int l = labels[w] == classes[0] ? 0 : 1;
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* x = windows + (w * c + ch) * n_times;
      for (int64_t t = 0; t < n_times; ++t) centred[ch * n_times + t] = x[t] - means[l][ch];
    }
    for (int64_t i = 0; i < c; ++i) {
      for (int64_t j = i; j < c; ++j) {
        double s = 0;
        for (int64_t t = 0; t < n_times; ++t)
          s += centred[i * n_times + t] * centred[j * n_times + t];
        covs[l][i * c + j] += s;
      }
    }
  }
  for (int l = 0; l < 2; ++l) {
    // Population covariance, then EEGDash's scaling (by the second class's
    // count for both).
    const double scale = 1.0 / static_cast<double>(m.counts[l]) *
                         (static_cast<double>(m.counts[l]) / static_cast<double>(m.counts[1] - 1));
    for (int64_t i = 0; i < c; ++i) {
      for (int64_t j = i; j < c; ++j) {
        covs[l][i * c + j] *= scale;
        covs[l][j * c + i] = covs[l][i * c + j];
      }
    }
  }
  const double total = static_cast<double>(m.counts[0] + m.counts[1]);
  m.mean.resize(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    m.mean[ch] = static_cast<double>(m.counts[0]) / total * means[0][ch] +
                 static_cast<double>(m.counts[1]) / total * means[1][ch];
  }
  // C0 w = l (C0 + C1) w through the Cholesky factor of the sum:
  // M = L^-1 C0 L^-T is symmetric with the same eigenvalues; w = L^-T v.
  std::vector<double> lo(c * c, 0.0);
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      double s = covs[0][i * c + j] + covs[1][i * c + j];
      for (int64_t k = 0; k < j; ++k) s -= lo[i * c + k] * lo[j * c + k];
      if (i == j) {
        if (!(s > 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "CommonSpatialPattern: the covariance of the windows is singular (channel ",
              channel_names.empty() ? absl::StrCat(i) : channel_names[i],
              " is constant or a combination of others); drop it"));
        }
        lo[i * c + i] = std::sqrt(s);
      } else {
        lo[i * c + j] = s / lo[j * c + j];
      }
    }
  }
  // Y = L^-1 C0 (forward substitution by columns), then M = Y L^-T.
  std::vector<double> y(c * c), mm(c * c);
  for (int64_t col = 0; col < c; ++col) {
    for (int64_t i = 0; i < c; ++i) {
      double s = covs[0][i * c + col];
      for (int64_t k = 0; k < i; ++k) s -= lo[i * c + k] * y[k * c + col];
      y[i * c + col] = s / lo[i * c + i];
    }
  }
  for (int64_t row = 0; row < c; ++row) {
    for (int64_t j = 0; j < c; ++j) {
      double s = y[row * c + j];
      for (int64_t k = 0; k < j; ++k) s -= mm[row * c + k] * lo[j * c + k];
      mm[row * c + j] = s / lo[j * c + j];
    }
  }
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t j = i + 1; j < c; ++j) {
      const double avg = 0.5 * (mm[i * c + j] + mm[j * c + i]);
      mm[i * c + j] = mm[j * c + i] = avg;
    }
  }
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  SymmetricEigen(mm, c, &values, &vectors);
  struct Filter {
    double eigval;
    std::vector<double> w;
  };
  std::vector<Filter> kept;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0)) continue;
    // w = L^-T v (back substitution), unit norm.
    std::vector<double> w(c);
    for (int64_t r = c - 1; r >= 0; --r) {
      double s = vectors[i][r];
      for (int64_t k = r + 1; k < c; ++k) s -= lo[k * c + r] * w[k];
      w[r] = s / lo[r * c + r];
    }
    double norm = 0;
    for (double x : w) norm += x * x;
    norm = std::sqrt(norm);
    for (double& x : w) x /= norm;
    kept.push_back({values[i], std::move(w)});
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Filter& a, const Filter& b) {
    return std::fabs(a.eigval - 0.5) > std::fabs(b.eigval - 0.5);
  });
  for (Filter& f : kept) {
    m.eigvals.push_back(f.eigval);
    m.filters.push_back(std::move(f.w));
  }
  return m;
}

namespace {

JsonValue NumberList(const std::vector<double>& v) {
  JsonValue::List items;
  for (double x : v) items.push_back(JsonValue::Number(x));
  return JsonValue::MakeList(std::move(items));
}

absl::StatusOr<std::vector<double>> Numbers(const JsonValue* v, const std::string& field,
                                            size_t want) {
  if (v == nullptr || !v->is_list()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing (a list of numbers)"));
  }
  std::vector<double> out;
  for (const JsonValue& x : v->list()) {
    if (!x.is_number() || !std::isfinite(x.number_value())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": not a list of finite numbers"));
    }
    out.push_back(x.number_value());
  }
  if (want > 0 && out.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", out.size(), " values; expected ", want));
  }
  return out;
}

}  // namespace

JsonValue CspModelToJson(const CspModel& m) {
  JsonValue::Object o;
  JsonValue::List labels, channels, counts, filters;
  for (int64_t l : m.labels) labels.push_back(JsonValue::Number(static_cast<double>(l)));
  for (const auto& ch : m.channels) channels.push_back(JsonValue::String(ch));
  for (int64_t n : m.counts) counts.push_back(JsonValue::Number(static_cast<double>(n)));
  for (const auto& f : m.filters) filters.push_back(NumberList(f));
  o.emplace("labels", JsonValue::MakeList(std::move(labels)));
  o.emplace("channels", JsonValue::MakeList(std::move(channels)));
  o.emplace("counts", JsonValue::MakeList(std::move(counts)));
  o.emplace("mean", NumberList(m.mean));
  o.emplace("eigvals", NumberList(m.eigvals));
  o.emplace("weights", JsonValue::MakeList(std::move(filters)));
  return JsonValue::MakeObject(std::move(o));
}

absl::StatusOr<CspModel> CspModelFromJson(const JsonValue& v, const std::string& field,
                                          const std::vector<std::string>& channels) {
  if (!v.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not an object (a fitted model)"));
  }
  CspModel m;
  const size_t c = channels.size();
  if (const JsonValue* ch = v.Find("channels"); ch != nullptr && ch->is_list()) {
    for (const JsonValue& x : ch->list())
      m.channels.push_back(x.is_string() ? x.string_value() : "");
    if (m.channels != channels) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".channels: fitted on [", absl::StrJoin(m.channels, ", "),
                       "] but the windows have [", absl::StrJoin(channels, ", "), "]"));
    }
  }
  NF_ASSIGN_OR_RETURN(m.mean, Numbers(v.Find("mean"), field + ".mean", c));
  NF_ASSIGN_OR_RETURN(m.eigvals, Numbers(v.Find("eigvals"), field + ".eigvals", 0));
  const JsonValue* w = v.Find("weights");
  if (w == nullptr || !w->is_list() || w->list().size() != m.eigvals.size() || m.eigvals.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".weights: one filter (a list of ", c,
                                                   " numbers) per eigenvalue (", m.eigvals.size(),
                                                   ")"));
  }
  for (size_t j = 0; j < w->list().size(); ++j) {
    NF_ASSIGN_OR_RETURN(std::vector<double> f,
                        Numbers(&w->list()[j], absl::StrCat(field, ".weights[", j, "]"), c));
    m.filters.push_back(std::move(f));
  }
  return m;
}

namespace {

class CspLeaf final : public LeafKernel {
 public:
  CspLeaf(CspModel model, int64_t n) : model_(std::move(model)), n_(n) {
    for (size_t j = 0; j < model_.filters.size(); ++j) columns_.push_back(absl::StrCat(j));
  }
  void Compute(const NodeValue& in, EvalContext&, double* out) const override {
    const int64_t c = static_cast<int64_t>(model_.mean.size());
    std::vector<double> proj(static_cast<size_t>(n_));
    for (size_t j = 0; j < model_.filters.size(); ++j) {
      const std::vector<double>& w = model_.filters[j];
      std::fill(proj.begin(), proj.end(), 0.0);
      for (int64_t ch = 0; ch < c; ++ch) {
        const double* x = in.x.data() + ch * n_;
        for (int64_t t = 0; t < n_; ++t) proj[t] += (x[t] - model_.mean[ch]) * w[ch];
      }
      double mean = 0;
      for (double p : proj) mean += p;
      mean /= static_cast<double>(n_);
      double var = 0;
      for (double p : proj) var += (p - mean) * (p - mean);
      out[j] = var / static_cast<double>(n_);
    }
  }

 private:
  CspModel model_;
  int64_t n_;
};

}  // namespace

void RegisterCspFeatures(FeatureBank& bank) {
  FeatureDef def;
  def.fn = "CommonSpatialPattern";
  def.summary =
      "trainable: variance of the windows through the Common Spatial Pattern filters fitted by "
      "`neurofeat fit` (n_select, crit_select choose filters)";
  def.parents = SignalProducers();
  def.leaf = [](ParamReader& params, const NodeShape& parent,
                const SignalInfo&) -> absl::StatusOr<std::unique_ptr<LeafKernel>> {
    NF_ASSIGN_OR_RETURN(std::optional<int64_t> n_select, params.OptionalInt("n_select"));
    NF_ASSIGN_OR_RETURN(std::optional<double> crit_select, params.OptionalNumber("crit_select"));
    const JsonValue* fitted = params.Value("fitted");
    NF_RETURN_IF_ERROR(params.Finish());
    if (fitted == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(params.path(), ": CommonSpatialPattern is trainable and not fitted (no ",
                       params.Field("fitted"), "); run `neurofeat fit` on labelled windows first"));
    }
    NF_ASSIGN_OR_RETURN(CspModel m, CspModelFromJson(*fitted, params.Field("fitted"), parent.rows));
    std::vector<double> eig;
    std::vector<std::vector<double>> filters;
    for (size_t j = 0; j < m.filters.size(); ++j) {
      if (n_select.has_value() && *n_select > 0 && static_cast<int64_t>(j) >= *n_select) break;
      if (crit_select.has_value() && *crit_select != 0 &&
          !(0.5 - std::fabs(m.eigvals[j] - 0.5) < *crit_select)) {
        continue;
      }
      eig.push_back(m.eigvals[j]);
      filters.push_back(m.filters[j]);
    }
    if (filters.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          params.path(), ": n_select/crit_select leave no filter (of ", m.filters.size(), ")"));
    }
    m.eigvals = std::move(eig);
    m.filters = std::move(filters);
    return std::make_unique<CspLeaf>(std::move(m), parent.n);
  };
  bank.Add(std::move(def));
}

}  // namespace neurofeat
