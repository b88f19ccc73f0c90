/**
 * The six samplers of u ∈ (0,1)^{S×n} (docs/design.md, "Randomness contract"; docs/method.md §3).
 * Every value is a pure function of (seed, sampler, S, n, b, i, d): a UniformSource can fill any block of
 * rows, in any order, and always produce the rows of the full matrix. Antithetic pairs live inside each
 * sampler: rows 2j and 2j+1 form pair j, and row 2j+1 = 1 − row 2j (exact in double).
 */
import { SmoothingError, invalid } from './errors.js';
import type { SamplerName } from './types.js';
import { snapshotOptions } from './validate.js';
import { PhiloxStream, philox4x32_10, seedHi, seedLo, wordToUniform } from './random/philox.js';
import { PERMUTATION_KEY_WORDS as KW, latinKeys, permute } from './random/permutation.js';
import { owenScramble, scrambleKeys } from './random/scramble.js';
import { SOBOL_MAX_DIMS, sobolDirections, sobolInt, sobolPoint } from './random/sobol.js';

export const SAMPLER_NAMES: readonly SamplerName[] = Object.freeze([
  'mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian', 'sobol', 'rqmc-sobol',
] as const);

export interface SamplerSpec {
  sampler: SamplerName;
  samples: number;
  dims: number;
  seed: number;
  antithetic: boolean;
}

export interface UniformSource {
  readonly spec: SamplerSpec;
  /** rows [start, start+count) of the S×dims matrix for batch element b, row-major into out */
  fill(b: number, start: number, count: number, out: Float64Array): void;
}

/** Sample counts, indices and batch elements are 32-bit on every backend. */
const MAX_UINT32 = 4294967295;

// ---------------------------------------------------------------------------------------------------------
// Validation

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function typeProblem(value: unknown): string {
  return typeof value === 'number' ? '' : ` (got a ${value === null ? 'null' : typeof value}; numbers are not coerced)`;
}

/** k^n, or Infinity once it exceeds 2³² (avoids inexact huge powers). */
function ipow(k: number, n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) {
    r *= k;
    if (r > MAX_UINT32) return Infinity;
  }
  return r;
}

/** Largest k ≥ 1 with k^n ≤ S. */
function integerRoot(S: number, n: number): number {
  let k = Math.max(1, Math.floor(Math.pow(S, 1 / n)));
  while (ipow(k + 1, n) <= S) k++;
  while (k > 1 && ipow(k, n) > S) k--;
  return k;
}

/** "729 (9^3) and 1000 (10^3)" for the valid counts k^n with k in ks (those below 2³²). */
function listCounts(ks: number[], n: number): string {
  const valid = ks.filter((k) => k >= 2 && ipow(k, n) <= MAX_UINT32).map((k) => `${ipow(k, n)} (${k}^${n})`);
  return valid.join(' and ');
}

/** The grid side k of rqmc-cartesian (S = k^n), or a SmoothingError naming the nearest valid counts. */
function validateCartesian(S: number, n: number, antithetic: boolean, prefix: string): number {
  if (ipow(2, n) > MAX_UINT32) {
    throw invalid(`${prefix}.dims`, n, `rqmc-cartesian needs samples = k^dims < 2^32 with k ≥ 2, impossible for dims = ${n}.`,
      'use rqmc-latin or rqmc-sobol in high dimensions');
  }
  const k = integerRoot(S, n);
  if (k < 2 || ipow(k, n) !== S) {
    const near = k < 2 ? `the smallest valid count is ${listCounts([2], n)}` : `nearest valid counts are ${listCounts([k, k + 1], n)}`;
    throw invalid(`${prefix}.samples`, S, `samples must be k^${n} for dims = ${n}: ${near}.`,
      `pass samples = k^${n} for an integer k ≥ 2 (one point per cell of a k×…×k grid)`);
  }
  if (antithetic && k % 2 === 1) {
    throw invalid(`${prefix}.samples`, S,
      `antithetic rqmc-cartesian needs an even k (samples = k^${n}, here k = ${k}): the mirror of cell c is k−1−c, so with odd k the centre cell would pair with itself.`,
      `use an even k: nearest valid counts are ${listCounts([k - 1, k + 1], n)}, or antithetic: false`);
  }
  return k;
}

