/**
 * blackboxes.fromFunction and nested-array inputs: plain per-row functions (sync and async) smooth to the
 * same closed forms as hand-written boxes, on js and cpu (the cpu backend runs them through its user-box stream);
 * wrong sizes and non-finite outputs are ERR_BLACKBOX naming the row; options are validated.
 */
import test from 'ava';
import { blackboxes, distributions, smooth, SmoothingError, type BackendName } from '../lib/index.js';
import { nativeTest } from './helpers/native.js';
import { assertClose } from './helpers/stats.js';

const OPTS = { distribution: 'laplace', scale: 1, samples: 1 << 14, sampler: 'mc', covariate: 'loo', seed: 7 } as const;

// With γ = 1, d/dx E|x + ε| = 1 − 2F(−x) (= 1 − e^{−x} for Laplace at x ≥ 0), and E|x + ε| = x + e^{−x} there.
async function absClosedForm(t: import('ava').ExecutionContext, backend: BackendName, async: boolean): Promise<void> {
  const fn = (row: Float32Array) => Math.abs(row[0]) + 2 * Math.abs(row[1]);
  const box = blackboxes.fromFunction(async ? async (row: Float32Array) => fn(row) : fn, { inputSize: 2, outputSize: 1, name: 'abs-sum' });
  t.is(box.name, 'abs-sum');
  const x = [
    [0.5, 1.5],
    [2, 0.25],
  ];
  const s = smooth(box, { ...OPTS, backend });
  const out = await s.forward(x);
  t.is(out.backend, backend);
  const e = (v: number) => v + Math.exp(-v);
  const d = (v: number) => 1 - 2 * distributions.laplace.cdf(-v);
  assertClose(t, out.value, x.map(([a, b]) => e(a) + 2 * e(b)), out.stderr, 1e-5, `${backend} value`);
  const grad = await out.vjp(new Float32Array([1, 1]));
  const truth = x.flatMap(([a, b]) => [d(a), 2 * d(b)]);
  // vjp reports no error here; Var(f) ≤ 8.5 at these x (Laplace variance 2 per coordinate) and |s| = 1, so the
  // s.e. of each entry is ≤ √(8.5/2^14) ≈ 0.023: 0.12 is more than 5 s.e.
  assertClose(t, grad, truth, 0, 0.12, `${backend} gradient`);
}

test('fromFunction (sync, js): E|x+ε| closed form; nested x accepted', (t) => absClosedForm(t, 'js', false));
test('fromFunction (async, js): same closed form', (t) => absClosedForm(t, 'js', true));
nativeTest('cpu')('fromFunction (sync, cpu user-box stream): same closed form', (t) => absClosedForm(t, 'cpu', false));
nativeTest('cpu')('fromFunction (async, cpu user-box stream): same closed form', (t) => absClosedForm(t, 'cpu', true));

nativeTest('cpu')('fromFunction: js and cpu agree for the same seed (vector output)', async (t) => {
  const box = blackboxes.fromFunction((r) => [r[0] > 0 ? 1 : 0, Math.max(r[0], r[1]), r[2] * r[2]], { inputSize: 3, outputSize: 3 });
  const x = new Float32Array([0.1, -0.2, 0.3, 1, 2, -3]);
  const opts = { distribution: 'gaussian', scale: 0.5, samples: 256, sampler: 'rqmc-latin', covariate: 'fx', seed: 3 } as const;
  const [js, cpu] = await Promise.all([smooth(box, { ...opts, backend: 'js' }).forward(x), smooth(box, { ...opts, backend: 'cpu' }).forward(x)]);
  for (let k = 0; k < js.value.length; k++) t.true(Math.abs(js.value[k] - cpu.value[k]) <= 1e-4 * (1 + Math.abs(js.value[k])), `value ${k}: ${js.value[k]} vs ${cpu.value[k]}`);
  const v = new Float32Array(6).fill(1);
  const [gj, gc] = [await js.vjp(v), await cpu.vjp(v)];
  for (let k = 0; k < gj.length; k++) t.true(Math.abs(gj[k] - gc[k]) <= 1e-3 * (1 + Math.abs(gj[k])), `vjp ${k}: ${gj[k]} vs ${gc[k]}`);
});

