#include "core/features/kernel_helpers.h"

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/checked_math.h"
#include "core/dsp/welch.h"
#include "core/features/feature_tree.h"
#include "core/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neurofeat {

PerRowLeaf::PerRowLeaf(const NodeShape& shape, std::vector<std::string> keys, RowFn fn,
                       bool integer_valued)
    : rows_(static_cast<int64_t>(shape.rows.size())),
      n_(shape.n),
      keys_(keys.empty() ? 1 : keys.size()),
      fn_(std::move(fn)) {
  integer_valued_ = integer_valued;
  if (keys.empty()) {
    columns_ = shape.rows;
  } else {
    for (const auto& k : keys) {
      for (const auto& r : shape.rows) columns_.push_back(absl::StrCat(k, "_", r));
    }
  }
}

RowView Row(const NodeValue& v, int64_t r, int64_t n) {
  RowView row;
  row.x = v.x.data() + r * n;
  row.x32 = v.x32.empty() ? nullptr : v.x32.data() + r * n;
  row.n = n;
  return row;
}

void PerRowLeaf::Compute(const NodeValue& in, EvalContext&, double* out) const {
  auto rows = [&](int64_t begin, int64_t end) {
    std::vector<double> per_key(keys_);
    for (int64_t r = begin; r < end; ++r) {
      fn_(Row(in, r, n_), per_key.data());
      for (size_t k = 0; k < keys_; ++k) out[k * rows_ + r] = per_key[k];
    }
  };
  // Long windows with many channels: channels in parallel too, so that a
  // recording cut into few windows still uses every core. Short windows are
  // left whole to one task; windows are already parallel.
  if (rows_ > 1 && rows_ * n_ >= kParallelRowSamples) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows_),
                      [&](const tbb::blocked_range<int64_t>& r) { rows(r.begin(), r.end()); });
  } else {
    rows(0, rows_);
  }
}

std::unique_ptr<LeafKernel> MakeRowLeaf(const NodeShape& shape,
                                        std::function<double(const RowView&)> fn,
                                        bool integer_valued) {
  return std::make_unique<PerRowLeaf>(
      shape, std::vector<std::string>{},
      [fn = std::move(fn)](const RowView& row, double* out) { out[0] = fn(row); }, integer_valued);
}

std::string PairName(const std::string& a, const std::string& b) {
  return absl::StrCat(a, "<>", b);
}

absl::StatusOr<std::vector<std::pair<int, int>>> ResolvePairs(
    const std::optional<std::vector<std::pair<std::string, std::string>>>& names,
    const std::vector<std::string>& rows, const std::string& field) {
  std::vector<std::pair<int, int>> pairs;
  const int n = static_cast<int>(rows.size());
  if (!names.has_value()) {
    const int64_t all = static_cast<int64_t>(n) * (n - 1) / 2;
    if (all > kMaxFeatureColumns) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", n, " channels make ", all,
                                                     " pairs, more than ", kMaxFeatureColumns,
                                                     "; list the pairs wanted"));
    }
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
    }
    if (pairs.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a channel-pair feature needs at least 2 channels, got ", n));
    }
    return pairs;
  }
  if (static_cast<int64_t>(names->size()) > kMaxFeatureColumns) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", names->size(), " pairs, more than ", kMaxFeatureColumns));
  }
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < n; ++i) index.emplace(rows[i], i);
  auto index_of = [&](const std::string& name) -> int {
    auto it = index.find(name);
    return it == index.end() ? -1 : it->second;
  };
  for (const auto& [a, b] : *names) {
    const int ia = index_of(a), ib = index_of(b);
    if (ia < 0 || ib < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": channel \"", ia < 0 ? a : b,
                                                     "\" is not among the ", n, " channels (",
                                                     rows.front(), " .. ", rows.back(), ")"));
    }
    if (ia == ib) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": pair [\"", a, "\", \"", b, "\"] pairs a channel with itself"));
    }
    pairs.emplace_back(ia, ib);
  }
  return pairs;
}

PairLeaf::PairLeaf(const NodeShape& shape, std::vector<std::pair<int, int>> pairs, PairFn fn)
    : n_(shape.n), pairs_(std::move(pairs)), fn_(std::move(fn)) {
  for (const auto& [a, b] : pairs_) columns_.push_back(PairName(shape.rows[a], shape.rows[b]));
}

void PairLeaf::Compute(const NodeValue& in, EvalContext&, double* out) const {
  for (size_t p = 0; p < pairs_.size(); ++p) {
    out[p] = fn_(Row(in, pairs_[p].first, n_), Row(in, pairs_[p].second, n_));
  }
}

double Mean(const double* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return s / static_cast<double>(n);
}

double Variance(const double* x, int64_t n, int ddof) {
  const double m = Mean(x, n);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += (x[i] - m) * (x[i] - m);
  return s / static_cast<double>(n - ddof);
}

std::pair<double, double> SlopeIntercept(const double* x, const double* y, int64_t n) {
  const double mx = Mean(x, n), my = Mean(y, n);
  double sxy = 0.0, sxx = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  const double a = sxy / sxx;
  return {a, my - a * mx};
}

absl::StatusOr<std::vector<int64_t>> BandBins(const Band& band, const std::vector<double>& freqs,
                                              const std::string& field) {
  if (freqs.empty() || band.lo < freqs.front() || band.hi > freqs.back()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": band \"", band.name, "\" [", band.lo, ", ", band.hi,
        ") Hz lies outside the available spectrum [", freqs.empty() ? 0.0 : freqs.front(), ", ",
        freqs.empty() ? 0.0 : freqs.back(), "] Hz"));
  }
  std::vector<int64_t> bins;
  for (int64_t k = 0; k < static_cast<int64_t>(freqs.size()); ++k) {
    if (freqs[k] >= band.lo && freqs[k] < band.hi) bins.push_back(k);
  }
  return bins;
}

