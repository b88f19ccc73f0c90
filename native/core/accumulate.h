// The estimator's streaming sums; mirrors lib/accumulate.ts (CrossSums, MomentSums, SquareSums).
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

// The standard error of an estimate (1/S) Σ (g − β) wᵀ element by element, from the same samples; mirrors
// lib/accumulate.ts SquareSums (docs/method.md §3, "Standard errors"), operation for operation, so that the
// native engines and the js engine agree to rounding. w is the per-sample statistic after the estimate's final
// linear map; the caller keeps the cross sums A, a, c of w (cross_add) next to Q = Σ g² w², P = Σ g w² (p×q)
// and R = Σ w² (q). β (f(x) for fx, ḡ for loo) is treated as fixed: the loo correction to the variance is O(1/S²).

// Q += g² w², P += g w², R += w² for one sample; zero entries of g skip their row (as cross_add).
template <typename G>
SS_HD void square_add(double* Q, double* P, double* R, uint32_t p, uint32_t q, const G* g, const double* w) {
  for (uint32_t k = 0; k < q; k++) R[k] += w[k] * w[k];
  for (uint32_t r = 0; r < p; r++) {
    const double gr = static_cast<double>(g[r]);
    if (gr == 0.0) continue;
    double* Qr = Q + static_cast<size_t>(r) * q;
    double* Pr = P + static_cast<size_t>(r) * q;
    for (uint32_t k = 0; k < q; k++) {
      const double w2 = w[k] * w[k];
      Pr[k] += gr * w2;
      Qr[k] += gr * gr * w2;
    }
  }
}

// Merge partial second-moment sums (same layout) into a running total, in the caller's fixed order.
SS_HD void square_merge(double* Q, double* P, double* R, uint32_t p, uint32_t q, const double* Q2, const double* P2, const double* R2) {
  const size_t pq = static_cast<size_t>(p) * q;
  for (size_t k = 0; k < pq; k++) Q[k] += Q2[k];
  for (size_t k = 0; k < pq; k++) P[k] += P2[k];
  for (uint32_t k = 0; k < q; k++) R[k] += R2[k];
}

// √(Var/S) per element, p×q row-major, with Var = (Σ (g − β)² w² − S·mean²)/(S − 1) and mean = (A − β c)/S;
// loo carries the estimate's factor S/(S − 1). A, a, c: the cross sums of w. fx: the baseline (p values) or null.
SS_HD void square_finish(int covariate, const double* A, const double* a, const double* c, const double* Q, const double* P, const double* R,
                         double S, const double* fx, uint32_t p, uint32_t q, float* out) {
  const double factor = covariate == COVARIATE_LOO ? S / (S - 1) : 1;
  for (uint32_t r = 0; r < p; r++) {
    const double beta = covariate == COVARIATE_NONE ? 0 : covariate == COVARIATE_FX ? fx[r] : a[r] / S;
    for (uint32_t k = 0; k < q; k++) {
      const size_t i = static_cast<size_t>(r) * q + k;
      const double mean = (A[i] - beta * c[k]) / S;
      const double second = Q[i] - 2 * beta * P[i] + beta * beta * R[k];
      double variance = S > 1 ? (second - S * mean * mean) / (S - 1) : 0.0;
      if (!(variance > 0)) variance = 0;
      out[i] = static_cast<float>(factor * sqrt(variance / S));
    }
  }
}

}  // namespace ss
