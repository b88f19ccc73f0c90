// A keyed, stateless permutation of {0..S−1} (1 ≤ S < 2³²), used for Latin strata: π(i) is computed directly
// from (keys, S, i), so any row can be regenerated anywhere without storing a shuffle. Mirrors
// lib/random/permutation.ts bit for bit.
//
// Construction: an invertible mixing function on w-bit integers, w = max(1, ⌈log₂ S⌉), then cycle walking
// (apply the mix again while the value is ≥ S; since S > 2^(w−1) fewer than 2 steps on average), then a keyed
// rotation mod S that makes each π(i) uniform over keys.
#ifndef SS_CORE_PERMUTATION_H
#define SS_CORE_PERMUTATION_H

#include "hd.h"
#include "philox.h"

namespace ss {

/** Mixing rounds (ROUNDS): 6 rather than 4 because tiny domains (w = 2, 3) need them to spread pairs evenly. */
constexpr uint32_t PERMUTATION_ROUNDS = 6;
/**
 * Key words per dimension (PERMUTATION_KEY_WORDS): 2 per round (one xored, one added), word 12 for the final
 * rotation, 13..15 unused. Four Philox blocks.
 */
constexpr uint32_t PERMUTATION_KEY_WORDS = 16;
/** Index of the rotation key word (ROTATION_WORD = 2·ROUNDS). */
constexpr uint32_t PERMUTATION_ROTATION_WORD = 2 * PERMUTATION_ROUNDS;

// Odd multipliers (odd ⇒ invertible mod 2^w), MULTIPLIERS in permutation.ts: murmur3 fmix32 (0x85ebca6b,
// 0xc2b2ae35), xxhash32 PRIME32_4 and PRIME32_5 (0x27d4eb2f, 0x165667b1), the golden ratio 2³²/φ rounded to an
// odd number (0x9e3779b1, also xxhash32 PRIME32_1) and lowbias32's first multiplier (0x7feb352d).
// Spelled out per round below (no constant array: namespace-scope arrays are not readable from device code).
constexpr uint32_t PERMUTATION_M0 = 0x85ebca6bu;
constexpr uint32_t PERMUTATION_M1 = 0xc2b2ae35u;
constexpr uint32_t PERMUTATION_M2 = 0x27d4eb2fu;
constexpr uint32_t PERMUTATION_M3 = 0x165667b1u;
constexpr uint32_t PERMUTATION_M4 = 0x9e3779b1u;
constexpr uint32_t PERMUTATION_M5 = 0x7feb352du;

/** Bits needed for S values: max(1, ⌈log₂ S⌉) (permutationBits). */
SS_HD uint32_t permutation_bits(uint32_t size) {
  const uint32_t w = 32u - clz32(size - 1u);
  return w > 1u ? w : 1u;
}

/**
 * One round of mixBits on w bits: xor key → multiply by an odd constant mod 2^w → xorshift right by ⌈w/2⌉
 * within w bits → add key mod 2^w. Each step is invertible on w bits. uint32 wrap-around then the mask equals
 * the TS `& mask` of the (exact) double sum or Math.imul product.
 */
SS_HD uint32_t permutation_round(uint32_t x, uint32_t mult, uint32_t key_xor, uint32_t key_add, uint32_t mask,
                                 uint32_t shift) {
  x = (x ^ key_xor) & mask;
  x = (x * mult) & mask;
  x = x ^ (x >> shift);
  x = (x + key_add) & mask;
  return x;
}

/** The bijection of [0, 2^w) (mixBits): PERMUTATION_ROUNDS rounds with key words 2r (xor) and 2r + 1 (add). */
SS_HD uint32_t mix_bits(uint32_t x, uint32_t mask, uint32_t shift, const uint32_t* keys) {
  x = permutation_round(x, PERMUTATION_M0, keys[0], keys[1], mask, shift);
  x = permutation_round(x, PERMUTATION_M1, keys[2], keys[3], mask, shift);
  x = permutation_round(x, PERMUTATION_M2, keys[4], keys[5], mask, shift);
  x = permutation_round(x, PERMUTATION_M3, keys[6], keys[7], mask, shift);
  x = permutation_round(x, PERMUTATION_M4, keys[8], keys[9], mask, shift);
  x = permutation_round(x, PERMUTATION_M5, keys[10], keys[11], mask, shift);
  return x;
}

/**
 * π(i) for i in [0, size) with the 16 key words of one dimension (permute): cycle-walk the mix into [0, size),
 * then rotate by c = ⌊key₁₂·size/2³²⌋ = mulhi32(key₁₂, size) ∈ [0, size). The rotation keeps π(i) uniform over
 * keys whatever the mix's residual bias on tiny domains (that is what keeps rqmc-latin unbiased).
 */
SS_HD uint32_t permute(uint32_t i, uint32_t size, const uint32_t* keys) {
  const uint32_t w = permutation_bits(size);
  const uint32_t mask = 0xffffffffu >> (32u - w);
  const uint32_t shift = (w + 1u) >> 1;  // ≥ 1, so the xorshift is a bijection
  uint32_t x = mix_bits(i, mask, shift, keys);
  while (x >= size) x = mix_bits(x, mask, shift, keys);  // cycle walking: ends inside [0, size)
  const uint32_t c = mulhi32(keys[PERMUTATION_ROTATION_WORD], size);
  const uint32_t t = size - c;  // (x + c) mod size without exceeding 32 bits
  return x >= t ? x - t : x + c;
}

/**
 * π(i0 + r) for r < count into out[r] (an extension for the CPU's block sampler): exactly
 * permute(i0 + r, size, keys) per r (i0 + count ≤ size). Written so that the compiler vectorises it: the mix
 * runs branch-free on every lane (the key words are loaded once, pre-masked: (x ^ k) & mask == x ^ (k & mask)
 * and (x + k) & mask == (x + (k & mask)) & mask for x < 2^w), then cycle walking re-mixes, again on every
 * lane, only while some lane is still ≥ size (never when size is a power of two), then the rotation.
 */
SS_HD void permute_rows(uint32_t i0, uint32_t count, uint32_t size, const uint32_t* keys, uint32_t* out) {
  const uint32_t w = permutation_bits(size);
  const uint32_t mask = 0xffffffffu >> (32u - w);
  const uint32_t shift = (w + 1u) >> 1;
  const uint32_t kx0 = keys[0] & mask, ka0 = keys[1] & mask, kx1 = keys[2] & mask, ka1 = keys[3] & mask;
  const uint32_t kx2 = keys[4] & mask, ka2 = keys[5] & mask, kx3 = keys[6] & mask, ka3 = keys[7] & mask;
  const uint32_t kx4 = keys[8] & mask, ka4 = keys[9] & mask, kx5 = keys[10] & mask, ka5 = keys[11] & mask;
#define SS_PR(x, m, kx, ka) \
  x ^= kx;                  \
  x = (x * (m)) & mask;     \
  x ^= x >> shift;          \
  x = (x + ka) & mask;
#define SS_MIX(x)                        \
  SS_PR(x, PERMUTATION_M0, kx0, ka0)     \
  SS_PR(x, PERMUTATION_M1, kx1, ka1)     \
  SS_PR(x, PERMUTATION_M2, kx2, ka2)     \
  SS_PR(x, PERMUTATION_M3, kx3, ka3)     \
  SS_PR(x, PERMUTATION_M4, kx4, ka4)     \
  SS_PR(x, PERMUTATION_M5, kx5, ka5)
  for (uint32_t r = 0; r < count; r++) {
    uint32_t x = i0 + r;  // < size ≤ 2^w: already inside the mask
    SS_MIX(x)
    out[r] = x;
  }
  if (size <= mask) {  // not a power of two: cycle walking
    for (;;) {
      uint32_t pending = 0;
      for (uint32_t r = 0; r < count; r++) pending |= out[r] >= size;
      if (!pending) break;
      for (uint32_t r = 0; r < count; r++) {
        uint32_t x = out[r];
        const uint32_t y0 = x;
        SS_MIX(x)
        out[r] = y0 >= size ? x : y0;
      }
    }
  }
#undef SS_MIX
#undef SS_PR
  const uint32_t c = mulhi32(keys[PERMUTATION_ROTATION_WORD], size);
  const uint32_t t = size - c;
  for (uint32_t r = 0; r < count; r++) {
    const uint32_t x = out[r];
    out[r] = x >= t ? x - t : x + c;
  }
}

/**
 * Latin permutation keys for batch element b (latinKeys): PERMUTATION_KEY_WORDS words per dimension d, the
 * Philox blocks (c0 = d, c1 = 0..3) of stream STREAM_LATIN_KEY (subsequence b + 2·2³²). `keys` has 16·dims words.
 */
SS_HD void latin_keys(uint64_t seed, uint32_t b, uint32_t dims, uint32_t* keys) {
  for (uint32_t d = 0; d < dims; d++) {
    for (uint32_t q = 0; q < PERMUTATION_KEY_WORDS / 4; q++) {
      philox_block(seed, STREAM_LATIN_KEY, b, d, q, keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS + 4 * q);
    }
  }
}

}  // namespace ss

#endif  // SS_CORE_PERMUTATION_H
