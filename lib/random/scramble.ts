/**
 * Hash-based nested uniform (Owen) scrambling of 32-bit Sobol integers, after B. Burley, "Practical
 * Hash-based Owen Scrambling", JCGT 9(4), 2020: reverse the bits, apply a Laine–Karras-style permutation
 * (each output bit = the input bit XOR a function of the LOWER bits only), reverse back. After the reversal
 * "lower" means "more significant", so every digit is flipped as a function of the digits above it:
 * exactly the nested (Owen) scramble, which keeps each point in a distinct elementary interval.
 */
import { PhiloxStream, philoxBlock } from './philox.js';

/** Reverse the 32 bits of x (swap halves, bytes, nibbles, pairs, bits). */
export function reverseBits32(x: number): number {
  x = ((x >>> 16) | (x << 16)) >>> 0;
  x = (((x & 0xff00ff00) >>> 8) | ((x & 0x00ff00ff) << 8)) >>> 0;
  x = (((x & 0xf0f0f0f0) >>> 4) | ((x & 0x0f0f0f0f) << 4)) >>> 0;
  x = (((x & 0xcccccccc) >>> 2) | ((x & 0x33333333) << 2)) >>> 0;
  x = (((x & 0xaaaaaaaa) >>> 1) | ((x & 0x55555555) << 1)) >>> 0;
  return x;
}

/**
 * Burley's improved Laine–Karras permutation (constants from Burley 2020, listing 2). Adding the key and
 * x ^= x·even only carry information from low bits to high bits, so the map is a bijection whose bit k
 * depends on input bits 0..k only.
 */
export function laineKarrasPermutation(x: number, key: number): number {
  x = (x + key) >>> 0;
  x = (x ^ Math.imul(x, 0x6c50b47c)) >>> 0;
  x = (x ^ Math.imul(x, 0xb82f1e52)) >>> 0;
  x = (x ^ Math.imul(x, 0xc7afe638)) >>> 0;
  x = (x ^ Math.imul(x, 0x8d22f6e6)) >>> 0;
  return x;
}

/** Nested uniform scramble of a 32-bit Sobol integer with a 32-bit key. */
export function owenScramble(x: number, key: number): number {
  return reverseBits32(laineKarrasPermutation(reverseBits32(x), key));
}

/**
 * Scrambling keys for batch element b, one per dimension: key(seed, b, d) = word d mod 4 of Philox block
 * (c0 = ⌊d/4⌋, c1 = 0) in stream PhiloxStream.sobolScramble (subsequence b + 3·2³²).
 */
export function scrambleKeys(seed: number, b: number, dims: number, out: Uint32Array = new Uint32Array(dims)): Uint32Array {
  const block = new Uint32Array(4);
  for (let d = 0; d < dims; d += 4) {
    philoxBlock(seed, PhiloxStream.sobolScramble, b, d / 4, 0, block);
    for (let w = 0; w < 4 && d + w < dims; w++) out[d + w] = block[w];
  }
  return out;
}
