/**
 * Standard errors of the backward passes computed by the native engines themselves (native/core/accumulate.h
 * square_*; the cpu engine, and the cuda engine's tile code over the EMULATED device when that addon is built):
 * the same figures as the js reference engine for the same seed (the estimate parity tolerance of
 * native-parity.test.ts) over every covariate × sampler × scale kind × vjp/jacobian/jvp/scaleGradient, antithetic
 * on and off, built-in boxes on each of the engine's paths and a user box (the native user stream); bit-identical
 * for 1 and 3 threads; the estimate returned with its stderr is bit for bit the plain one; and the js engine is not
 * called (the cpu backend no longer falls back to it).
 */
import avaTest, { type ExecutionContext } from 'ava';
import { backendsUnderTest } from './helpers/backends-under-test.js';
import { sameBytes } from './helpers/bits.js';
import { blackboxes, smooth, type BlackBox, type CovariateName, type SamplerName, type SmoothOptions } from '../lib/index.js';
import { jsBackend } from '../lib/backends/js/backend.js';
import type { Backend } from '../lib/plan.js';
import { nativeTest } from './helpers/native.js';

const test = nativeTest('cpu'); // registers a failing test when REQUIRE_NATIVE=1 and cpu is missing
const cpuSerial = test === avaTest ? avaTest.serial : avaTest.skip;
/** cpu (required under REQUIRE_NATIVE=1) and cuda (emulated device, or a real one) where available. */
const NATIVE = backendsUnderTest().names.filter((name): name is 'cpu' | 'cuda' => name !== 'js');
const COVARIATES: CovariateName[] = ['none', 'fx', 'loo'];
const SAMPLERS: SamplerName[] = ['mc', 'rqmc-latin', 'sobol', 'rqmc-cartesian'];

/** Counts the js engine's backward calls: with native standard errors there must be none. */
const jsCalls = { count: 0 };
for (const op of ['vjp', 'jacobian', 'jvp', 'scaleGradient'] as const) {
  const original = jsBackend[op] as (...args: unknown[]) => unknown;
  (jsBackend as unknown as Record<string, unknown>)[op] = function (this: Backend, ...args: unknown[]) {
    jsCalls.count++;
    return original.apply(this, args);
  };
}

function close(t: ExecutionContext, a: Float32Array, b: Float32Array, label: string, tol = 1e-4): void {
  t.is(a.length, b.length, label);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / (1 + Math.abs(b[k])));
  t.true(worst <= tol, `${label}: max relative difference ${worst}`);
}

function same(t: ExecutionContext, a: Float32Array, b: Float32Array, label: string): void {
  t.true(sameBytes(a, b), `${label}: not bit-identical`);
}

/** A smooth user box (n = 4, m = 2) with a 0/1 output: runs through the native user stream. */
const soft: BlackBox = {
  name: 'soft',
  inputSize: 4,
  outputSize: 2,
  evaluate(inputs, count, outputs) {
    for (let i = 0; i < count; i++) {
      const z = inputs.subarray(4 * i, 4 * i + 4);
      outputs[2 * i] = Math.tanh(z[0] - z[1]) + z[2] * z[3];
      outputs[2 * i + 1] = z[0] + z[3] > 0 ? 1 : 0;
    }
  },
};

// ranks: the integer-rank path of vjp and the scale gradient; argmax: the 0/1 support path (jacobian: the dense
// path, which the standard errors need); the user box: the user stream.
const boxes: Array<[string, () => BlackBox]> = [
  ['ranks(4)', () => blackboxes.ranks(4)],
  ['argmax(4)', () => blackboxes.argmax(4)],
  ['user soft(4→2)', () => soft],
];
const scales: Array<[string, SmoothOptions['scale']]> = [
  ['scalar', 0.6],
  ['diagonal', new Float32Array([0.3, 0.8, 1.1, 0.5])],
  ['matrix', { matrix: new Float32Array([0.9, 0, 0, 0, 0.2, 0.7, 0, 0, -0.1, 0.3, 0.5, 0, 0.05, 0, 0.1, 0.6]) }],
];

interface Results {
  vjp: { gradient: Float32Array; stderr: Float32Array };
  jacobian: { jacobian: Float32Array; stderr: Float32Array };
  jvp: { jvp: Float32Array; stderr: Float32Array };
  scaleGradient: { scaleGradient: Float32Array; stderr: Float32Array };
}

async function allFour(box: BlackBox, options: SmoothOptions, x: Float32Array): Promise<Results & { plain: Float32Array[] }> {
  const s = await smooth(box, options).forward(x);
  const B = x.length / box.inputSize;
  const v = new Float32Array(B * box.outputSize).map((_, k) => Math.cos(k) + 0.3);
  const tv = new Float32Array(B * box.inputSize).map((_, k) => (k % 3) - 1);
  return {
    vjp: await s.vjp(v, { stderr: true }),
    jacobian: await s.jacobian({ stderr: true }),
    jvp: await s.jvp(tv, { stderr: true }),
    scaleGradient: await s.scaleGradient(v, { stderr: true }),
    plain: [await s.vjp(v), await s.jacobian(), await s.jvp(tv), await s.scaleGradient(v)],
  };
}

