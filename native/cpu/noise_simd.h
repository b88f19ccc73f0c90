// F⁻¹ and scores of one column of a noise block, W rows per vector (GCC vector extensions; W = 4 for AVX2,
// 8 for AVX-512). Each kernel performs the operations of its scalar reference in distributions.h in the same
// order on the same operands: IEEE +, −, ×, ÷ and √ round identically in a vector lane, there is no FMA
// (-ffp-contract=off), and selects replace branches, so every value is the scalar one bit for bit. Lanes
// that need a libm function (the Gaussian tails need log) take the scalar function itself, so those bits are
// the scalar ones by construction. Meant to be inlined into a function compiled for the level's ISA (simd.h).
#pragma once
#include <cstdint>
#include <cstring>

#include "distributions.h"
#include "fdlibm_log.h"
#include "lanes.h"

namespace ss {
namespace simd {

#define SS_SIMD_INLINE inline __attribute__((always_inline))

/**
 * gaussian_icdf(col[r]) for r < count, written to out[r·stride] (ε and score: the Gaussian score is ε).
 * Vector lanes evaluate normal_icdf's central branch (m ≥ 0.075: AS241's first rational function, no libm);
 * lanes outside it (m < 0.075, and NaN) are recomputed by the scalar gaussian_icdf.
 */
template <int W>
SS_SIMD_INLINE void gaussian_column(const double* col, uint32_t count, uint32_t stride, double* out) {
  typedef typename Vec<W>::d vd;
  typedef typename Vec<W>::i vi;
  const vd zero = {};
  const vd clip_lo = zero + U_CLIP, clip_hi = zero + U_CLIP_HI, half = zero + 0.5, one = zero + 1.0;
  const vi sign = (vi){} + static_cast<int64_t>(0x8000000000000000ull);
  uint32_t r = 0;
  for (; r + W <= count; r += W) {
    vd u;
    memcpy(&u, col + r, sizeof u);
    // clip_u: u < U_CLIP ? U_CLIP : u > U_CLIP_HI ? U_CLIP_HI : u (NaN passes through)
    const vd c = u < clip_lo ? clip_lo : (u > clip_hi ? clip_hi : u);
    const vd m = c < half ? c : one - c;  // normal_icdf: lower half on m = min(c, 1 − c)
    const vd q = m - 0.5;
    const vi central = q >= -0.425;  // false for NaN: the scalar path returns its NaN
    const vd rr = 0.180625 - q * q;
    const vd num = ((((((2509.0809287301226727 * rr + 33430.575583588128105) * rr + 67265.770927008700853) * rr
      + 45921.953931549871457) * rr + 13731.693765509461125) * rr + 1971.5909503065514427) * rr
      + 133.14166789178437745) * rr + 3.387132872796366608;
    const vd den = ((((((5226.495278852854561 * rr + 28729.085735721942674) * rr + 39307.89580009271061) * rr
      + 21213.794301586595867) * rr + 5394.1960214247511077) * rr + 687.1870074920579083) * rr
      + 42.313330701600911252) * rr + 1;
    const vd lower = (q * num) / den;
    // c > ½ ? −lower : lower, the negation as the sign-bit flip it is
    const vd v = (vd)((vi)lower ^ ((c > half) & sign));
    for (int l = 0; l < W; l++) out[static_cast<size_t>(r + l) * stride] = central[l] ? v[l] : gaussian_icdf(col[r + l]);
  }
  for (; r < count; r++) out[static_cast<size_t>(r) * stride] = gaussian_icdf(col[r]);
}

/**
 * triangular_icdf and triangular_score_from_u of col[r] for r < count (eps[r·stride], score[r·stride]): only
 * +, −, ÷ and √, all in vector lanes.
 */
template <int W>
SS_SIMD_INLINE void triangular_column(const double* col, uint32_t count, uint32_t stride, double* eps, double* score) {
  typedef typename Vec<W>::d vd;
  typedef typename Vec<W>::i vi;
  const vd zero = {};
  const vd clip_lo = zero + U_CLIP, clip_hi = zero + U_CLIP_HI, half = zero + 0.5, one = zero + 1.0;
  const vi sign = (vi){} + static_cast<int64_t>(0x8000000000000000ull);
  uint32_t r = 0;
  for (; r + W <= count; r += W) {
    vd u;
    memcpy(&u, col + r, sizeof u);
    const vd c = u < clip_lo ? clip_lo : (u > clip_hi ? clip_hi : u);
    const vd m = c < half ? c : one - c;
    const vd two_m = 2 * m;
    vd root = {};
    for (int l = 0; l < W; l++) root[l] = __builtin_sqrt(two_m[l]);  // sqrtsd/sqrtpd: exact either way
    const vi flip = (c > half) & sign;
    const vd e = (vd)((vi)((two_m - 1) / (1 + root)) ^ flip);
    const vd s0 = (vd)((vi)(-1 / root) ^ flip);
    const vd s = c == half ? zero : s0;  // the kink at ε = 0
    for (int l = 0; l < W; l++) {
      eps[static_cast<size_t>(r + l) * stride] = e[l];
      score[static_cast<size_t>(r + l) * stride] = s[l];
    }
  }
  for (; r < count; r++) {
    eps[static_cast<size_t>(r) * stride] = triangular_icdf(col[r]);
    score[static_cast<size_t>(r) * stride] = triangular_score_from_u(col[r]);
  }
}

// ---------------------------------------------------------------------------------------------
// Logistic and Gumbel: distributions.h's formulas with the log family of fdlibm_log.h (V8's bits), in lanes.

/** The most rows a logistic or Gumbel column kernel takes at once (the engine's noise blocks are this tall). */
constexpr uint32_t COLUMN_ROWS_MAX = 64;

/** logistic_icdf of distributions.h (clip, lower half, log of the odds in the tail, 2·atanh(2m − 1) near ½), on fdlibm's log. */
inline double logistic_icdf_fdlibm(double u) {
  const double c = clip_u(u);
  const double m = c < 0.5 ? c : 1 - c;
  const double lower = logistic_in_tail(m) ? fdlibm::log(m / (1 - m)) : 2 * fdlibm::atanh(2 * m - 1);
  return c > 0.5 ? -lower : lower;
}
/** gumbel_log_u of distributions.h on fdlibm's log and log1p (c clipped). */
inline double gumbel_log_u_fdlibm(double c) { return c > 0.5 ? fdlibm::log1p(c - 1) : fdlibm::log(c); }
inline double gumbel_icdf_fdlibm(double u) { return -fdlibm::log(-gumbel_log_u_fdlibm(clip_u(u))); }
inline double gumbel_score_from_u_fdlibm(double u) { return 1 + gumbel_log_u_fdlibm(clip_u(u)); }

/** a[k] = F(a[k]) for k < count, W lanes at a time (count a multiple of W; W = 1: the scalar function). */
#define SS_FDLIBM_ARRAY(NAME)                                                           \
  template <int W>                                                                     \
  SS_SIMD_INLINE void NAME##_array(double* a, uint32_t count) {                        \
    if constexpr (W == 1) {                                                            \
      for (uint32_t k = 0; k < count; k++) a[k] = fdlibm::NAME(a[k]);                  \
    } else {                                                                           \
      for (uint32_t k = 0; k < count; k += W) {                                        \
        typename Vec<W>::d x;                                                          \
        memcpy(&x, a + k, sizeof x);                                                   \
        fdlibm::lanes::NAME<W>(x);                                                     \
        memcpy(a + k, &x, sizeof x);                                                   \
      }                                                                                \
    }                                                                                  \
  }
SS_FDLIBM_ARRAY(log)
SS_FDLIBM_ARRAY(log1p)
SS_FDLIBM_ARRAY(atanh)
#undef SS_FDLIBM_ARRAY

/** Pads a[count .. count rounded up to W) with `value` (a harmless argument) and returns the rounded count. */
template <int W>
SS_SIMD_INLINE uint32_t pad_to_lanes(double* a, uint32_t count, double value) {
  const uint32_t padded = (count + W - 1) / W * W;
  for (uint32_t k = count; k < padded; k++) a[k] = value;
  return padded;
}

SS_SIMD_INLINE double flip_sign_bits(double x, uint64_t flip) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  b ^= flip;
  memcpy(&x, &b, sizeof x);
  return x;
}

