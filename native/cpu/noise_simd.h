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

#undef SS_SIMD_INLINE

}  // namespace simd
}  // namespace ss
