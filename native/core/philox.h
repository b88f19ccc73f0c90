// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw, "Parallel Random Numbers: As Easy
// as 1, 2, 3" (SC'11), as specified by Random123 and used by cuRAND's curandStatePhilox4_32_10_t.
// Mirrors lib/random/philox.ts function by function; words and uniforms are bit-identical to it.
#ifndef SS_CORE_PHILOX_H
#define SS_CORE_PHILOX_H

#include "hd.h"

namespace ss {

/** Round multipliers (Salmon et al. 2011, Random123 PHILOX_M4x32_0/1). */
constexpr uint32_t PHILOX_M0 = 0xd2511f53u;
constexpr uint32_t PHILOX_M1 = 0xcd9e8d57u;
/** Weyl key increments (golden ratio and sqrt(3)−1, Random123 PHILOX_W32_0/1). */
constexpr uint32_t PHILOX_W0 = 0x9e3779b9u;
constexpr uint32_t PHILOX_W1 = 0xbb67ae85u;

/** 2⁻³², exact in double (TWO_POW_M32). */
constexpr double TWO_POW_M32 = 1.0 / 4294967296.0;

/**
 * The one place that assigns Philox subsequences (PhiloxStream in philox.ts): stream k uses subsequence
 * b + 2³²·k, i.e. counter words c2 = b (batch element), c3 = k, so streams never overlap.
 * - STREAM_MC: `mc` uniforms, block (c0 = ⌊d/4⌋, c1 = i), word d mod 4 (cuRAND's curand_init(seed, b, ·) layout).
 * - STREAM_JITTER: Latin / Cartesian jitter U(b, i, d), same layout as mc.
 * - STREAM_LATIN_KEY: Latin permutation keys for (b, d), the 16 words of blocks (c0 = d, c1 = 0..3).
 * - STREAM_SOBOL_SCRAMBLE: Owen scrambling key for (b, d), word d mod 4 of block (c0 = ⌊d/4⌋, c1 = 0).
 * - STREAM_ANTITHETIC_FLIP: antithetic Latin flip bit for (b, j, d), top bit of word d mod 4 of block (⌊d/4⌋, j).
 */
enum PhiloxStream : uint32_t {
  STREAM_MC = 0,
  STREAM_JITTER = 1,
  STREAM_LATIN_KEY = 2,
  STREAM_SOBOL_SCRAMBLE = 3,
  STREAM_ANTITHETIC_FLIP = 4,
};

/** High 32 bits of the 64-bit product a·b (mulhi32 in philox.ts, which needs 16-bit halves; here one multiply). */
SS_HD uint32_t mulhi32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

/**
 * Philox4x32 with 10 rounds: counter (c0..c3), key (k0, k1) → out[0..3] (philox4x32_10 in philox.ts).
 * Round (Random123 philox4x32round): (hi0,lo0) = M0·x0, (hi1,lo1) = M1·x2;
 * x ← (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0); the key is bumped by the Weyl constants between rounds.
 */
SS_HD void philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                         uint32_t out[4]) {
  uint32_t x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  uint32_t key0 = k0, key1 = k1;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      key0 += PHILOX_W0;
      key1 += PHILOX_W1;
    }
    const uint32_t hi0 = mulhi32(PHILOX_M0, x0);
    const uint32_t lo0 = PHILOX_M0 * x0;
    const uint32_t hi1 = mulhi32(PHILOX_M1, x2);
    const uint32_t lo1 = PHILOX_M1 * x2;
    x0 = hi1 ^ x1 ^ key0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ key1;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/**
 * Philox4x32-10 for `count` consecutive counters (c0, c1 + r, c2, c3), r < count, with words w of block r
 * written to out_w[r] (an extension for the CPU's block sampler): exactly philox4x32_10(c0, c1 + r, c2, c3, ...)
 * per r, written as independent lanes so that the compiler vectorises it (32×32→64 products are pmuludq on
 * x86). c1 + r must not wrap (callers pass row indices < 2³²).
 */
SS_HD void philox4x32_10_rows(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                              uint32_t count, uint32_t* out0, uint32_t* out1, uint32_t* out2, uint32_t* out3) {
  for (uint32_t r = 0; r < count; r++) {
    uint32_t x0 = c0, x1 = c1 + r, x2 = c2, x3 = c3;
    uint32_t key0 = k0, key1 = k1;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int round = 0; round < 10; round++) {
      const uint64_t p0 = static_cast<uint64_t>(PHILOX_M0) * x0;
      const uint64_t p1 = static_cast<uint64_t>(PHILOX_M1) * x2;
      x0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ key0;
      x1 = static_cast<uint32_t>(p1);
      x2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ key1;
      x3 = static_cast<uint32_t>(p0);
      key0 += PHILOX_W0;
      key1 += PHILOX_W1;
    }
    out0[r] = x0;
    out1[r] = x1;
    out2[r] = x2;
    out3[r] = x3;
  }
}

/** Low 32 bits of the seed: key word 0, as cuRAND's curand_init takes it (seedLo). */
SS_HD uint32_t seed_lo(uint64_t seed) { return static_cast<uint32_t>(seed); }
/** High 32 bits of the seed: key word 1 (seedHi). */
SS_HD uint32_t seed_hi(uint64_t seed) { return static_cast<uint32_t>(seed >> 32); }

/** One Philox block of stream k for batch element b: counter (c0, c1, b, k), key = seed (lo, hi) (philoxBlock). */
SS_HD void philox_block(uint64_t seed, uint32_t k, uint32_t b, uint32_t c0, uint32_t c1, uint32_t out[4]) {
  philox4x32_10(c0, c1, b, k, seed_lo(seed), seed_hi(seed), out);
}

/** Word (b, i, d) of stream k: word d mod 4 of block (c0 = ⌊d/4⌋, c1 = i) (philoxWord). */
SS_HD uint32_t philox_word(uint64_t seed, uint32_t k, uint32_t b, uint32_t i, uint32_t d) {
  uint32_t block[4];
  philox_block(seed, k, b, d >> 2, i, block);
  return block[d & 3u];
}

/**
 * A uint32 word mapped to (0, 1) as (word + 0.5)·2⁻³² (wordToUniform): never 0 or 1. Both operations are
 * exact in double (33 significant bits, then a power of two), so the result cannot depend on rounding or FMA.
 */
SS_HD double word_to_uniform(uint32_t w) { return (static_cast<double>(w) + 0.5) * TWO_POW_M32; }

/** Uniform (b, i, d) of stream k in (0, 1) (philoxUniform). With k = STREAM_MC this is the `mc` sampler's u. */
SS_HD double philox_uniform(uint64_t seed, uint32_t k, uint32_t b, uint32_t i, uint32_t d) {
  return word_to_uniform(philox_word(seed, k, b, i, d));
}

}  // namespace ss

#endif  // SS_CORE_PHILOX_H