test('nested x equals the flat x; ragged rows and non-numbers are errors naming the row', async (t) => {
  const box = blackboxes.argmax(3);
  const s = smooth(box, { distribution: 'gaussian', scale: 0.5, samples: 64, sampler: 'mc', covariate: 'none', seed: 1, backend: 'js' });
  const flat = await s.forward(new Float32Array([1, 2, 3, 3, 2, 1]));
  const nested = await s.forward([
    [1, 2, 3],
    [3, 2, 1],
  ]);
  t.deepEqual(Array.from(nested.value), Array.from(flat.value));
  const typedRows = await s.forward([new Float32Array([1, 2, 3]), new Float64Array([3, 2, 1])]);
  t.deepEqual(Array.from(typedRows.value), Array.from(flat.value));
  const ragged = await t.throwsAsync(s.forward([[1, 2, 3], [1, 2]]), { instanceOf: SmoothingError });
  t.is(ragged?.code, 'ERR_INVALID_ARGUMENT');
  t.is(ragged?.argument, 'x[1]');
  t.regex(ragged!.message, /row 1 of x has 2 numbers.*n = 3/);
  const strings = await t.throwsAsync(s.forward([[1, 2, 3], [1, '2', 3]] as unknown as number[][]), { instanceOf: SmoothingError });
  t.is(strings?.argument, 'x[1][1]');
  const nan = await t.throwsAsync(s.forward([[1, 2, 3], [1, Number.NaN, 3]]), { instanceOf: SmoothingError });
  t.regex(nan!.message, /x\[4\] is NaN/);
});

test('fromFunction: wrong output sizes and non-finite outputs are ERR_BLACKBOX naming the row', async (t) => {
  const opts = { distribution: 'gaussian', scale: 0.1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'js' } as const;
  const cases: Array<[string, (r: Float32Array) => unknown, number, RegExp]> = [
    ['too few', (r) => (r[0] > 100 ? [1, 2] : [1]), 2, /returned 1 values, but outputSize is 2 for row \d+ of this call/],
    ['number for m = 2', () => 1, 2, /a single number, but outputSize is 2/],
    ['NaN', (r) => (r[0] > 0.5 ? Number.NaN : 0), 1, /returned NaN for row \d+/],
    ['Infinity in an array', () => [0, Infinity], 2, /Infinity at output 1/],
    ['a string', () => 'x', 1, /"x", not a number/],
    ['async NaN', async () => Number.NaN, 1, /returned NaN for row 0/],
  ];
  for (const [label, fn, m, pattern] of cases) {
    const box = blackboxes.fromFunction(fn as (r: Float32Array) => number, { inputSize: 1, outputSize: m, name: label });
    const e = await t.throwsAsync(smooth(box, opts).forward([[1]]), { instanceOf: SmoothingError }, label);
    t.is(e?.code, 'ERR_BLACKBOX', label);
    t.regex(e!.message, pattern, label);
    t.regex(e!.message, /input Float32Array\(1\)/, `${label}: the message shows the row's input`);
  }
});

test('fromFunction: options are validated (SmoothingError before any work)', (t) => {
  const fn = (r: Float32Array) => r[0];
  const bad: Array<[unknown, unknown, string]> = [
    ['not a function', { inputSize: 1, outputSize: 1 }, 'fn'],
    [fn, undefined, 'options'],
    [fn, { inputSize: 0, outputSize: 1 }, 'options.inputSize'],
    [fn, { inputSize: 1, outputSize: '2' }, 'options.outputSize'],
    [fn, { inputSize: 1.5, outputSize: 1 }, 'options.inputSize'],
    [fn, { inputSize: 1, outputSize: 1, name: '' }, 'options.name'],
    [fn, { inputSize: 1, outputSize: 1, outputsize: 2 }, 'options.outputsize'],
    [fn, { inputSize: 1, outputSize: 1, maximizer: {} }, 'options.maximizer'],
  ];
  for (const [f, o, argument] of bad) {
    const e = t.throws(() => blackboxes.fromFunction(f as typeof fn, o as { inputSize: number; outputSize: number }), { instanceOf: SmoothingError });
    t.is(e?.code, 'ERR_INVALID_ARGUMENT');
    t.is(e?.argument, argument);
  }
  t.is(blackboxes.fromFunction(function myBox(r: Float32Array) { return r[0]; }, { inputSize: 1, outputSize: 1 }).name, 'myBox');
});

test('fromFunction: a synchronous fn works with forwardSync; an async one is refused there with ERR_UNSUPPORTED', (t) => {
  const opts = { distribution: 'gaussian', scale: 0.1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'js' } as const;
  const sync = smooth(blackboxes.fromFunction((r) => r[0], { inputSize: 1, outputSize: 1 }), opts);
  t.true(Number.isFinite(sync.forwardSync([[1]]).value[0]));
  const asyncBox = smooth(blackboxes.fromFunction(async (r) => r[0], { inputSize: 1, outputSize: 1 }), opts);
  const e = t.throws(() => asyncBox.forwardSync([[1]]), { instanceOf: SmoothingError });
  t.is(e?.code, 'ERR_UNSUPPORTED');
});