/**
 * logistic_icdf_fdlibm and logistic_score_from_u of col[r] for r < count ≤ COLUMN_ROWS_MAX (eps[r·stride],
 * score[r·stride]). The rows are partitioned (branch-free) into the tail (log of m/(1 − m)) and the centre
 * (atanh of 2m − 1), each argument list is evaluated in lanes, and the results go back to their rows with the
 * upper half's negation as the sign flip it is. W = 1 runs the scalar functions on the same lists.
 */
template <int W>
SS_SIMD_INLINE void logistic_column(const double* col, uint32_t count, uint32_t stride, double* eps, double* score) {
  double targ[COLUMN_ROWS_MAX], carg[COLUMN_ROWS_MAX], sc[COLUMN_ROWS_MAX], tail[COLUMN_ROWS_MAX + 8], centre[COLUMN_ROWS_MAX + 8];
  uint32_t tail_row[COLUMN_ROWS_MAX], centre_row[COLUMN_ROWS_MAX];
  uint64_t flips[COLUMN_ROWS_MAX], in_tail[COLUMN_ROWS_MAX];
  uint32_t r = 0;
  if constexpr (W > 1) {  // the same operations as the scalar loop below, W rows at a time
    typedef typename Vec<W>::d vd;
    typedef typename Vec<W>::i vi;
    const vd zero = {};
    const vd clip_lo = zero + U_CLIP, clip_hi = zero + U_CLIP_HI, half = zero + 0.5, one = zero + 1.0;
    const vi sign = (vi){} + static_cast<int64_t>(0x8000000000000000ull);
    for (; r + W <= count; r += W) {
      vd u;
      memcpy(&u, col + r, sizeof u);
      const vd c = u < clip_lo ? clip_lo : (u > clip_hi ? clip_hi : u);
      const vd m = c < half ? c : one - c;
      const vi flip = (c > half) & sign;
      const vd s = (vd)((vi)(2 * m - 1) ^ flip);
      const vi t = (m < 0.25) & 1;
      const vd a = m / (1 - m);
      const vd x = 2 * m - 1;
      memcpy(flips + r, &flip, sizeof flip);
      memcpy(sc + r, &s, sizeof s);
      memcpy(in_tail + r, &t, sizeof t);
      memcpy(targ + r, &a, sizeof a);
      memcpy(carg + r, &x, sizeof x);
    }
  }
  for (; r < count; r++) {
    const double c = clip_u(col[r]);
    const double m = c < 0.5 ? c : 1 - c;
    const uint64_t flip = c > 0.5 ? 0x8000000000000000ull : 0;
    flips[r] = flip;
    sc[r] = flip_sign_bits(logistic_score_lower(m), flip);
    in_tail[r] = logistic_in_tail(m);
    targ[r] = m / (1 - m);
    carg[r] = 2 * m - 1;
  }
  uint32_t nt = 0, nc = 0;
  for (r = 0; r < count; r++) {  // the partition, without branches
    score[static_cast<size_t>(r) * stride] = sc[r];
    tail[nt] = targ[r];
    tail_row[nt] = r;
    centre[nc] = carg[r];
    centre_row[nc] = r;
    nt += static_cast<uint32_t>(in_tail[r]);
    nc += 1 - static_cast<uint32_t>(in_tail[r]);
  }
  log_array<W>(tail, pad_to_lanes<W>(tail, nt, 0.5));
  atanh_array<W>(centre, pad_to_lanes<W>(centre, nc, 0.0));
  for (uint32_t k = 0; k < nt; k++) {
    const uint32_t r = tail_row[k];
    eps[static_cast<size_t>(r) * stride] = flip_sign_bits(tail[k], flips[r]);
  }
  for (uint32_t k = 0; k < nc; k++) {
    const uint32_t r = centre_row[k];
    eps[static_cast<size_t>(r) * stride] = flip_sign_bits(2 * centre[k], flips[r]);
  }
}

