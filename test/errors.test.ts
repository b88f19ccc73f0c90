/** Bad input: every case is a SmoothingError with the right code, raised before any work, and the smoother keeps working. */
import test from 'ava';
import { blackboxes, smooth, SmoothingError, type BlackBox, type SmoothOptions } from '../lib/index.js';

const base: SmoothOptions = { distribution: 'gaussian', scale: 0.5, samples: 64, sampler: 'rqmc-latin', covariate: 'loo' };
const f = blackboxes.permutation(3);
const x = new Float32Array([0.1, 0.2, 0.3]);

function expectError(t: import('ava').ExecutionContext, fn: () => unknown, code: string, mention?: RegExp): void {
  const err = t.throws(fn as () => void);
  t.true(err instanceof SmoothingError, `not a SmoothingError: ${String(err)}`);
  t.is((err as SmoothingError).code as string, code, (err as Error).message);
  if (mention) t.regex((err as Error).message, mention);
}

const optionCases: Array<[string, Partial<Record<keyof SmoothOptions, unknown>>, string, RegExp]> = [
  ['samples = 0', { samples: 0 }, 'ERR_INVALID_ARGUMENT', /options\.samples/],
  ['samples negative', { samples: -4 }, 'ERR_INVALID_ARGUMENT', /options\.samples/],
  ['samples fractional', { samples: 1.5 }, 'ERR_INVALID_ARGUMENT', /options\.samples/],
  ['samples as a numeric string', { samples: '1024' }, 'ERR_INVALID_ARGUMENT', /options\.samples.*"1024"/],
  ['samples NaN', { samples: Number.NaN }, 'ERR_INVALID_ARGUMENT', /options\.samples/],
  ['loo with S = 1', { samples: 1, covariate: 'loo' }, 'ERR_INVALID_ARGUMENT', /samples ≥ 2/],
  ['cartesian with S ≠ k^n', { sampler: 'rqmc-cartesian', samples: 1000 + 1 }, 'ERR_INVALID_ARGUMENT', /1000/],
  ['antithetic with odd S', { antithetic: true, samples: 63 }, 'ERR_INVALID_ARGUMENT', /even/],
  ['antithetic with gumbel', { antithetic: true, distribution: 'gumbel' }, 'ERR_INVALID_ARGUMENT', /symmetric/],
  ['scale 0', { scale: 0 }, 'ERR_INVALID_ARGUMENT', /scale/],
  ['scale negative', { scale: -1 }, 'ERR_INVALID_ARGUMENT', /scale/],
  ['scale NaN', { scale: Number.NaN }, 'ERR_INVALID_ARGUMENT', /scale/],
  ['scale Infinity', { scale: Number.POSITIVE_INFINITY }, 'ERR_INVALID_ARGUMENT', /scale/],
  ['diagonal scale of wrong length', { scale: new Float32Array([1, 1]) }, 'ERR_INVALID_ARGUMENT', /length 3/],
  ['diagonal scale with a zero', { scale: new Float32Array([1, 0, 1]) }, 'ERR_INVALID_ARGUMENT', /σ/],
  ['singular L', { scale: { matrix: new Float32Array([1, 2, 3, 2, 4, 6, 0, 0, 1]) } }, 'ERR_INVALID_ARGUMENT', /singular/],
  ['L of wrong size', { scale: { matrix: new Float32Array(4) } }, 'ERR_INVALID_ARGUMENT', /n×n = 9/],
  ['unknown distribution', { distribution: 'normal' }, 'ERR_INVALID_ARGUMENT', /distribution/],
  ['uniform distribution', { distribution: 'uniform' }, 'ERR_UNSUPPORTED', /absolutely continuous/],
  ['unknown sampler', { sampler: 'halton' }, 'ERR_INVALID_ARGUMENT', /sampler/],
  ['sampler with the wrong case', { sampler: 'MC' }, 'ERR_INVALID_ARGUMENT', /did you mean 'mc'/],
  ['unknown covariate', { covariate: 'mean' }, 'ERR_INVALID_ARGUMENT', /covariate/],
  ['unknown backend', { backend: 'gpu' }, 'ERR_INVALID_ARGUMENT', /backend/],
  ['unavailable backend', { backend: 'cuda' }, 'ERR_BACKEND_UNAVAILABLE', /cuda/],
  ['seed negative', { seed: -1 }, 'ERR_INVALID_ARGUMENT', /seed/],
  ['seed fractional', { seed: 0.5 }, 'ERR_INVALID_ARGUMENT', /seed/],
  ['antithetic not a boolean', { antithetic: 'yes' }, 'ERR_INVALID_ARGUMENT', /antithetic/],
  ['misspelt option', { sample: 64 } as never, 'ERR_INVALID_ARGUMENT', /unknown option 'sample'/],
  ['missing scale (the one option without a default)', { scale: undefined }, 'ERR_INVALID_ARGUMENT', /options\.scale is required/],
];

for (const [label, patch, code, mention] of optionCases) {
  test(`smooth() rejects ${label}`, (t) => {
    expectError(t, () => smooth(f, { ...base, ...patch } as SmoothOptions), code, mention);
  });
}

