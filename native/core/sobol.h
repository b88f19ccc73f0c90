// Sobol points from the Joe–Kuo direction numbers (S. Joe and F. Y. Kuo, "Constructing Sobol sequences with
// better two-dimensional projections", SIAM J. Sci. Comput. 30, 2008; table new-joe-kuo-6.21201, shipped by the
// `sobol` npm package as dims21201.txt). 32-bit direction integers, Antonov–Saleev (Gray-code) order, random
// access: point i is the XOR of the direction integers selected by the set bits of i ^ (i >> 1).
// Mirrors lib/random/sobol.ts. The host parses the table (sobolDirections in TS) and passes the flat array
// v[d·32 + j]; this header evaluates points. The recurrence for one table row is here too (joeKuo in TS), for
// hosts without Node (tests, GPU checks) that read dims21201.txt themselves.
//
// The first 2^m points of any dimension hit every interval [k/2^m, (k+1)/2^m) exactly once, and the first 2^m
// points form a (t, m, s)-net: power-of-two sample counts keep that property; any other count is a prefix.
#ifndef SS_CORE_SOBOL_H
#define SS_CORE_SOBOL_H

#include "hd.h"
#include "philox.h"

namespace ss {

/** Dimensions available: van der Corput plus the 21200 rows of new-joe-kuo-6.21201 (SOBOL_MAX_DIMS). */
constexpr uint32_t SOBOL_MAX_DIMS = 21201;
/** Direction integers per dimension (32-bit points) (SOBOL_BITS). */
constexpr uint32_t SOBOL_BITS = 32;

/** Direction integers of dimension 0: van der Corput, v_j = 2^(31−j) (vanDerCorput). `v` holds 32 words. */
SS_HD void sobol_van_der_corput(uint32_t* v) {
  for (uint32_t j = 0; j < SOBOL_BITS; j++) v[j] = 0x80000000u >> j;
}

/**
 * Joe–Kuo recurrence for one table row (s, a, m_1..m_s) into the 32 words of `v` (joeKuo in sobol.ts), with
 * V_j = m_j·2^(32−j) (1-based j): V_j = V_{j−s} ^ (V_{j−s} >> s) ^ XOR_{k=1}^{s−1} a_k·V_{j−k}, a_k the k-th bit
 * of a from the top (s−1 bits). Table row d (1-based, d ≥ 2) is our dimension d − 1.
 */
SS_HD void sobol_joe_kuo(uint32_t s, uint32_t a, const uint32_t* m, uint32_t* v) {
  for (uint32_t j = 0; j < SOBOL_BITS; j++) {
    if (j < s) {
      v[j] = m[j] << (31 - j);  // m_j < 2^(j+1) (0-based j), so this fits in 32 bits
      continue;
    }
    uint32_t x = v[j - s] ^ (v[j - s] >> s);
    for (uint32_t k = 1; k < s; k++) {
      if ((a >> (s - 1 - k)) & 1u) x ^= v[j - k];
    }
    v[j] = x;
  }
}

/**
 * The raw 32-bit Sobol integer of point i in dimension d (sobolInt): XOR of v[d·32 + j] over the set bits j of
 * the Gray code i ^ (i >> 1). Walking only the set bits (ctz) gives the same XOR as the TS bit loop.
 */
SS_HD uint32_t sobol_int(const uint32_t* v, uint32_t i, uint32_t d) {
  uint32_t gray = i ^ (i >> 1);
  const uint32_t* base = v + static_cast<uint64_t>(d) * SOBOL_BITS;
  uint32_t x = 0;
  while (gray != 0) {
    x ^= base[ctz32(gray)];
    gray &= gray - 1;  // clear the lowest set bit
  }
  return x;
}

/** Raw Sobol coordinate x·2⁻³² in [0, 1) (sobolPoint): exact; point 0 is the origin, no clipping here. */
SS_HD double sobol_point(const uint32_t* v, uint32_t i, uint32_t d) {
  return static_cast<double>(sobol_int(v, i, d)) * TWO_POW_M32;
}

}  // namespace ss

#endif  // SS_CORE_SOBOL_H
