// The project's own log family (log, log1p, atanh) for the cpu engine's logistic and Gumbel F⁻¹, in scalar code
// and in vector lanes (lanes.h's Vec<W>) that perform the same operations in the same order, so every dispatch
// level gives the same bits.
//
// Why fdlibm's algorithms: the js backend evaluates the same F⁻¹ with V8's Math.log / Math.log1p / Math.atanh,
// and V8's are ports of fdlibm (Sun Microsystems' freely distributable libm, 1993: e_log.c, s_log1p.c,
// e_atanh.c). Following those algorithms step by step, with their published coefficients, gives V8's doubles
// bit for bit (test/log-family.test.ts counts the differences over > 10⁶ uniforms: none), so the noise of the
// cpu engine's built-in boxes equals the js backend's noise exactly, not only to an ulp. glibc's log is a
// different (table-driven) algorithm and differs from V8 in the last bit now and then.
//
// What is vectorised: the argument reduction (exponent and mantissa split by bit manipulation), the polynomial
// and the reconstruction. fdlibm's branches become selects: every lane computes every branch's formula (as the
// scalar code would, each with the operations of that branch) and keeps the one the scalar code returns.
// Lanes outside the main domain (zero, negative, subnormal, infinite or NaN arguments, which the engine never
// produces from clipped uniforms) are recomputed by the scalar function itself, so their bits are the scalar
// ones by construction. No FMA anywhere: the project builds with -ffp-contract=off, and the vector code spells
// every multiplication and addition apart.
//
// Only the cpu engine's column kernels use this family (noise_simd.h). The scalar functions of
// native/core/distributions.h keep the C library's log: they are the reference the CUDA kernels compile (where
// fdlibm's bit tricks would cost more than the device's own log) and what the per-sample paths use (user black
// boxes, median-of-k); they agree with this family to an ulp, and level identity never needed them changed.
#pragma once
#include <cstdint>
#include <cstring>

#include "lanes.h"

