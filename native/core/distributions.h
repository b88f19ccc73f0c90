// The six noise distributions of docs/method.md §2 (location 0, scale 1) and the standard normal Φ / Φ⁻¹ they need.
// Mirrors lib/distributions.ts function by function, with the same operations in the same order, so results
// agree with the TS to libm accuracy (~1e-16 relative). Conventions (as in the TS):
// - icdf and score_from_u clip u to [U_CLIP, 1 − U_CLIP] first, so u = 0 or 1 (the Sobol origin) still give
//   finite noise and scores.
// - Symmetric distributions evaluate the lower half on m = min(u, 1 − u) and negate for the upper half. 1 − u is
//   exact for u ≥ ½ (Sterbenz), so icdf(1 − u) == −icdf(u) bit for bit whenever 1 − u is exact: antithetic pairs
//   give exactly opposite noise and scores.
// - pdf / cdf never return NaN for ±Infinity or huge |e|.
#ifndef SS_CORE_DISTRIBUTIONS_H
#define SS_CORE_DISTRIBUTIONS_H

#include "hd.h"

namespace ss {

/** The distributions, in the order of DISTRIBUTION_NAMES in lib/distributions.ts. */
enum DistributionKind : int {
  DIST_GAUSSIAN = 0,    // 'gaussian'
  DIST_LOGISTIC = 1,    // 'logistic'
  DIST_GUMBEL = 2,      // 'gumbel' (maximum convention, not symmetric)
  DIST_CAUCHY = 3,      // 'cauchy'
  DIST_LAPLACE = 4,     // 'laplace'
  DIST_TRIANGULAR = 5,  // 'triangular' (on [−1, 1])
};
constexpr int DISTRIBUTION_COUNT = 6;

/** Whether the distribution is symmetric around 0 (the `symmetric` flag in TS): all but Gumbel. */
SS_HD bool distribution_symmetric(int dist) { return dist != DIST_GUMBEL; }

/**
 * u is clipped to [U_CLIP, 1 − U_CLIP] (U_CLIP in TS). 2⁻³³ is half the spacing of 32-bit uniforms, so it never
 * moves a u = (k + ½)·2⁻³² built from 32 random bits, yet keeps F⁻¹(0) and F⁻¹(1) finite.
 */
constexpr double U_CLIP = 1.0 / 8589934592.0;  // 2^-33
constexpr double U_CLIP_HI = 1.0 - U_CLIP;     // exact in double

/** Math.PI. */
constexpr double SS_PI = 3.141592653589793;
/** 1/√(2π) (INV_SQRT_2PI). */
constexpr double INV_SQRT_2PI = 0.398942280401432677939946059934;

/** clipU: NaN falls through unchanged (both comparisons are false). */
SS_HD double clip_u(double u) { return u < U_CLIP ? U_CLIP : u > U_CLIP_HI ? U_CLIP_HI : u; }

// ---------------------------------------------------------------------------------------------
// Standard normal

/**
 * exp(−y²/2) for y ≥ 0 without the error of rounding y² first (expMinusHalfSquare): split y = hi + lo with
 * hi = trunc(16y)/16, so hi² is exact and y² = hi² + (y − hi)(y + hi).
 */
SS_HD double exp_minus_half_square(double y) {
  if (y > 40) return 0.0;  // exp(−800) underflows anyway; also keeps y = ∞ away from ∞ − ∞
  const double hi = ::trunc(y * 16) / 16;
  const double del = (y - hi) * (y + hi);
  return ::exp(-0.5 * hi * hi) * ::exp(-0.5 * del);
}

/**
 * Φ(x) (normalCdf). Rational Chebyshev approximations of W. J. Cody, ALGORITHM 715 (SPECFUN), function ANORM,
 * ACM TOMS 19 (1993) 22-32 (from Cody, Math. Comp. 23 (1969) 631-637); Cody's published coefficients. Working
 * directly in x (not erfc(x/√2)) avoids the rounding of x/√2, which costs ~x²·ulp deep in the tail.
 */
SS_HD double normal_cdf(double x) {
  const double y = ::fabs(x);
  if (y <= 0.66291) {
    // Φ(x) = ½ + x·R(x²); no cancellation because |x·R| < 0.25.
    const double s = x * x;
    const double num = (((0.065682337918207449113 * s + 2.2352520354606839287) * s + 161.02823106855587881) * s
      + 1067.6894854603709582) * s + 18154.981253343561249;
    const double den = (((s + 47.20258190468824187) * s + 976.09855173777669322) * s
      + 10260.932208618978205) * s + 45507.789335026729956;
    return 0.5 + (x * num) / den;
  }
  double tail;  // Φ(−y), with full relative accuracy
  if (y <= 5.656854248) {
    const double num = (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y + 8.8831497943883759412) * y
      + 93.506656132177855979) * y + 597.27027639480026226) * y + 2494.5375852903726711) * y
      + 6848.1904505362823326) * y + 11602.651437647350124) * y + 9842.7148383839780218;
    const double den = (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y + 1519.377599407554805) * y
      + 6485.558298266760755) * y + 18615.571640885098091) * y + 34900.952721145977266) * y
      + 38912.003286093271411) * y + 19685.429676859990727;
    tail = exp_minus_half_square(y) * (num / den);
  } else {
    // Asymptotic form: Φ(−y) = φ(y)/y · (1 − z·R(z)·√(2π)), z = 1/y². z = 0 for y = ∞.
    const double z = 1 / (y * y);
    const double num = ((((0.02307344176494017303 * z + 0.21589853405795699) * z + 0.1274011611602473639) * z
      + 0.022235277870649807) * z + 0.001421619193227893466) * z + 2.9112874951168792e-5;
    const double den = ((((z + 1.28426009614491121) * z + 0.468238212480865118) * z + 0.0659881378689285515) * z
      + 0.00378239633202758244) * z + 7.29751555083966205e-5;
    tail = (exp_minus_half_square(y) * (INV_SQRT_2PI - (z * num) / den)) / y;
  }
  return x < 0 ? tail : 1 - tail;
}

