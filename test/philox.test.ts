import test from 'ava';
import {
  PhiloxStream, TWO_POW_M32, mulhi32, philox4x32_10, philoxUniform, philoxWord, seedHi, seedLo,
} from '../lib/random/philox.js';
import { samplePoints } from '../lib/samplers.js';
import { fixtureRows } from './helpers/fixtures.js';

const hex = (words: Uint32Array): string[] => Array.from(words, (w) => w.toString(16).padStart(8, '0'));

// Known-answer vectors: Random123 (D. E. Shaw Research), tests/kat_vectors, the three "philox4x32 10" lines, in
// test/fixtures/philox.json (shared with native/test/core_test.cc). Columns: counter (4 words), key (2 words), output.
const KAT = fixtureRows('philox.json', 'philox4x32_10', 10);

for (const w of KAT) {
  test(`Random123 KAT: counter ${hex(Uint32Array.from(w.slice(0, 4))).join(' ')} key ${hex(Uint32Array.from(w.slice(4, 6))).join(' ')}`, (t) => {
    const out = new Uint32Array(4);
    philox4x32_10(w[0], w[1], w[2], w[3], w[4], w[5], out);
    t.deepEqual(hex(out), hex(Uint32Array.from(w.slice(6))));
  });
}

test('mulhi32 equals the high word of the exact 64-bit product (BigInt reference)', (t) => {
  const values = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xd2511f53, 0xcd9e8d57, 0x12345678, 0x9abcdef0];
  let state = 12345;
  for (let n = 0; n < 2000; n++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values.push(state);
  }
  for (let n = 0; n + 1 < values.length; n++) {
    for (const [a, b] of [[values[n], values[n + 1]], [values[n], values[n]], [values[n], 0xffffffff]]) {
      const expected = Number((BigInt(a) * BigInt(b)) >> 32n);
      if (mulhi32(a, b) !== expected) t.fail(`mulhi32(${a}, ${b}) = ${mulhi32(a, b)}, expected ${expected}`);
    }
  }
  t.pass();
});

test('the seed is the key as (low, high) 32-bit words', (t) => {
  for (const seed of [0, 1, 0xffffffff, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
    const big = BigInt(seed);
    t.is(seedLo(seed), Number(big & 0xffffffffn));
    t.is(seedHi(seed), Number(big >> 32n));
  }
});

test('stream ids are distinct, and mc is stream 0 (subsequence = b)', (t) => {
  const ids = Object.values(PhiloxStream);
  t.is(new Set(ids).size, ids.length);
  t.is(PhiloxStream.mc, 0);
  t.deepEqual(
    { jitter: PhiloxStream.jitter, latinKey: PhiloxStream.latinKey, sobolScramble: PhiloxStream.sobolScramble, antitheticFlip: PhiloxStream.antitheticFlip },
    { jitter: 1, latinKey: 2, sobolScramble: 3, antitheticFlip: 4 },
  );
});

test('layout: uniform (b, i, d) is word d mod 4 of philox4x32_10(c0 = ⌊d/4⌋, c1 = i, c2 = b, c3 = 0; seed lo, hi)', (t) => {
  const out = new Uint32Array(4);
  for (const seed of [0, 7, 2 ** 40 + 12345]) {
    const k0 = Number(BigInt(seed) & 0xffffffffn);
    const k1 = Number(BigInt(seed) >> 32n);
    for (const b of [0, 1, 5]) {
      const dims = 11;
      const samples = 6;
      const u = samplePoints({ sampler: 'mc', samples, dims, seed, index: b });
      for (let i = 0; i < samples; i++) {
        for (let d = 0; d < dims; d++) {
          philox4x32_10(Math.floor(d / 4), i, b, 0, k0, k1, out);
          const expected = (out[d % 4] + 0.5) / 2 ** 32;
          t.is(u[i * dims + d], expected);
          t.is(philoxUniform(seed, PhiloxStream.mc, b, i, d), expected);
        }
      }
    }
  }
});

test('layout: other streams put k in counter word 3 (subsequence b + 2^32·k)', (t) => {
  const out = new Uint32Array(4);
  for (const k of [1, 2, 3, 4]) {
    philox4x32_10(2, 9, 3, k, 42, 0, out);
    t.is(philoxWord(42, k, 3, 9, 10), out[2]);
    t.is(philoxUniform(42, k, 3, 9, 10), (out[2] + 0.5) * TWO_POW_M32);
  }
  t.not(philoxWord(42, 0, 3, 9, 10), philoxWord(42, 1, 3, 9, 10));
});

test('mc uniforms: 1e5 draws in (0,1) with mean ≈ 1/2 and variance ≈ 1/12', (t) => {
  const u = samplePoints({ sampler: 'mc', samples: 25000, dims: 4, seed: 2024 });
  const n = u.length;
  let sum = 0;
  let sumSq = 0;
  for (const x of u) {
    if (!(x > 0 && x < 1)) t.fail(`u = ${x} outside (0, 1)`);
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  // Standard errors: sqrt(1/12/n) ≈ 9.1e-4 for the mean, sqrt((1/80 − 1/144)/n) ≈ 2.4e-4 for the variance;
  // allow about 5.5 standard errors.
  t.true(Math.abs(mean - 0.5) < 5e-3, `mean ${mean}`);
  t.true(Math.abs(variance - 1 / 12) < 1.3e-3, `variance ${variance}`);
});