namespace ss {
namespace fdlibm {

#define SS_FD_INLINE inline __attribute__((always_inline))

// fdlibm's constants (e_log.c and s_log1p.c, the same values in both; the hex is the published bit pattern).
constexpr double LN2_HI = 6.93147180369123816490e-01;  // 3fe62e42 fee00000: ln 2, upper bits (k·LN2_HI is exact)
constexpr double LN2_LO = 1.90821492927058770002e-10;  // 3dea39ef 35793c76
constexpr double TWO54 = 1.80143985094819840000e+16;   // 43500000 00000000
// The minimax polynomial of (log(1+f) − log(1−f) − 2s)/s on |s| ≤ 0.1716 (fdlibm's Lg1..Lg7 = Lp1..Lp7).
constexpr double L1 = 6.666666666666735130e-01;  // 3FE55555 55555593
constexpr double L2 = 3.999999999940941908e-01;  // 3FD99999 9997FA04
constexpr double L3 = 2.857142874366239149e-01;  // 3FD24924 94229359
constexpr double L4 = 2.222219843214978396e-01;  // 3FCC71C5 1D8E78AF
constexpr double L5 = 1.818357216161805012e-01;  // 3FC74664 96CB03DE
constexpr double L6 = 1.531383769920937332e-01;  // 3FC39A09 D078C69F
constexpr double L7 = 1.479819860511658591e-01;  // 3FC2F112 DF3E5244

SS_FD_INLINE uint64_t bits_of(double x) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}
SS_FD_INLINE double from_bits(uint64_t b) {
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}
SS_FD_INLINE int32_t high_word(double x) { return static_cast<int32_t>(bits_of(x) >> 32); }
SS_FD_INLINE uint32_t low_word(double x) { return static_cast<uint32_t>(bits_of(x)); }
SS_FD_INLINE double with_high_word(double x, int32_t hi) {
  return from_bits((bits_of(x) & 0xffffffffull) | (static_cast<uint64_t>(static_cast<uint32_t>(hi)) << 32));
}

// ---------------------------------------------------------------------------------------------
// Scalar: the reference every lane reproduces.

/** log(x), fdlibm's e_log.c: x = 2^k·(1 + f) with √2/2 ≤ 1 + f < √2, log(1 + f) = f − s(f − R) with s = f/(2 + f). */
inline double log(double x) {
  int32_t hx = high_word(x);
  const uint32_t lx = low_word(x);
  int32_t k = 0;
  if (hx < 0x00100000) {                                       // x < 2^−1022
    if (((hx & 0x7fffffff) | lx) == 0) return -TWO54 / 0.0;  // log(±0) = −∞
    if (hx < 0) return (x - x) / 0.0;                        // log(negative) = NaN
    k -= 54;                                                 // subnormal: scale up
    x *= TWO54;
    hx = high_word(x);
  }
  if (hx >= 0x7ff00000) return x + x;  // +∞, NaN
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const int32_t i = (hx + 0x95f64) & 0x100000;  // set when the mantissa is ≥ √2: normalise x/2 instead of x
  x = with_high_word(x, hx | (i ^ 0x3ff00000));
  k += i >> 20;
  const double f = x - 1.0;
  const double dk = static_cast<double>(k);
  if ((0x000fffff & (2 + hx)) < 3) {  // |f| < 2^−20
    if (f == 0.0) return k == 0 ? 0.0 : dk * LN2_HI + dk * LN2_LO;
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - R : dk * LN2_HI - ((R - dk * LN2_LO) - f);
  }
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (L2 + w * (L4 + w * L6));
  const double t2 = z * (L1 + w * (L3 + w * (L5 + w * L7)));
  const double R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {  // 1 + f far from 1: keep f²/2 apart for accuracy
    const double hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  return k == 0 ? f - s * (f - R) : dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

/** log(1 + x), fdlibm's s_log1p.c: as log, on 1 + x, with a correction term c for the rounding of 1 + x. */
inline double log1p(double x) {
  const int32_t hx = high_word(x);
  const int32_t ax = hx & 0x7fffffff;
  int32_t k = 1, hu = 0;
  double f = 0, c = 0;
  if (hx < 0x3FDA827A) {  // x < 0.41422
    if (ax >= 0x3ff00000) return x == -1.0 ? -TWO54 / 0.0 : (x - x) / (x - x);  // x ≤ −1: −∞ or NaN
    if (ax < 0x3e200000) return ax < 0x3c900000 ? x : x - x * x * 0.5;          // |x| < 2^−29
    if (hx > 0 || hx <= static_cast<int32_t>(0xbfd2bec4)) {                     // −0.2929 < x < 0.41422
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x;  // +∞, NaN
  if (k != 0) {
    double u;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = high_word(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);  // the rounding error of 1 + x
      c /= u;
    } else {
      u = x;
      hu = high_word(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = with_high_word(u, hu | 0x3ff00000);  // normalise u
    } else {
      k += 1;
      u = with_high_word(u, hu | 0x3fe00000);  // normalise u/2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const double hfsq = 0.5 * f * f;
  const double dk = static_cast<double>(k);
  if (hu == 0) {  // |f| < 2^−20
    if (f == 0.0) return k == 0 ? 0.0 : dk * LN2_HI + (c + dk * LN2_LO);
    const double R = hfsq * (1.0 - 0.66666666666666666 * f);
    return k == 0 ? f - R : dk * LN2_HI - ((R - (dk * LN2_LO + c)) - f);
  }
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double R = z * (L1 + z * (L2 + z * (L3 + z * (L4 + z * (L5 + z * (L6 + z * L7))))));
  return k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + (dk * LN2_LO + c))) - f);
}

/** atanh(x), fdlibm's e_atanh.c: ½·log1p(2x + 2x²/(1 − x)) below ½, ½·log1p(2x/(1 − x)) above, odd. */
inline double atanh(double x) {
  const int32_t hx = high_word(x);
  const uint32_t lx = low_word(x);
  const int32_t ix = hx & 0x7fffffff;
  if ((static_cast<uint32_t>(ix) | ((lx | (0u - lx)) >> 31)) > 0x3ff00000u) return (x - x) / (x - x);  // |x| > 1, NaN
  if (ix == 0x3ff00000) return x / 0.0;                                                               // ±1: ±∞
  if (ix < 0x3e300000) return x;                                                                      // |x| < 2^−28
  const double a = with_high_word(x, ix);  // |x|
  double t;
  if (ix < 0x3fe00000) {
    t = a + a;
    t = 0.5 * log1p(t + t * a / (1.0 - a));
  } else {
    t = 0.5 * log1p((a + a) / (1.0 - a));
  }
  return hx >= 0 ? t : -t;
}

// ---------------------------------------------------------------------------------------------
// Vector lanes: W values at once, each lane the scalar function's bits.

namespace lanes {

using simd::Vec;

// k (|k| < 2^51) as a double, exactly: 1.5·2^52 + k carries k in its low mantissa bits (AVX2 has no int64 → double).
#define SS_FD_TO_DOUBLE(k) ((vd)((k) + ((vi){} + 0x4338000000000000ll)) - 6755399441055744.0)

// The lane functions work in place on references (a vector passed or returned by value outside its ISA's
// functions draws GCC's ABI warning; they are always inlined anyway).

/** Lanes where `bad` is set: the scalar function of the lane's argument (rare; never for the engine's arguments). */
template <int W, typename Fn>
SS_FD_INLINE void patch(typename Vec<W>::d& r, const typename Vec<W>::d& x, const typename Vec<W>::i& bad, Fn scalar) {
  typename Vec<W>::i any = bad;
  for (int s = W / 2; s >= 1; s /= 2)
    for (int l = 0; l < s; l++) any[l] |= any[l + s];
  if (__builtin_expect(any[0] != 0, 0))
    for (int l = 0; l < W; l++)
      if (bad[l]) r[l] = scalar(x[l]);
}

/** fdlibm::log of every lane. */
template <int W>
SS_FD_INLINE void log(typename Vec<W>::d& x) {
  typedef typename Vec<W>::d vd;
  typedef typename Vec<W>::i vi;
  const vi bits = (vi)x;
  const vi top = bits >> 32;  // the high word, sign-extended
  const vi bad = (top < 0x00100000) | (top >= 0x7ff00000);  // ≤ 0, subnormal, +∞, NaN: the scalar function
  const vi hx = top & 0x000fffff;
  const vi i = (hx + 0x95f64) & 0x100000;
  vi k = ((top >> 20) & 0x7ff) - 1023;
  const vd xn = (vd)((bits & 0xffffffffll) | ((hx | (i ^ 0x3ff00000)) << 32));
  k += i >> 20;
  const vd f = xn - 1.0;
  const vd dk = SS_FD_TO_DOUBLE(k);
  const vi k0 = k == 0;
  // |f| < 2^−20
  const vd Rt = f * f * (0.5 - 0.33333333333333333 * f);
  const vd zero = {};
  const vd at_one = k0 ? zero : dk * LN2_HI + dk * LN2_LO;
  const vd near_one = k0 ? f - Rt : dk * LN2_HI - ((Rt - dk * LN2_LO) - f);
  const vd tiny = f == 0.0 ? at_one : near_one;
  // the polynomial
  const vd s = f / (2.0 + f);
  const vd z = s * s;
  const vd w = z * z;
  const vd t1 = w * (L2 + w * (L4 + w * L6));
  const vd t2 = z * (L1 + w * (L3 + w * (L5 + w * L7)));
  const vd R = t2 + t1;
  const vd hfsq = 0.5 * f * f;
  const vd far = k0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  const vd close = k0 ? f - s * (f - R) : dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
  const vd main = ((hx - 0x6147a) | (0x6b851 - hx)) > 0 ? far : close;
  vd r = ((hx + 2) & 0x000fffff) < 3 ? tiny : main;
  patch<W>(r, x, bad, [](double v) { return fdlibm::log(v); });
  x = r;
}

/** fdlibm::log1p of every lane. */
template <int W>
SS_FD_INLINE void log1p(typename Vec<W>::d& x) {
  typedef typename Vec<W>::d vd;
  typedef typename Vec<W>::i vi;
  const vd zero = {};
  const vi bits = (vi)x;
  const vi hx = bits >> 32;  // signed, as the scalar's int32
  const vi ax = hx & 0x7fffffff;
  // x ≤ −1, x ≥ 2^53 (fdlibm's u = x branch), ±∞ and NaN: the scalar function
  const vi bad = ~((x > -1.0) & (hx < 0x43400000));
  const vi small = hx < 0x3FDA827A;
  const vd tiny_x = ax < 0x3c900000 ? x : x - x * x * 0.5;  // |x| < 2^−29
  const vi direct = small & ((hx > 0) | (hx <= static_cast<int64_t>(static_cast<int32_t>(0xbfd2bec4))));
  // the other arguments: u = 1 + x with its rounding error c, u normalised into [√2/2, √2)
  vd u = 1.0 + x;
  const vi hu0 = ((vi)u) >> 32;
  vi k = (hu0 >> 20) - 1023;
  vd c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
  c = c / u;
  vi hu = hu0 & 0x000fffff;
  const vi up = hu >= 0x6a09e;
  u = (vd)(((vi)u & 0xffffffffll) | ((hu | (up ? ((vi){} + 0x3fe00000) : ((vi){} + 0x3ff00000))) << 32));
  k = up ? k + 1 : k;
  hu = up ? (0x00100000 - hu) >> 2 : hu;
  const vd fu = u - 1.0;
  k = direct ? (vi){} : k;
  hu = direct ? ((vi){} + 1) : hu;
  const vd f = direct ? x : fu;
  const vi k0 = k == 0;
  const vd hfsq = 0.5 * f * f;
  const vd dk = SS_FD_TO_DOUBLE(k);
  // |f| < 2^−20
  const vd Rt = hfsq * (1.0 - 0.66666666666666666 * f);
  const vd at_one = k0 ? zero : dk * LN2_HI + (c + dk * LN2_LO);
  const vd near_one = k0 ? f - Rt : dk * LN2_HI - ((Rt - (dk * LN2_LO + c)) - f);
  const vd tiny = f == 0.0 ? at_one : near_one;
  // the polynomial
  const vd s = f / (2.0 + f);
  const vd z = s * s;
  const vd R = z * (L1 + z * (L2 + z * (L3 + z * (L4 + z * (L5 + z * (L6 + z * L7))))));
  const vd main = k0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + (dk * LN2_LO + c))) - f);
  vd r = hu == 0 ? tiny : main;
  r = small & (ax < 0x3e200000) ? tiny_x : r;
  patch<W>(r, x, bad, [](double v) { return fdlibm::log1p(v); });
  x = r;
}

/** fdlibm::atanh of every lane. */
template <int W>
SS_FD_INLINE void atanh(typename Vec<W>::d& x) {
  typedef typename Vec<W>::d vd;
  typedef typename Vec<W>::i vi;
  const vi bits = (vi)x;
  const vi sign = bits & static_cast<int64_t>(0x8000000000000000ull);
  const vd a = (vd)(bits ^ sign);  // |x|
  const vi ix = (bits >> 32) & 0x7fffffff;
  const vi bad = ~(a < 1.0);  // |x| ≥ 1, NaN: the scalar function
  const vd two_a = a + a;
  const vd below_half = two_a + two_a * a / (1.0 - a);
  const vd above_half = (a + a) / (1.0 - a);
  vd t = ix < 0x3fe00000 ? below_half : above_half;
  log1p<W>(t);
  t = 0.5 * t;
  vd r = ix < 0x3e300000 ? x : (vd)((vi)t ^ sign);
  patch<W>(r, x, bad, [](double v) { return fdlibm::atanh(v); });
  x = r;
}

#undef SS_FD_TO_DOUBLE

}  // namespace lanes

#undef SS_FD_INLINE

}  // namespace fdlibm
}  // namespace ss
