#include "core/features/entropy_counts.h"

#include <cmath>

namespace neurofeat {

void CountNeighbours(const double* x, int64_t n, int64_t m, double r, int64_t l,
                     std::vector<int32_t>* counts_m, std::vector<int32_t>* counts_mp1) {
  const int64_t n_m = (n - m + 1) / l;
  const int64_t n_mp1 = (n - m) / l;
  // Column k of the embedding, contiguous, so the inner loop over j is a
  // plain vectorisable sweep.
  std::vector<std::vector<double>> cols(m + 1, std::vector<double>(n_m));
  for (int64_t k = 0; k <= m; ++k) {
    for (int64_t i = 0; i < n_m; ++i) {
      const int64_t idx = i * l + k;
      cols[k][i] = idx < n ? x[idx] : 0.0;
    }
  }
  counts_m->assign(n_m, 1);
  counts_mp1->assign(n_mp1, 1);
  std::vector<double> dist(n_m);
  for (int64_t i = 0; i < n_m; ++i) {
    const int64_t start = i + 1;
    if (start >= n_m) break;
    double* d = dist.data();
    {
      const double xi = cols[0][i];
      const double* c = cols[0].data();
      for (int64_t j = start; j < n_m; ++j) d[j] = std::fabs(xi - c[j]);
    }
    for (int64_t k = 1; k < m; ++k) {
      const double xi = cols[k][i];
      const double* c = cols[k].data();
      for (int64_t j = start; j < n_m; ++j) d[j] = std::fmax(d[j], std::fabs(xi - c[j]));
    }
    int32_t* cm = counts_m->data();
    int32_t own = 0;
    for (int64_t j = start; j < n_m; ++j) {
      const int32_t hit = d[j] <= r ? 1 : 0;
      cm[j] += hit;
      own += hit;
    }
    cm[i] += own;
    if (i < n_mp1) {
      const double xi = cols[m][i];
      const double* c = cols[m].data();
      int32_t* cp = counts_mp1->data();
      int32_t own_p = 0;
      for (int64_t j = start; j < n_mp1; ++j) {
        const int32_t hit = std::fmax(d[j], std::fabs(xi - c[j])) <= r ? 1 : 0;
        cp[j] += hit;
        own_p += hit;
      }
      cp[i] += own_p;
    }
  }
}

double SampleEntropy(const std::vector<int32_t>& counts_m, const std::vector<int32_t>& counts_mp1) {
  double a = 0.0, b = 0.0;
  for (int32_t c : counts_mp1) a += c - 1;
  for (int32_t c : counts_m) b += c - 1;
  return -std::log(a / b);
}

double ApproximateEntropy(const std::vector<int32_t>& counts_m,
                          const std::vector<int32_t>& counts_mp1) {
  auto phi = [](const std::vector<int32_t>& c) {
    const double n = static_cast<double>(c.size());
    double s = 0.0;
    for (int32_t v : c) s += std::log(v / n);
    return s / n;
  };
  return phi(counts_m) - phi(counts_mp1);
}

}  // namespace neurofeat