for (const backend of NATIVE) for (const [boxName, make] of boxes) {
  avaTest.serial(`${backend} stderr = js stderr for ${boxName}: every covariate × sampler × scale kind × operation, antithetic on and off`, async (t) => {
    const x = new Float32Array([0.2, -0.1, 0.5, 0.3, -0.4, 0.1, 0.05, 0.6]);
    const before = jsCalls.count;
    let combos = 0;
    let positive = 0;
    for (const sampler of SAMPLERS) {
      for (const covariate of COVARIATES) {
        for (const antithetic of [false, true]) {
          for (const [scaleName, scale] of scales) {
            const samples = sampler === 'rqmc-cartesian' ? 256 : 96;
            const options: SmoothOptions = { distribution: 'logistic', scale, samples, sampler, antithetic, covariate, seed: 11 };
            const js = await allFour(make(), { ...options, backend: 'js' }, x);
            const jsBackendCalls = jsCalls.count;
            const cpu = await allFour(make(), { ...options, backend }, x);
            t.is(jsCalls.count, jsBackendCalls, `the ${backend} backend did not call the js engine`);
            const label = `${backend} ${boxName} ${sampler} ${covariate} antithetic=${antithetic} ${scaleName}`;
            close(t, cpu.vjp.gradient, js.vjp.gradient, `${label} vjp`);
            close(t, cpu.vjp.stderr, js.vjp.stderr, `${label} vjp stderr`);
            close(t, cpu.jacobian.jacobian, js.jacobian.jacobian, `${label} jacobian`);
            close(t, cpu.jacobian.stderr, js.jacobian.stderr, `${label} jacobian stderr`);
            close(t, cpu.jvp.jvp, js.jvp.jvp, `${label} jvp`);
            close(t, cpu.jvp.stderr, js.jvp.stderr, `${label} jvp stderr`);
            close(t, cpu.scaleGradient.scaleGradient, js.scaleGradient.scaleGradient, `${label} scale gradient`);
            close(t, cpu.scaleGradient.stderr, js.scaleGradient.stderr, `${label} scale gradient stderr`);
            // The estimate returned with its standard error is the plain one, bit for bit (the same sums).
            same(t, cpu.vjp.gradient, cpu.plain[0], `${label} vjp with/without stderr`);
            same(t, cpu.jacobian.jacobian, cpu.plain[1], `${label} jacobian with/without stderr`);
            same(t, cpu.jvp.jvp, cpu.plain[2], `${label} jvp with/without stderr`);
            same(t, cpu.scaleGradient.scaleGradient, cpu.plain[3], `${label} scale gradient with/without stderr`);
            for (const r of [cpu.vjp.stderr, cpu.jacobian.stderr, cpu.jvp.stderr, cpu.scaleGradient.stderr]) positive += r.filter((e) => e > 0).length;
            combos++;
          }
        }
      }
    }
    t.true(jsCalls.count > before, 'the js side of the comparison did run the js engine (the spy works)');
    t.true(positive > combos * 10, `${positive} positive standard errors over ${combos} combinations`);
    t.log(`${combos} combinations, ${positive} positive standard errors`);
  });
}

cpuSerial('cpu stderr is bit-identical for 1 and 3 threads (several work items per input)', async (t) => {
  const x = new Float32Array(12).map((_, k) => Math.sin(2.1 * k));
  for (const [name, make] of [['ranks(6)', () => blackboxes.ranks(6)], ['argmax(6)', () => blackboxes.argmax(6)]] as const) {
    const options: SmoothOptions = { distribution: 'cauchy', scale: 0.5, samples: 5000, sampler: 'rqmc-latin', covariate: 'loo', seed: 2, backend: 'cpu' };
    const one = await allFour(make(), { ...options, threads: 1 }, x);
    const three = await allFour(make(), { ...options, threads: 3 }, x);
    same(t, one.vjp.stderr, three.vjp.stderr, `${name} vjp stderr`);
    same(t, one.jacobian.stderr, three.jacobian.stderr, `${name} jacobian stderr`);
    same(t, one.jvp.stderr, three.jvp.stderr, `${name} jvp stderr`);
    same(t, one.scaleGradient.stderr, three.scaleGradient.stderr, `${name} scale gradient stderr`);
    t.true(one.vjp.stderr.every((e) => e > 0), `${name}: every vjp stderr positive`);
  }
});

cpuSerial('cpu: the sync twins, and the replicate route after forward({ precision }), agree with js', async (t) => {
  const box = blackboxes.ranks(4);
  const x = new Float32Array([0.3, -0.7, 0.1, 0.2, 1, 0.5, -0.2, 0.4]);
  const v = new Float32Array(8).map((_, k) => (k % 3) - 0.5);
  const options: SmoothOptions = { distribution: 'gaussian', scale: 0.5, samples: 128, sampler: 'rqmc-latin', seed: 8 };
  const precision = { stderr: 1e-9, maxSamples: 128 * 3, vjp: v };
  const cpu = await smooth(box, { ...options, backend: 'cpu' }).forward(x, { precision });
  const js = await smooth(box, { ...options, backend: 'js' }).forward(x, { precision });
  const before = jsCalls.count;
  const a = await cpu.vjp(v, { stderr: true });
  const sync = cpu.vjpSync(v, { stderr: true });
  t.is(jsCalls.count, before, 'the cpu backend did not call the js engine');
  const b = await js.vjp(v, { stderr: true });
  same(t, sync.gradient, a.gradient, 'vjpSync gradient');
  same(t, sync.stderr, a.stderr, 'vjpSync stderr');
  close(t, a.gradient, b.gradient, 'replicates: gradient');
  close(t, a.stderr, b.stderr, 'replicates: stderr');
  const sg = cpu.scaleGradientSync(v, { stderr: true });
  close(t, sg.stderr, (await js.scaleGradient(v, { stderr: true })).stderr, 'replicates: scale gradient stderr');
});
