/**
 * A keyed, stateless permutation of {0..S−1} (1 ≤ S < 2³²), used for Latin strata: π(i) is computed
 * directly from (keys, S, i), so any row can be regenerated anywhere without storing a shuffle.
 *
 * Construction: an invertible mixing function on w-bit integers, w = max(1, ⌈log₂ S⌉), then cycle walking
 * (apply the mix again while the value is ≥ S). Cycle walking restricts a permutation of [0, 2^w) to a
 * permutation of [0, S); since S > 2^(w−1) it takes fewer than 2 steps on average. A final keyed rotation
 * mod S makes each π(i) uniformly distributed over keys.
 */
import { PhiloxStream, mulhi32, philoxBlock } from './philox.js';

/** Mixing rounds; 6 (rather than 4) because tiny domains (w = 2, 3) need them to spread pairs evenly. */
const ROUNDS = 6;
/** Odd multipliers (odd ⇒ invertible mod 2^w): murmur3, xxhash, golden-ratio and lowbias32 constants. */
const MULTIPLIERS = [0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1, 0x9e3779b1, 0x7feb352d] as const;
/**
 * Key words per dimension: 2 per round (one xored, one added: distinct words, since adding and then xoring
 * the SAME word would partly cancel), word 12 for the final rotation, 13..15 unused. Four Philox blocks.
 */
export const PERMUTATION_KEY_WORDS = 16;
const ROTATION_WORD = 2 * ROUNDS;

/** Bits needed for S values: max(1, ⌈log₂ S⌉). */
export function permutationBits(size: number): number {
  return Math.max(1, 32 - Math.clz32(size - 1));
}

/**
 * One bijection of [0, 2^w): ROUNDS rounds of  xor key → multiply by an odd constant mod 2^w →
 * xorshift right by ⌈w/2⌉ within w bits → add key mod 2^w. Each step is invertible on w bits.
 * The multiply spreads low bits upwards, the xorshift brings high bits down.
 */
export function mixBits(x: number, w: number, keys: Uint32Array, keyOffset: number): number {
  const mask = 0xffffffff >>> (32 - w);
  const shift = (w + 1) >>> 1; // ≥ 1, so the xorshift is a bijection
  for (let r = 0; r < ROUNDS; r++) {
    x = ((x ^ keys[keyOffset + 2 * r]) & mask) >>> 0;
    x = (Math.imul(x, MULTIPLIERS[r]) & mask) >>> 0;
    x = (x ^ (x >>> shift)) >>> 0;
    x = ((x + keys[keyOffset + 2 * r + 1]) & mask) >>> 0; // sum < 2³³: exact in double
  }
  return x;
}

/**
 * π(i) for i in [0, size): cycle-walk the mix into [0, size), then rotate by c = ⌊key·size/2³²⌋ mod size.
 * The rotation makes π(i) uniform over the keys for every i (up to a relative size·2⁻³²), whatever the
 * mix's residual bias on tiny domains: that is what keeps rqmc-latin unbiased.
 */
export function permute(i: number, size: number, keys: Uint32Array, keyOffset = 0): number {
  const w = permutationBits(size);
  let x = mixBits(i, w, keys, keyOffset);
  while (x >= size) x = mixBits(x, w, keys, keyOffset); // cycle walking: ends inside [0, size)
  const c = mulhi32(keys[keyOffset + ROTATION_WORD], size); // in [0, size)
  const t = size - c; // (x + c) mod size without exceeding 32 bits
  return x >= t ? x - t : x + c;
}

/**
 * Latin permutation keys for batch element b: PERMUTATION_KEY_WORDS words per dimension d, the Philox
 * blocks (c0 = d, c1 = 0..3) of stream PhiloxStream.latinKey (subsequence b + 2·2³²).
 */
export function latinKeys(seed: number, b: number, dims: number): Uint32Array {
  const keys = new Uint32Array(PERMUTATION_KEY_WORDS * dims);
  const block = new Uint32Array(4);
  for (let d = 0; d < dims; d++) {
    for (let q = 0; q < PERMUTATION_KEY_WORDS / 4; q++) {
      philoxBlock(seed, PhiloxStream.latinKey, b, d, q, block);
      keys.set(block, PERMUTATION_KEY_WORDS * d + 4 * q);
    }
  }
  return keys;
}