/**
 * gumbel_icdf_fdlibm and gumbel_score_from_u_fdlibm of col[r] for r < count ≤ COLUMN_ROWS_MAX: L = log(c) (c ≤ ½)
 * or log1p(c − 1) (c > ½) on the two partitions in lanes, then ε = −log(−L) for all rows in lanes, s = 1 + L.
 */
template <int W>
SS_SIMD_INLINE void gumbel_column(const double* col, uint32_t count, uint32_t stride, double* eps, double* score) {
  double lo[COLUMN_ROWS_MAX + 8], hi[COLUMN_ROWS_MAX + 8], logu[COLUMN_ROWS_MAX], neg[COLUMN_ROWS_MAX + 8];
  uint32_t lo_row[COLUMN_ROWS_MAX], hi_row[COLUMN_ROWS_MAX];
  uint32_t nl = 0, nh = 0;
  for (uint32_t r = 0; r < count; r++) {
    const double c = clip_u(col[r]);
    const uint32_t upper = c > 0.5;
    lo[nl] = c;
    lo_row[nl] = r;
    hi[nh] = c - 1;  // exact for c > ½
    hi_row[nh] = r;
    nl += 1 - upper;
    nh += upper;
  }
  log_array<W>(lo, pad_to_lanes<W>(lo, nl, 0.5));
  log1p_array<W>(hi, pad_to_lanes<W>(hi, nh, -0.25));
  for (uint32_t k = 0; k < nl; k++) logu[lo_row[k]] = lo[k];
  for (uint32_t k = 0; k < nh; k++) logu[hi_row[k]] = hi[k];
  // s = 1 + L from L itself: 1 − (−L) would be the same number but may carry another NaN sign.
  for (uint32_t r = 0; r < count; r++) {
    score[static_cast<size_t>(r) * stride] = 1 + logu[r];
    neg[r] = -logu[r];
  }
  log_array<W>(neg, pad_to_lanes<W>(neg, count, 1.0));
  for (uint32_t r = 0; r < count; r++) eps[static_cast<size_t>(r) * stride] = -neg[r];
}

#undef SS_SIMD_INLINE

}  // namespace simd
}  // namespace ss