/** Throws a SmoothingError naming `${argumentPrefix}.<field>`, the value and the fix. */
export function validateSamplerSpec(spec: SamplerSpec, argumentPrefix = 'options'): void {
  const p = argumentPrefix;
  if (typeof spec !== 'object' || spec === null) {
    throw invalid(p, spec, 'sampler options must be an object.', "pass { sampler: 'mc', samples: 1024, dims: 3, seed: 0, antithetic: false }");
  }
  const { sampler, samples, dims, seed, antithetic } = spec as unknown as Record<string, unknown>;
  if (typeof sampler !== 'string' || !(SAMPLER_NAMES as readonly string[]).includes(sampler)) {
    throw invalid(`${p}.sampler`, sampler, 'unknown sampler.', `use one of ${SAMPLER_NAMES.map((s) => `'${s}'`).join(', ')}`);
  }
  if (!isIntegerIn(samples, 1, MAX_UINT32)) {
    throw invalid(`${p}.samples`, samples, `samples must be a positive integer number below 2^32${typeProblem(samples)}.`,
      'pass a number such as 1024');
  }
  if (!isIntegerIn(dims, 1, MAX_UINT32)) {
    throw invalid(`${p}.dims`, dims, `dims must be a positive integer number${typeProblem(dims)}.`, 'pass the input dimension n, e.g. 3');
  }
  if (!isIntegerIn(seed, 0, Number.MAX_SAFE_INTEGER)) {
    throw invalid(`${p}.seed`, seed, `seed must be a non-negative safe integer${typeProblem(seed)}.`, 'pass an integer such as 0 or 42');
  }
  if (typeof antithetic !== 'boolean') {
    throw invalid(`${p}.antithetic`, antithetic, 'antithetic must be a boolean.', 'pass true or false');
  }
  if ((sampler === 'sobol' || sampler === 'rqmc-sobol') && dims > SOBOL_MAX_DIMS) {
    throw new SmoothingError('ERR_UNSUPPORTED', `${sampler} supports at most ${SOBOL_MAX_DIMS} dimensions (the Joe–Kuo table).`, {
      argument: `${p}.dims`, value: dims, fix: 'use rqmc-latin (any dimension) or reduce dims',
    });
  }
  if (sampler === 'rqmc-cartesian') validateCartesian(samples, dims, antithetic, p);
  if (antithetic && samples % 2 !== 0) {
    throw invalid(`${p}.samples`, samples, 'antithetic sampling pairs rows (u, 1 − u), so samples must be even.',
      'use an even sample count, e.g. 1024');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rows. A RowFn writes base row j (sample j, or pair j when antithetic) of batch element b at out[offset..].

type RowFn = (j: number, out: Float64Array, offset: number) => void;

/** Philox uniforms of `stream` at (b, i, d) for d < dims: word d mod 4 of block (⌊d/4⌋, i). */
function philoxRow(seed: number, stream: number, b: number, i: number, dims: number, block: Uint32Array, out: Float64Array, o: number): void {
  const k0 = seedLo(seed);
  const k1 = seedHi(seed);
  for (let d = 0; d < dims; d += 4) {
    philox4x32_10(d / 4, i, b, stream, k0, k1, block);
    const words = Math.min(4, dims - d);
    for (let w = 0; w < words; w++) out[o + d + w] = wordToUniform(block[w]);
  }
}

/** The same layout as philoxRow, keeping only the top bit of each word (0 or 1). */
function philoxTopBits(seed: number, stream: number, b: number, i: number, dims: number, block: Uint32Array, out: Uint8Array): void {
  const k0 = seedLo(seed);
  const k1 = seedHi(seed);
  for (let d = 0; d < dims; d += 4) {
    philox4x32_10(d / 4, i, b, stream, k0, k1, block);
    const words = Math.min(4, dims - d);
    for (let w = 0; w < words; w++) out[d + w] = block[w] >>> 31;
  }
}

function mcRows(spec: SamplerSpec, b: number): RowFn {
  const block = new Uint32Array(4);
  return (i, out, o) => philoxRow(spec.seed, PhiloxStream.mc, b, i, spec.dims, block, out, o);
}

/** Latin: u_id = (π_d(i) + U_id)/S, U = ½ (qmc) or the jitter stream at (b, i, d) (rqmc). */
function latinRows(spec: SamplerSpec, b: number, jitter: boolean): RowFn {
  const { samples: S, dims, seed } = spec;
  const keys = latinKeys(seed, b, dims);
  const block = new Uint32Array(4);
  return (i, out, o) => {
    if (jitter) philoxRow(seed, PhiloxStream.jitter, b, i, dims, block, out, o);
    for (let d = 0; d < dims; d++) {
      const U = jitter ? out[o + d] : 0.5;
      out[o + d] = (permute(i, S, keys, KW * d) + U) / S;
    }
  };
}

/**
 * Antithetic Latin, pair j: p = π'_d(j) permutes {0..S/2−1}; a flip bit (top bit of word d mod 4 of block
 * (⌊d/4⌋, j), stream antitheticFlip) picks the base stratum r = p or S−1−p; the mirror row lands in S−1−r.
 * So every stratum is hit once per dimension and either member of a pair may be the low one.
 */
function antitheticLatinRows(spec: SamplerSpec, b: number, jitter: boolean): RowFn {
  const { samples: S, dims, seed } = spec;
  const half = S / 2;
  const keys = latinKeys(seed, b, dims);
  const block = new Uint32Array(4);
  const flips = new Uint8Array(dims);
  return (j, out, o) => {
    philoxTopBits(seed, PhiloxStream.antitheticFlip, b, j, dims, block, flips);
    if (jitter) philoxRow(seed, PhiloxStream.jitter, b, j, dims, block, out, o);
    for (let d = 0; d < dims; d++) {
      const p = permute(j, half, keys, KW * d);
      const r = flips[d] === 1 ? S - 1 - p : p;
      const U = jitter ? out[o + d] : 0.5;
      out[o + d] = (r + U) / S;
    }
  };
}

/** Cartesian, S = k^n: row i is cell i with base-k digits c_d (d = 0 least significant), u = (c_d + U)/k. */
function cartesianRows(spec: SamplerSpec, b: number, k: number): RowFn {
  const { dims, seed } = spec;
  const block = new Uint32Array(4);
  return (i, out, o) => {
    philoxRow(seed, PhiloxStream.jitter, b, i, dims, block, out, o);
    let rest = i;
    for (let d = 0; d < dims; d++) {
      const c = rest % k;
      rest = (rest - c) / k;
      out[o + d] = (c + out[o + d]) / k;
    }
  };
}

/**
 * Antithetic Cartesian (k even), pair j: the cells with c_0 < k/2, c_0 = j mod (k/2) and the higher digits
 * from ⌊j/(k/2)⌋ in base k; the mirror row 1 − u is the cell k−1−c in every coordinate.
 */
function antitheticCartesianRows(spec: SamplerSpec, b: number, k: number): RowFn {
  const { dims, seed } = spec;
  const h = k / 2;
  const block = new Uint32Array(4);
  return (j, out, o) => {
    philoxRow(seed, PhiloxStream.jitter, b, j, dims, block, out, o);
    const c0 = j % h;
    let rest = (j - c0) / h;
    out[o] = (c0 + out[o]) / k;
    for (let d = 1; d < dims; d++) {
      const c = rest % k;
      rest = (rest - c) / k;
      out[o + d] = (c + out[o + d]) / k;
    }
  };
}

/**
 * Plain Sobol: the same deterministic points for every b and seed. Any S is accepted; S = 2^m gives a
 * (t, m, n)-net (each 1-D projection hits every interval of width 2^−m once), other S just a prefix.
 */
function sobolRows(spec: SamplerSpec, v: Uint32Array): RowFn {
  const { dims } = spec;
  return (i, out, o) => {
    for (let d = 0; d < dims; d++) out[o + d] = sobolPoint(v, i, d);
  };
}

/** Owen-scrambled Sobol per (seed, b, d), centred in the finest cell: u = (scrambled + ½)·2⁻³² ∈ (0, 1). */
function scrambledSobolRows(spec: SamplerSpec, b: number, v: Uint32Array): RowFn {
  const { dims, seed } = spec;
  const keys = scrambleKeys(seed, b, dims);
  return (i, out, o) => {
    for (let d = 0; d < dims; d++) out[o + d] = wordToUniform(owenScramble(sobolInt(v, i, d), keys[d]));
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sources

function checkFillArgs(spec: SamplerSpec, b: number, start: number, count: number, out: Float64Array): void {
  if (!isIntegerIn(b, 0, MAX_UINT32)) throw invalid('b', b, 'the batch element must be an integer in [0, 2^32).', 'pass 0, 1, …');
  if (!isIntegerIn(start, 0, spec.samples)) throw invalid('start', start, `start must be an integer in [0, ${spec.samples}].`, 'pass a row index');
  if (!isIntegerIn(count, 0, spec.samples - start)) {
    throw invalid('count', count, `count must be an integer with start + count ≤ samples = ${spec.samples}.`, 'fill fewer rows');
  }
  if (!(out instanceof Float64Array) || out.length < count * spec.dims) {
    throw invalid('out', out, `out must be a Float64Array of at least count × dims = ${count * spec.dims} values.`, 'allocate a larger buffer');
  }
}

/** Validates, precomputes what does not depend on b or S (Sobol direction numbers), returns the source. */
export function createSampler(spec: SamplerSpec): UniformSource {
  validateSamplerSpec(spec);
  const frozen: SamplerSpec = Object.freeze({
    sampler: spec.sampler, samples: spec.samples, dims: spec.dims, seed: spec.seed, antithetic: spec.antithetic,
  });
  const { sampler, antithetic, dims } = frozen;
  const v = sampler === 'sobol' || sampler === 'rqmc-sobol' ? sobolDirections(dims) : undefined;
  const k = sampler === 'rqmc-cartesian' ? validateCartesian(frozen.samples, dims, antithetic, 'options') : 0;

  const rowsFor = (b: number): RowFn => {
    switch (sampler) {
      case 'mc': return mcRows(frozen, b);
      case 'qmc-latin': return antithetic ? antitheticLatinRows(frozen, b, false) : latinRows(frozen, b, false);
      case 'rqmc-latin': return antithetic ? antitheticLatinRows(frozen, b, true) : latinRows(frozen, b, true);
      case 'rqmc-cartesian': return antithetic ? antitheticCartesianRows(frozen, b, k) : cartesianRows(frozen, b, k);
      case 'sobol': return sobolRows(frozen, v!);
      case 'rqmc-sobol': return scrambledSobolRows(frozen, b, v!);
    }
  };

  return {
    spec: frozen,
    fill(b, start, count, out) {
      checkFillArgs(frozen, b, start, count, out);
      const row = rowsFor(b);
      for (let r = 0; r < count; r++) {
        const i = start + r;
        const o = r * dims;
        if (!antithetic) {
          row(i, out, o);
          continue;
        }
        row(Math.floor(i / 2), out, o); // pair j = ⌊i/2⌋; the odd member is the mirror 1 − u
        if (i % 2 === 1) for (let d = 0; d < dims; d++) out[o + d] = 1 - out[o + d];
      }
    },
  };
}

/** The raw u of a sampler for batch element `index`: a samples×dims Float64Array, row-major. */
export function samplePoints(options: {
  sampler: SamplerName;
  samples: number;
  dims: number;
  seed?: number;
  antithetic?: boolean;
  index?: number;
}): Float64Array {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', options, 'samplePoints takes an options object.', "pass { sampler: 'sobol', samples: 1024, dims: 2 }");
  }
  // Each option read once, own properties only (nothing inherited from Object.prototype).
  const { sampler, samples, dims, seed = 0, antithetic = false, index = 0 } = snapshotOptions(options, 'options') as typeof options;
  if (!isIntegerIn(index, 0, MAX_UINT32)) {
    throw invalid('options.index', index, `index (the batch element b) must be an integer in [0, 2^32)${typeProblem(index)}.`, 'pass 0, 1, …');
  }
  const source = createSampler({ sampler, samples, dims, seed, antithetic });
  let out: Float64Array;
  try {
    out = new Float64Array(samples * dims);
  } catch (cause) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `samples × dims = ${samples * dims} values are too many to materialise.`, {
      argument: 'options.samples', value: samples, fix: 'use fewer samples, or createSampler(...).fill in chunks', cause,
    });
  }
  source.fill(index, 0, samples, out);
  return out;
}