test('smooth() rejects malformed black boxes', (t) => {
  expectError(t, () => smooth(null as unknown as BlackBox, base), 'ERR_INVALID_ARGUMENT');
  expectError(t, () => smooth({ name: 'x', inputSize: 0, outputSize: 1, evaluate() {} }, base), 'ERR_INVALID_ARGUMENT', /inputSize/);
  expectError(t, () => smooth({ name: 'x', inputSize: 2, outputSize: 1 } as unknown as BlackBox, base), 'ERR_INVALID_ARGUMENT', /evaluate/);
});

const forwardCases: Array<[string, unknown, unknown, RegExp]> = [
  ['NaN in x', new Float32Array([0.1, Number.NaN, 0.3]), undefined, /x\[1\]/],
  ['Infinity in x', new Float32Array([0.1, 0.2, Number.POSITIVE_INFINITY]), undefined, /x\[2\]/],
  ['a length that is not a multiple of n', new Float32Array([0.1, 0.2]), undefined, /multiple/],
  ['an empty x', new Float32Array(0), undefined, /empty/],
  ['x as a string', '0.1,0.2,0.3', undefined, /Float32Array/],
  ['batch disagreeing with x', x, { batch: 2 }, /batch/],
  ['seed as a string', x, { seed: '3' }, /seed/],
  ['signal that is not an AbortSignal', x, { signal: {} }, /AbortSignal/],
  ['unknown forward option', x, { samples: 3 }, /unknown option/],
];

for (const [label, input, options, mention] of forwardCases) {
  test(`forward() rejects ${label}`, async (t) => {
    const s = smooth(f, base);
    const err = await t.throwsAsync(s.forward(input as Float32Array, options as never));
    t.true(err instanceof SmoothingError);
    t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
    t.regex(err!.message, mention);
    const ok = await s.forward(x);
    t.is(ok.value.length, 9, 'the smoother still works afterwards');
  });
}

test('vjp / jvp / scaleGradient reject wrong lengths and NaN', async (t) => {
  const out = await smooth(f, base).forward(x);
  for (const [label, run] of [
    ['vjp length', () => out.vjp(new Float32Array(3))],
    ['vjp NaN', () => out.vjp(new Float32Array(9).fill(Number.NaN))],
    ['jvp length', () => out.jvp(new Float32Array(9))],
    ['scaleGradient length', () => out.scaleGradient(new Float32Array(2))],
  ] as const) {
    const err = await t.throwsAsync(run());
    t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT', label);
  }
  t.is((await out.vjp(new Float32Array(9).fill(1))).length, 3, 'still works afterwards');
});

test('a user black box that throws or writes too little is ERR_BLACKBOX, and the smoother still works', async (t) => {
  let mode: 'throw' | 'short' | 'nan' | 'ok' = 'throw';
  const user: BlackBox = {
    name: 'flaky',
    inputSize: 2,
    outputSize: 2,
    evaluate(inputs, count, outputs) {
      if (mode === 'throw') throw new Error('renderer crashed');
      const rows = mode === 'short' ? count - 1 : count;
      for (let i = 0; i < rows; i++) {
        outputs[2 * i] = inputs[2 * i] > 0 ? 1 : 0;
        outputs[2 * i + 1] = mode === 'nan' ? Number.NaN : 1;
      }
    },
  };
  const s = smooth(user, { ...base, samples: 32 });
  const input = new Float32Array([0.1, 0.2]);
  for (const [m, mention] of [['throw', /renderer crashed/], ['short', /left output/], ['nan', /NaN/]] as const) {
    mode = m;
    const err = await t.throwsAsync(s.forward(input));
    t.true(err instanceof SmoothingError);
    t.is((err as SmoothingError).code, 'ERR_BLACKBOX', m);
    t.regex(err!.message, mention);
  }
  mode = 'ok';
  const ok = await s.forward(input);
  t.is(ok.value.length, 2);
  t.true(ok.value[1] === 1);
});

test('a custom distribution runs on js, and a malformed one is rejected', async (t) => {
  const logisticByHand = { name: 'my-logistic', symmetric: true, icdf: (u: number) => Math.log(u / (1 - u)), scoreFromU: (u: number) => 2 * u - 1 };
  const a = await smooth(f, { ...base, distribution: logisticByHand }).forward(x);
  const b = await smooth(f, { ...base, distribution: 'logistic' }).forward(x);
  for (let k = 0; k < 9; k++) t.true(Math.abs(a.value[k] - b.value[k]) < 1e-6);
  expectError(t, () => smooth(f, { ...base, distribution: { name: 'broken', symmetric: true, icdf: (u: number) => u } as never }), 'ERR_INVALID_ARGUMENT', /scoreFromU/);
  const bad = { name: 'bad', symmetric: true, icdf: () => Number.NaN, scoreFromU: () => 0 };
  const err = await t.throwsAsync(smooth(f, { ...base, distribution: bad }).forward(x));
  t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
});