/**
 * Φ⁻¹(m) for 0 < m ≤ ½ (result ≤ 0) (normalIcdfLower). M. J. Wichura, Algorithm AS 241 (PPND16), Applied
 * Statistics 37 (1988) 477-484; coefficients as published there.
 */
SS_HD double normal_icdf_lower(double m) {
  const double q = m - 0.5;
  if (q >= -0.425) {
    const double r = 0.180625 - q * q;
    const double num = ((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
      + 133.14166789178437745) * r + 3.387132872796366608;
    const double den = ((((((5226.495278852854561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
      + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
      + 42.313330701600911252) * r + 1;
    return (q * num) / den;
  }
  double r = ::sqrt(-::log(m));
  double num;
  double den;
  if (r <= 5) {
    r -= 1.6;
    num = ((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
      + 4.6303378461565452959) * r + 1.42343711074968357734;
    den = ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
      + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
      + 2.05319162663775882187) * r + 1;
  } else {
    r -= 5;
    num = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
      + 5.4637849111641143699) * r + 6.6579046435011037772;
    den = ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
      + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
      + 0.59983220655588793769) * r + 1;
  }
  return -num / den;
}

/** Φ⁻¹(u) (normalIcdf). Not clipped: Φ⁻¹(0) = −∞, Φ⁻¹(1) = +∞, NaN outside [0, 1]. Exactly odd around ½. */
SS_HD double normal_icdf(double u) {
  if (!(u > 0 && u < 1)) return u == 0 ? -HUGE_VAL : u == 1 ? HUGE_VAL : NAN;
  const double lower = normal_icdf_lower(u < 0.5 ? u : 1 - u);
  return u > 0.5 ? -lower : lower;
}

SS_HD double gaussian_pdf(double e) { return INV_SQRT_2PI * exp_minus_half_square(::fabs(e)); }
SS_HD double gaussian_score(double e) { return e; }
/** gaussianIcdf; also the Gaussian scoreFromU (the score of N(0,1) is ε itself). */
SS_HD double gaussian_icdf(double u) { return normal_icdf(clip_u(u)); }

// ---------------------------------------------------------------------------------------------
// Logistic

SS_HD double logistic_pdf(double e) {
  const double t = ::exp(-::fabs(e));  // in [0, 1]: no overflow for any e
  return t / ((1 + t) * (1 + t));
}
SS_HD double logistic_cdf(double e) {
  if (e >= 0) return 1 / (1 + ::exp(-e));
  const double t = ::exp(e);
  return t / (1 + t);
}
SS_HD double logistic_score(double e) { return ::tanh(0.5 * e); }
// The lower half (m = min(c, 1 − c) ≤ ½) of the logistic F⁻¹ and score, in named pieces: log(m/(1−m)) in the tail,
// and near ½ 2·atanh(2m − 1) (2m − 1 is exact there) to keep relative accuracy. The CPU engine's column kernels
// (native/cpu/noise_simd.h, logistic_column and gumbel_column) use these formulas with the log family of
// native/cpu/fdlibm_log.h in vector lanes; here the C library's log serves CUDA and the per-sample paths.
SS_HD bool logistic_in_tail(double m) { return m < 0.25; }
SS_HD double logistic_lower_tail(double m) { return ::log(m / (1 - m)); }
SS_HD double logistic_lower_center(double m) { return 2 * ::atanh(2 * m - 1); }
SS_HD double logistic_score_lower(double m) { return 2 * m - 1; }
SS_HD double logistic_icdf(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  const double lower = logistic_in_tail(m) ? logistic_lower_tail(m) : logistic_lower_center(m);
  return c > 0.5 ? -lower : lower;
}
SS_HD double logistic_score_from_u(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  const double lower = logistic_score_lower(m);
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Gumbel (maximum convention, mean ≈ 0.5772; not symmetric)

SS_HD double gumbel_pdf(double e) {
  const double t = ::exp(-e);
  return t == HUGE_VAL ? 0.0 : t * ::exp(-t);  // e → −∞: ∞·0 would be NaN
}
SS_HD double gumbel_cdf(double e) { return ::exp(-::exp(-e)); }
SS_HD double gumbel_score(double e) { return -::expm1(-e); }  // 1 − e^{−e}, accurate near e = 0
/** log(u) for clipped u (gumbelLogU); above ½ via log1p(u − 1) (u − 1 exact there) so the upper tail keeps precision. */
SS_HD double gumbel_log_u(double c) { return c > 0.5 ? ::log1p(c - 1) : ::log(c); }
SS_HD double gumbel_icdf(double u) { return -::log(-gumbel_log_u(clip_u(u))); }
SS_HD double gumbel_score_from_u(double u) { return 1 + gumbel_log_u(clip_u(u)); }

// ---------------------------------------------------------------------------------------------
// Cauchy

SS_HD double cauchy_pdf(double e) {
  const double a = ::fabs(e);
  if (a <= 1) return 1 / (SS_PI * (1 + a * a));
  const double t = 1 / a;  // a² would overflow for a > 1e154; t = 0 for a = ∞
  return (t * t) / (SS_PI * (1 + t * t));
}
SS_HD double cauchy_cdf(double e) {
  // atan2(1, −e)/π = atan(−1/e)/π: full relative accuracy in the lower tail, no ½ + (−½ + δ).
  return e < 0 ? ::atan2(1.0, -e) / SS_PI : 1 - ::atan2(1.0, e) / SS_PI;
}
SS_HD double cauchy_score(double e) {
  const double a = ::fabs(e);
  return a <= 1 ? (2 * e) / (1 + e * e) : 2 / (e + 1 / e);  // second form cannot overflow
}
SS_HD double cauchy_icdf(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  // tan(π(m − ½)) = −1/tan(πm). Near ½ the first form (m − ½ exact, so icdf(½) = 0 exactly); in the tail the
  // second (πm is accurate, π(m − ½) would lose the digits of m).
  const double lower = m < 0.25 ? -1 / ::tan(SS_PI * m) : ::tan(SS_PI * (m - 0.5));
  return c > 0.5 ? -lower : lower;
}
SS_HD double cauchy_score_from_u(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  // −sin(2πm) = sin(π(2m − 1)); the second form is exact-argument near ½ and gives +0 at ½.
  const double lower = m < 0.25 ? -::sin(2 * SS_PI * m) : ::sin(SS_PI * (2 * m - 1));
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Laplace (kink at 0: score 0 there, paper Lemma 3)

SS_HD double laplace_pdf(double e) { return 0.5 * ::exp(-::fabs(e)); }
SS_HD double laplace_cdf(double e) { return e < 0 ? 0.5 * ::exp(e) : 1 - 0.5 * ::exp(-e); }
/** sign(x) with sign(0) = 0 and NaN kept (signOrZero). */
SS_HD double sign_or_zero(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; }
SS_HD double laplace_score(double e) { return sign_or_zero(e); }
SS_HD double laplace_icdf(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  const double lower = ::log(2 * m);  // 2m is exact, so this is accurate at both ends of (0, ½]
  return c > 0.5 ? -lower : lower;
}
SS_HD double laplace_score_from_u(double u) { return sign_or_zero(clip_u(u) - 0.5); }  // c − ½ exact, 0 only at ½

// ---------------------------------------------------------------------------------------------
// Triangular on [−1, 1] (kinks at 0 and ±1: score 0 there and outside the support)

SS_HD double triangular_pdf(double e) {
  const double t = 1 - ::fabs(e);
  return t < 0 ? 0.0 : t;  // Math.max(0, t): NaN propagates (t < 0 is false), and t is never −0
}
SS_HD double triangular_cdf(double e) {
  if (e >= 1) return 1;
  if (e <= -1) return 0;
  if (e < 0) return 0.5 * (1 + e) * (1 + e);
  return 1 - 0.5 * (1 - e) * (1 - e);  // NaN propagates
}
SS_HD double triangular_score(double e) {
  const double a = ::fabs(e);
  if (a >= 1) return 0;
  return sign_or_zero(e) / (1 - a);
}
SS_HD double triangular_icdf(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  // √(2m) − 1 rewritten without cancellation near m = ½ (2m − 1 is exact there).
  const double lower = (2 * m - 1) / (1 + ::sqrt(2 * m));
  return c > 0.5 ? -lower : lower;
}
SS_HD double triangular_score_from_u(double u) {
  const double c = clip_u(u);
  if (c == 0.5) return 0;  // the kink at ε = 0
  const double m = c < 0.5 ? c : 1 - c;
  const double lower = -1 / ::sqrt(2 * m);
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Dispatch by DistributionKind (the `distributions` registry in TS). An unknown kind gives NaN.

/** F⁻¹(u) after clipping u (distributions[name].icdf). */
SS_HD double icdf(int dist, double u) {
  switch (dist) {
    case DIST_GAUSSIAN: return gaussian_icdf(u);
    case DIST_LOGISTIC: return logistic_icdf(u);
    case DIST_GUMBEL: return gumbel_icdf(u);
    case DIST_CAUCHY: return cauchy_icdf(u);
    case DIST_LAPLACE: return laplace_icdf(u);
    case DIST_TRIANGULAR: return triangular_icdf(u);
    default: return NAN;
  }
}

/** The score −(log p)'(F⁻¹(u)) computed from u directly, after clipping (distributions[name].scoreFromU). */
SS_HD double score_from_u(int dist, double u) {
  switch (dist) {
    case DIST_GAUSSIAN: return gaussian_icdf(u);
    case DIST_LOGISTIC: return logistic_score_from_u(u);
    case DIST_GUMBEL: return gumbel_score_from_u(u);
    case DIST_CAUCHY: return cauchy_score_from_u(u);
    case DIST_LAPLACE: return laplace_score_from_u(u);
    case DIST_TRIANGULAR: return triangular_score_from_u(u);
    default: return NAN;
  }
}

/** Density p(e) (distributions[name].pdf). */
SS_HD double pdf(int dist, double e) {
  switch (dist) {
    case DIST_GAUSSIAN: return gaussian_pdf(e);
    case DIST_LOGISTIC: return logistic_pdf(e);
    case DIST_GUMBEL: return gumbel_pdf(e);
    case DIST_CAUCHY: return cauchy_pdf(e);
    case DIST_LAPLACE: return laplace_pdf(e);
    case DIST_TRIANGULAR: return triangular_pdf(e);
    default: return NAN;
  }
}

/** Distribution function F(e) (distributions[name].cdf). */
SS_HD double cdf(int dist, double e) {
  switch (dist) {
    case DIST_GAUSSIAN: return normal_cdf(e);
    case DIST_LOGISTIC: return logistic_cdf(e);
    case DIST_GUMBEL: return gumbel_cdf(e);
    case DIST_CAUCHY: return cauchy_cdf(e);
    case DIST_LAPLACE: return laplace_cdf(e);
    case DIST_TRIANGULAR: return triangular_cdf(e);
    default: return NAN;
  }
}

/** Score −(log p)'(e) (distributions[name].score). */
SS_HD double score(int dist, double e) {
  switch (dist) {
    case DIST_GAUSSIAN: return gaussian_score(e);
    case DIST_LOGISTIC: return logistic_score(e);
    case DIST_GUMBEL: return gumbel_score(e);
    case DIST_CAUCHY: return cauchy_score(e);
    case DIST_LAPLACE: return laplace_score(e);
    case DIST_TRIANGULAR: return triangular_score(e);
    default: return NAN;
  }
}

}  // namespace ss

#endif  // SS_CORE_DISTRIBUTIONS_H
