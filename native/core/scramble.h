// Hash-based nested uniform (Owen) scrambling of 32-bit Sobol integers, after B. Burley, "Practical Hash-based
// Owen Scrambling", JCGT 9(4), 2020: reverse the bits, apply a Laine–Karras-style permutation (each output bit =
// the input bit XOR a function of the LOWER bits only), reverse back. After the reversal "lower" means "more
// significant", so every digit is flipped as a function of the digits above it: the nested (Owen) scramble.
// Mirrors lib/random/scramble.ts bit for bit.
#ifndef SS_CORE_SCRAMBLE_H
#define SS_CORE_SCRAMBLE_H

#include "hd.h"
#include "philox.h"

namespace ss {

/** Reverse the 32 bits of x (reverseBits32): one instruction on the device, swaps on the host. */
SS_HD uint32_t reverse_bits32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __brev(x);
#else
  x = (x >> 16) | (x << 16);
  x = ((x & 0xff00ff00u) >> 8) | ((x & 0x00ff00ffu) << 8);
  x = ((x & 0xf0f0f0f0u) >> 4) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x & 0xccccccccu) >> 2) | ((x & 0x33333333u) << 2);
  x = ((x & 0xaaaaaaaau) >> 1) | ((x & 0x55555555u) << 1);
  return x;
#endif
}

/**
 * Burley's improved Laine–Karras permutation (constants from Burley 2020, listing 2) (laineKarrasPermutation).
 * Adding the key and x ^= x·even only carry information from low bits to high bits: a bijection whose bit k
 * depends on input bits 0..k only. uint32 arithmetic wraps mod 2³² exactly like Math.imul / >>> 0.
 */
SS_HD uint32_t laine_karras_permutation(uint32_t x, uint32_t key) {
  x += key;
  x ^= x * 0x6c50b47cu;
  x ^= x * 0xb82f1e52u;
  x ^= x * 0xc7afe638u;
  x ^= x * 0x8d22f6e6u;
  return x;
}

/** Nested uniform scramble of a 32-bit Sobol integer with a 32-bit key (owenScramble). */
SS_HD uint32_t owen_scramble(uint32_t x, uint32_t key) {
  return reverse_bits32(laine_karras_permutation(reverse_bits32(x), key));
}

/**
 * Scrambling keys for batch element b, one per dimension (scrambleKeys): key(seed, b, d) = word d mod 4 of the
 * Philox block (c0 = ⌊d/4⌋, c1 = 0) in stream STREAM_SOBOL_SCRAMBLE (subsequence b + 3·2³²). `out` has dims words.
 */
SS_HD void scramble_keys(uint64_t seed, uint32_t b, uint32_t dims, uint32_t* out) {
  uint32_t block[4];
  for (uint32_t d = 0; d < dims; d += 4) {
    philox_block(seed, STREAM_SOBOL_SCRAMBLE, b, d >> 2, 0, block);
    for (uint32_t w = 0; w < 4 && d + w < dims; w++) out[d + w] = block[w];
  }
}

}  // namespace ss

#endif  // SS_CORE_SCRAMBLE_H
