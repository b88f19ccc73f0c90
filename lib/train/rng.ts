/**
 * A tiny seeded pseudo-random generator for the training-data generators (MNIST ranking sets, terrain
 * maps). It only has to be fast, deterministic per seed and identical on every platform, so that a data
 * set is named by its seed; it is NOT the library's sampling RNG (lib/random/ holds Philox and Sobol).
 *
 * Core: splitmix32 (a 32-bit Weyl sequence, step 0x9e3779b9, through a two-round multiply–xorshift
 * finaliser). Every state is visited once per 2³² calls and the finaliser decorrelates nearby seeds,
 * so seeds 1, 2, 3 give unrelated streams.
 */
import { invalid } from '../errors.js';

export interface Rng {
  /** A uniform number in [0, 1) with 32 random bits. */
  next(): number;
  /** A uniform integer in 0 .. n-1 (n a positive integer ≤ 2³²). */
  int(n: number): number;
  /** A standard normal number (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number;
}

const TWO_32 = 4294967296;

/**
 * A generator seeded by `seed`, any safe integer (negative ones too). Same seed, same stream.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when seed is not a safe integer number.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw invalid('seed', seed, 'createRng(seed): seed must be a safe integer number.', 'pass an integer seed such as 42');
  }
  // Fold the high bits in as well, so that seeds 2³² apart do not share a stream.
  const high = Math.floor(seed / TWO_32) | 0;
  let state = ((seed >>> 0) ^ Math.imul(high, 0x85ebca6b)) >>> 0;
  let spare: number | undefined;

  function next(): number {
    state = (state + 0x9e3779b9) | 0;
    let t = state ^ (state >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return (t >>> 0) / TWO_32;
  }

  function int(n: number): number {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > TWO_32) {
      throw invalid('n', n, 'rng.int(n): n must be a positive integer number ≤ 2³².', 'pass the number of choices, e.g. 10');
    }
    // next() has 32 bits, so the bias of this multiply-floor is below n / 2³²: irrelevant for data generation.
    return Math.floor(next() * n);
  }

  function normal(): number {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u1 = 1 - next(); // in (0, 1]: log(u1) is finite
    const u2 = next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  return { next, int, normal };
}
