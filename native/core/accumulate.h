// The estimator's streaming sums; mirrors lib/accumulate.ts (CrossSums, MomentSums).
//
// Every gradient-like estimate is (1/S) Σ_i (g_i − β_i) h_iᵀ for a per-sample output g_i (f_i, or ⟨v, f_i⟩)
// and a per-sample statistic h_i (the score s_i, s_iᵀL⁻¹t, or the scale statistic). A = Σ g hᵀ, a = Σ g and
// c = Σ h suffice for every covariate:
//   none: A / S      fx: (A − f(x) cᵀ) / S      loo: (A − a cᵀ / S) / (S − 1)
// All sums are double: the loo form cancels heavily at large S.
#pragma once
#include <cstdint>
#include <math.h>
#include "hd.h"

namespace ss {

enum Covariate : int { COVARIATE_NONE = 0, COVARIATE_FX = 1, COVARIATE_LOO = 2 };

// A += g hᵀ, a += g, c += h for one sample; zero entries of g (0/1 outputs) skip their row of A.
template <typename G>
SS_HD void cross_add(double* A, double* a, double* c, uint32_t p, uint32_t q, const G* g, const double* h) {
  for (uint32_t k = 0; k < q; k++) c[k] += h[k];
  for (uint32_t r = 0; r < p; r++) {
    const double gr = static_cast<double>(g[r]);
    a[r] += gr;
    if (gr == 0.0) continue;
    double* row = A + static_cast<size_t>(r) * q;
    for (uint32_t k = 0; k < q; k++) row[k] += gr * h[k];
  }
}

// Merge partial sums (same layout) into a running total, in the caller's fixed order.
SS_HD void cross_merge(double* A, double* a, double* c, uint32_t p, uint32_t q, const double* A2, const double* a2, const double* c2) {
  const size_t pq = static_cast<size_t>(p) * q;
  for (size_t k = 0; k < pq; k++) A[k] += A2[k];
  for (uint32_t r = 0; r < p; r++) a[r] += a2[r];
  for (uint32_t k = 0; k < q; k++) c[k] += c2[k];
}

// The covariate-corrected mean (1/S) Σ (g − β) hᵀ, p×q row-major. fx: the baseline g(x) (p values) or null.
SS_HD void cross_finish(int covariate, const double* A, const double* a, const double* c, double S, const double* fx, uint32_t p, uint32_t q, double* out) {
  for (uint32_t r = 0; r < p; r++) {
    for (uint32_t k = 0; k < q; k++) {
      const size_t i = static_cast<size_t>(r) * q + k;
      if (covariate == COVARIATE_NONE) out[i] = A[i] / S;
      else if (covariate == COVARIATE_FX) out[i] = (A[i] - fx[r] * c[k]) / S;
      else out[i] = (A[i] - (a[r] * c[k]) / S) / (S - 1);
    }
  }
}

// Output moments shifted by one sample's output K (removes the cancellation of Σf² − S f̄²).
template <typename F>
SS_HD void moments_add(double* sum, double* sum_sq, const double* shift, uint32_t m, const F* f) {
  for (uint32_t k = 0; k < m; k++) {
    const double d = static_cast<double>(f[k]) - shift[k];
    sum[k] += d;
    sum_sq[k] += d * d;
  }
}

// value = f̄, stderr = sqrt(sample variance / S) (the i.i.d. formula).
SS_HD void moments_finish(const double* sum, const double* sum_sq, const double* shift, double S, uint32_t m, float* value, float* stderr_out) {
  for (uint32_t k = 0; k < m; k++) {
    const double mean_shifted = sum[k] / S;
    value[k] = static_cast<float>(shift[k] + mean_shifted);
    double variance = S > 1 ? (sum_sq[k] - S * mean_shifted * mean_shifted) / (S - 1) : 0.0;
    if (!(variance > 0)) variance = 0;
    stderr_out[k] = static_cast<float>(sqrt(variance / S));
  }
}

}  // namespace ss
