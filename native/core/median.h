// Median-of-k noise (docs/method.md, "Median-of-k noise"): the distribution of the median of k = 2r + 1
// independent draws of one of the six base distributions. Its density is μ_k(ε) = k!/(r!)² F^r (1 − F)^r μ(ε),
// its score (the library's convention s = −(log μ)') is s_k = s − r μ/F + r μ/(1 − F), and it is sampled from the
// sampler's u as t = B⁻¹(u), ε = F⁻¹(t), B the Beta(r + 1, r + 1) CDF, so the QMC structure of u carries over.
// Mirrors lib/median.ts function by function, with the same operations in the same order.
//
// Conventions:
// - B is symmetric (B(1 − t) = 1 − B(t)), so B⁻¹ is only ever solved on the lower half: m = min(u, 1 − u) ≤ ½
//   gives tl = B⁻¹(m) ≤ ½, and t = tl or 1 − tl. Every later step works from tl (never from 1 − tl, which loses the
//   digits of a small tl): symmetric distributions evaluate on the lower half and negate, Gumbel takes log t as
//   log1p(−tl) on the upper half. Antithetic pairs u, 1 − u then give exactly opposite noise and scores.
// - B and B' are sums and products only; the inversion is a safeguarded Newton iteration with a fixed rule (the
//   same steps in TS and C++). Its start and steps use exp/log, whose last bit is the math library's, so js and
//   native may end an ulp or so apart: within the parity tolerance, as for the plain F⁻¹.
// - r = 0 (k = 1) is never routed here by the engines: plain noise stays bit-identical (noise_from_u).
#ifndef SS_CORE_MEDIAN_H
#define SS_CORE_MEDIAN_H

#include "distributions.h"
#include "hd.h"

namespace ss {

/** The largest k accepted (README "Median-of-k noise"; lib/median.ts MAX_MEDIAN_OF). */
constexpr int MAX_MEDIAN_OF = 99;

/** C(2r + 1, r), deterministically in double (exact up to r = 26; the same roundings in TS above). */
SS_HD double median_binomial(int r) {
  const int k = 2 * r + 1;
  double c = 1;
  for (int i = 1; i <= r; i++) c = (c * (k - r + i)) / i;
  return c;
}

/** (t(1 − t))^r by repeated multiplication (no pow: its last bit is libm's). */
SS_HD double median_power(int r, double t) {
  const double ts = t * (1 - t);
  double p = 1;
  for (int i = 0; i < r; i++) p *= ts;
  return p;
}

/**
 * B(t) for 0 ≤ t ≤ ½: Σ_{j=r+1}^{k} C(k, j) t^j (1 − t)^{k−j}, summed from j = r + 1 on. Every term is positive
 * and each is at most the previous one (t/(1 − t) ≤ 1, (k − j)/(j + 1) < 1), so there is no cancellation.
 */
SS_HD double median_beta_cdf_lower(int r, double t) {
  const int k = 2 * r + 1;
  const double s = 1 - t;
  double term = median_binomial(r) * t * median_power(r, t);  // C(k, r + 1) = C(k, r)
  double sum = term;
  for (int j = r + 1; j < k; j++) {
    term = (term * (k - j) * t) / ((j + 1) * s);
    sum += term;
  }
  return sum;
}

/** B'(t) = k!/(r!)² (t(1 − t))^r = (r + 1)·C(k, r)·(t(1 − t))^r: the Beta(r + 1, r + 1) density. */
SS_HD double median_beta_density(int r, double t) { return (r + 1) * median_binomial(r) * median_power(r, t); }

/**
 * B⁻¹(m) for 0 < m ≤ ½ (result in (0, ½]). Start: the larger of the small-t form (m / C(k, r + 1))^{1/(r+1)} and
 * the normal approximation ½ + Φ⁻¹(m)/(2√(k + 2)) (Beta(r+1, r+1) has variance 1/(4(k + 2))), kept inside (0, ½).
 * Then Newton steps on log B(t) = log m in the variable log t, inside a bracket [lo, hi] that every evaluation
 * narrows; a step that leaves the bracket (or is NaN, B having underflowed) is replaced by its midpoint. It stops when an iterate repeats (converged to the last bit) or after 64 steps.
 */
SS_HD double median_t_lower(int r, double m) {
  if (!(m < 0.5)) return m == 0.5 ? 0.5 : NAN;  // B(½) = ½ exactly; NaN propagates
  const int k = 2 * r + 1;
  const double power_start = ::exp(::log(m / median_binomial(r)) / (r + 1));
  const double normal_start = 0.5 + normal_icdf(m) / (2 * ::sqrt(static_cast<double>(k + 2)));
  double t = power_start > normal_start ? power_start : normal_start;
  if (!(t > 0 && t < 0.5)) t = 0.25;
  double lo = 0, hi = 0.5;
  for (int it = 0; it < 64; it++) {
    const double b = median_beta_cdf_lower(r, t);
    const double f = b - m;
    if (f == 0) break;
    if (f > 0) hi = t;
    else lo = t;
    // Newton on log B against log t: B grows like t^{r+1} near 0, so this is close to linear and converges from
    // far away in a few steps, where a step on B itself crawls (it shrinks t by r/(r + 1) per step from above).
    double next = t * ::exp(-(::log(b / m) * b) / (median_beta_density(r, t) * t));
    if (next == t) break;  // converged; tested before the bracket, which t itself bounds on one side
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next == t) break;
    t = next;
  }
  return t;
}

