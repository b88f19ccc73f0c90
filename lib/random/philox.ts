/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw, "Parallel Random Numbers:
 * As Easy as 1, 2, 3" (SC'11), as specified by Random123 and used by cuRAND's curandStatePhilox4_32_10_t.
 *
 * Mirrored one-to-one by native/core (C++/CUDA): only uint32 arithmetic (Math.imul, >>> 0, a 16-bit split
 * for the high half of 32×32 products) and plain doubles in a fixed order, so that words and uniforms are
 * bit-identical on every backend.
 */

/** Round multipliers (Salmon et al. 2011, Random123 PHILOX_M4x32_0/1). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
/** Weyl key increments (golden ratio and sqrt(3)−1, Random123 PHILOX_W32_0/1). */
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** 2⁻³², exact in double. */
export const TWO_POW_M32 = 1 / 4294967296;

/**
 * The one place that assigns Philox subsequences. A stream k uses subsequence b + 2³²·k, i.e. counter
 * words c2 = b (batch element), c3 = k, so streams never overlap whatever b is (b < 2³²).
 * The block (c0, c1) used inside each stream is documented next to its user.
 */
export const PhiloxStream = {
  /** `mc` uniforms: block (c0 = ⌊d/4⌋, c1 = i), word d mod 4 — cuRAND's curand_init(seed, b, 4·(i·2³² + ⌊d/4⌋) + d mod 4). */
  mc: 0,
  /** Latin / Cartesian jitter U(b, i, d): same (i, d) layout as mc. */
  jitter: 1,
  /** Latin permutation keys for (b, d): the 16 words of blocks (c0 = d, c1 = 0..3). */
  latinKey: 2,
  /** Sobol scrambling keys for (b, d): word d mod 4 of block (c0 = ⌊d/4⌋, c1 = 0). */
  sobolScramble: 3,
  /** Antithetic Latin flip bit for (b, j, d): top bit of word d mod 4 of block (c0 = ⌊d/4⌋, c1 = j). */
  antitheticFlip: 4,
} as const;
export type PhiloxStreamId = (typeof PhiloxStream)[keyof typeof PhiloxStream];

/** High 32 bits of the 64-bit product a·b (a, b uint32), via 16-bit halves so every partial is exact. */
export function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo; // each partial product < 2³², exact in double
  const hilo = aHi * bLo;
  const lohi = aLo * bHi;
  // Carry out of bit 32: the low 16-bit halves of the cross terms plus the top of lolo (< 3·2¹⁶).
  const carry = ((lolo >>> 16) + (hilo & 0xffff) + (lohi & 0xffff)) >>> 16;
  return (aHi * bHi + (hilo >>> 16) + (lohi >>> 16) + carry) >>> 0; // true high word, < 2³²
}

/**
 * Philox4x32 with 10 rounds: counter (c0..c3), key (k0, k1) → out[0..3].
 * Round (Random123 philox4x32round): (hi0,lo0) = M0·x0, (hi1,lo1) = M1·x2;
 * x ← (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0); the key is bumped by the Weyl constants between rounds.
 */
export function philox4x32_10(
  c0: number, c1: number, c2: number, c3: number,
  k0: number, k1: number,
  out: Uint32Array,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + PHILOX_W0) >>> 0;
      key1 = (key1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, x0);
    const lo0 = Math.imul(PHILOX_M0, x0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, x2);
    const lo1 = Math.imul(PHILOX_M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/** Low 32 bits of the seed (key word 0, as cuRAND's curand_init takes it). Exact for safe integers. */
export function seedLo(seed: number): number {
  return seed % 4294967296 >>> 0;
}

/** High 32 bits of the seed (key word 1). */
export function seedHi(seed: number): number {
  return Math.floor(seed / 4294967296) >>> 0;
}

/**
 * One Philox block of stream k for batch element b: counter (c0, c1, b, k), key = seed (lo, hi).
 * `out` receives the 4 words.
 */
export function philoxBlock(seed: number, k: number, b: number, c0: number, c1: number, out: Uint32Array): void {
  philox4x32_10(c0, c1, b, k, seedLo(seed), seedHi(seed), out);
}

const scratch = new Uint32Array(4);

/** Word (b, i, d) of stream k: word d mod 4 of block (c0 = ⌊d/4⌋, c1 = i), subsequence b + 2³²·k. */
export function philoxWord(seed: number, k: number, b: number, i: number, d: number): number {
  philoxBlock(seed, k, b, Math.floor(d / 4), i, scratch);
  return scratch[d % 4];
}

/** A uint32 word mapped to (0, 1) as (word + 0.5)·2⁻³²: never 0 or 1, exact in double. */
export function wordToUniform(word: number): number {
  return (word + 0.5) * TWO_POW_M32;
}

/** Uniform (b, i, d) of stream k in (0, 1). With k = PhiloxStream.mc this is the `mc` sampler's u. */
export function philoxUniform(seed: number, k: number, b: number, i: number, d: number): number {
  return wordToUniform(philoxWord(seed, k, b, i, d));
}