absl::StatusOr<SpectralParams> ReadSpectralParams(ParamReader& params, const SignalInfo& info,
                                                  int64_t n_times) {
  SpectralParams p;
  NF_ASSIGN_OR_RETURN(std::optional<double> f_min, params.OptionalNumber("f_min"));
  NF_ASSIGN_OR_RETURN(std::optional<double> f_max, params.OptionalNumber("f_max"));
  NF_ASSIGN_OR_RETURN(std::optional<double> fs, params.OptionalNumber("fs"));
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> nperseg, params.OptionalInt("nperseg"));
  NF_ASSIGN_OR_RETURN(std::optional<int64_t> noverlap, params.OptionalInt("noverlap"));
  NF_ASSIGN_OR_RETURN(double window_s, params.Number("window_size_in_sec", 4.0));
  NF_ASSIGN_OR_RETURN(std::optional<double> overlap_s, params.OptionalNumber("overlap_in_sec"));
  p.fs = fs.value_or(info.fs);
  if (!(p.fs > 0) || !(p.fs <= kMaxSamplingRateHz)) {
    return absl::InvalidArgumentError(absl::StrCat(params.Field("fs"), ": must be in (0, ",
                                                   kMaxSamplingRateHz, "] Hz, got ", p.fs));
  }
  if (nperseg.has_value()) {
    p.nperseg = *nperseg;
    p.noverlap = noverlap.value_or(p.nperseg / 2);
  } else {
    if (!(window_s > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(params.Field("window_size_in_sec"), ": must be > 0, got ", window_s));
    }
    // EEGDash: int(window_size_in_sec * fs), truncating.
    NF_ASSIGN_OR_RETURN(p.nperseg,
                        DoubleToCount(window_s * p.fs, params.Field("window_size_in_sec")));
    if (noverlap.has_value()) {
      p.noverlap = *noverlap;
    } else {
      NF_ASSIGN_OR_RETURN(p.noverlap, DoubleToCount(overlap_s.value_or(window_s / 2) * p.fs,
                                                    params.Field("overlap_in_sec")));
    }
  }
  WelchSettings w{p.fs, p.nperseg, p.noverlap, nullptr};
  NF_RETURN_IF_ERROR(ValidateWelch(w, n_times, params.path()));
  // EEGDash's get_valid_freq_band: f_min >= 2 fs / n_times, f_max <= fs / 2.
  const double f0 = 2.0 * p.fs / static_cast<double>(n_times);
  const double nyquist = p.fs / 2.0;
  const std::optional<double> lo = f_min.has_value() ? f_min : info.highpass;
  const std::optional<double> hi = f_max.has_value() ? f_max : info.lowpass;
  p.f_min = lo.value_or(f0);
  p.f_max = hi.value_or(nyquist);
  if (p.f_min < f0) {
    return absl::InvalidArgumentError(
        absl::StrCat(params.Field("f_min"), ": ", p.f_min, " Hz",
                     f_min.has_value() ? "" : " (the recording's highpass)",
                     " is below the lowest resolvable frequency 2 * fs / n_times = ", f0, " Hz"));
  }
  if (p.f_max > nyquist) {
    return absl::InvalidArgumentError(
        absl::StrCat(params.Field("f_max"), ": ", p.f_max, " Hz",
                     f_max.has_value() ? "" : " (the recording's lowpass)", " is above Nyquist ",
                     nyquist, " Hz"));
  }
  if (p.f_min > p.f_max) {
    return absl::InvalidArgumentError(
        absl::StrCat(params.Field("f_min"), ": ", p.f_min, " Hz is above f_max ", p.f_max, " Hz"));
  }
  return p;
}

std::vector<int64_t> KeptBins(const SpectralParams& p, std::vector<double>* freqs) {
  const std::vector<double> all =
      WelchFrequencies(WelchSettings{p.fs, p.nperseg, p.noverlap, nullptr});
  std::vector<int64_t> kept;
  freqs->clear();
  for (int64_t k = 0; k < static_cast<int64_t>(all.size()); ++k) {
    if (all[k] >= p.f_min && all[k] <= p.f_max) {
      kept.push_back(k);
      freqs->push_back(all[k]);
    }
  }
  return kept;
}

// EEGDash's signal_zero_crossings: values within +-threshold are zeros; count
// entries into and out of the zero band plus sign changes of the rest.
double ZeroCrossings(const RowView& row, double threshold) {
  const int64_t n = row.n;
  auto is_zero = [&](int64_t i) {
    if (row.x32 != nullptr) {
      const float t = static_cast<float>(threshold);
      return row.x32[i] > -t && row.x32[i] < t;
    }
    return row.x[i] > -threshold && row.x[i] < threshold;
  };
  int64_t count = 0;
  for (int64_t i = 0; i + 1 < n; ++i) {
    const bool z0 = is_zero(i), z1 = is_zero(i + 1);
    if (z0 != z1) ++count;
    const bool s0 = z0 ? false : std::signbit(row.x[i]);
    const bool s1 = z1 ? false : std::signbit(row.x[i + 1]);
    if (s0 != s1) ++count;
  }
  return static_cast<double>(count);
}

absl::Status NeedSamples(const NodeShape& shape, int64_t min, const std::string& path,
                         const std::string& what) {
  if (shape.n < min) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, " needs at least ", min,
                                                   " samples per window, got ", shape.n));
  }
  return absl::OkStatus();
}

}  // namespace neurofeat