/**
 * ε and s_k for median-of-(2r + 1) noise of `dist` from a clipped u (uc in [U_CLIP, 1 − U_CLIP]), r ≥ 1.
 * The score term: with F = t and 1 − F written through tl (F = tl, 1 − F = 1 − tl below ½; the reverse above),
 * −r μ/F + r μ/(1 − F) = ∓ r μ (1 − 2tl) / (tl (1 − tl)) (− on the lower half, + on the upper).
 */
SS_HD void median_noise(int dist, int r, double uc, double* eps, double* score) {
  const bool upper = uc > 0.5;
  const double m = upper ? 1 - uc : uc;
  const double tl = median_t_lower(r, m);
  const double d = (1 - 2 * tl) / (tl * (1 - tl));  // 2tl is exact; 1 − 2tl exact for tl ≥ ¼
  if (dist == DIST_GUMBEL) {
    // Not symmetric: t itself is needed. log t from tl on both halves (log1p(−tl) keeps a small tl's digits).
    const double log_t = upper ? ::log1p(-tl) : ::log(tl);
    const double t = upper ? 1 - tl : tl;
    const double dens = -log_t * t;  // μ(F⁻¹(t)) = e^{−ε} exp(−e^{−ε}) with e^{−ε} = −log t
    *eps = -::log(-log_t);
    const double plain = 1 + log_t;  // gumbel_score_from_u
    *score = upper ? plain + r * dens * d : plain - r * dens * d;
    return;
  }
  // Symmetric: the lower half at tl (≤ ½, never clipped again: tl ≥ B⁻¹(U_CLIP) > U_CLIP), negated above ½.
  const double e_lower = icdf(dist, tl);
  const double dens = pdf(dist, e_lower);
  const double s_lower = score_from_u(dist, tl) - r * dens * d;
  *eps = upper ? -e_lower : e_lower;
  *score = upper ? -s_lower : s_lower;
}

/**
 * The noise every engine draws: ε = F⁻¹(uc) and its score for plain noise (median_of = 1: the plain functions,
 * unchanged bit for bit), median-of-k noise otherwise. uc is already clipped (clip_u).
 */
SS_HD void noise_from_u(int dist, int median_of, double uc, double* eps, double* score) {
  if (median_of <= 1) {
    *eps = icdf(dist, uc);
    *score = score_from_u(dist, uc);
    return;
  }
  median_noise(dist, (median_of - 1) / 2, uc, eps, score);
}

}  // namespace ss

#endif  // SS_CORE_MEDIAN_H
