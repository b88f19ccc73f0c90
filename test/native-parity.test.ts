/**
 * The cpu backend against the js reference: uniforms bit for bit, estimates for every distribution ×
 * sampler × covariate × black box at small sizes, thread-count independence, errors, abort, concurrency.
 */
import { blackboxes, samplePoints, smooth, SmoothingError, type BlackBox, type CovariateName, type DistributionName, type SamplerName, type SmoothOptions } from '../lib/index.js';
import { sobolDirections } from '../lib/random/sobol.js';
import { SAMPLER_NAMES } from '../lib/samplers.js';
import { cpuAddon, nativeTest } from './helpers/native.js';

const test = nativeTest('cpu');
const DISTS: DistributionName[] = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];
const COVARIATES: CovariateName[] = ['none', 'fx', 'loo'];

test('uniforms are bit-identical to the js backend for every sampler, antithetic or not', (t) => {
  const addon = cpuAddon()!;
  const cases: Array<[SamplerName, number, number, boolean]> = [];
  for (const sampler of SAMPLER_NAMES) {
    for (const [S, dims] of [[64, 3], [1000, 3], [256, 2], [81, 4], [30, 7], [17, 5]] as const) {
      for (const antithetic of [false, true]) {
        if (sampler === 'rqmc-cartesian') {
          const k = Math.round(S ** (1 / dims));
          if (k ** dims !== S || (antithetic && k % 2 === 1)) continue;
        }
        if (antithetic && S % 2 === 1) continue;
        cases.push([sampler, S, dims, antithetic]);
      }
    }
  }
  let compared = 0;
  for (const [sampler, S, dims, antithetic] of cases) {
    for (const seed of [0, 7, 2 ** 40 + 3]) {
      for (const b of [0, 5]) {
        const js = samplePoints({ sampler, samples: S, dims, seed, antithetic, index: b });
        const k = sampler === 'rqmc-cartesian' ? Math.round(S ** (1 / dims)) : 0;
        const plan = {
          n: dims, m: 1, builtin: false, dist: 0, covariate: 0,
          sampler: { kind: SAMPLER_NAMES.indexOf(sampler), samples: S, antithetic, cartesianK: k, sobolV: sampler.includes('sobol') ? sobolDirections(dims) : undefined },
          scale: { kind: 0, sigma: new Float64Array(dims).fill(1) },
        };
        const native = addon.uniforms(plan, seed, b, 0, S);
        for (let i = 0; i < js.length; i++) {
          if (!Object.is(js[i], native[i])) {
            t.fail(`${sampler} S=${S} dims=${dims} antithetic=${antithetic} seed=${seed} b=${b}: u[${i}] js ${js[i]} vs cpu ${native[i]}`);
            return;
          }
        }
        compared += js.length;
      }
    }
  }
  t.log(`${compared} uniforms compared over ${cases.length} configurations`);
  t.true(compared > 100000);
});

function closeArrays(t: import('ava').ExecutionContext, a: Float32Array, b: Float32Array, label: string, tol = 2e-5): void {
  t.is(a.length, b.length, label);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / (1 + Math.abs(b[k])));
  t.true(worst <= tol, `${label}: max relative difference ${worst}`);
}

const boxes: Array<[string, () => BlackBox, number]> = [
  ['permutation(4)', () => blackboxes.permutation(4), 4],
  ['ranks(5)', () => blackboxes.ranks(5), 5],
  ['argmax(3)', () => blackboxes.argmax(3), 3],
  ['topk(5, 2)', () => blackboxes.topk(5, 2), 5],
  ['shortestPath(3, 3)', () => blackboxes.shortestPath(3, 3), 9],
];

for (const [boxName, make, n] of boxes) {
  test(`cpu = js for ${boxName}: every distribution × sampler × covariate (value, stderr, vjp, jacobian)`, async (t) => {
    const B = 2;
    const x = new Float32Array(B * n).map((_, k) => Math.sin(1.3 * k) + (boxName.startsWith('shortest') ? 1.2 : 0));
    let combos = 0;
    for (const distribution of DISTS) {
      for (const sampler of SAMPLER_NAMES) {
        for (const covariate of COVARIATES) {
          const samples = sampler === 'rqmc-cartesian' ? 2 ** n : 48;
          const options: SmoothOptions = { distribution, scale: 0.7, samples, sampler, covariate, seed: 3 };
          const js = await smooth(make(), { ...options, backend: 'js' }).forward(x);
          const cpu = await smooth(make(), { ...options, backend: 'cpu' }).forward(x);
          const label = `${boxName} ${distribution} ${sampler} ${covariate}`;
          t.is(cpu.backend, 'cpu');
          closeArrays(t, cpu.value, js.value, `${label} value`);
          closeArrays(t, cpu.stderr, js.stderr, `${label} stderr`, 1e-4);
          const v = new Float32Array(js.value.length).map((_, k) => Math.cos(k));
          closeArrays(t, await cpu.vjp(v), await js.vjp(v), `${label} vjp`, 1e-4);
          closeArrays(t, await cpu.jacobian(), await js.jacobian(), `${label} jacobian`, 1e-4);
          combos++;
        }
      }
    }
    t.log(`${combos} combinations`);
  });
}

test('cpu = js for every scale kind, jvp and scale gradient, with antithetic pairs', async (t) => {
  const f = blackboxes.permutation(3);
  const x = new Float32Array([0.2, -0.1, 0.4, 1, 0.5, 0.7]);
  for (const scale of [0.6, new Float32Array([0.3, 0.8, 1.1]), { matrix: new Float32Array([0.9, 0, 0, 0.2, 0.7, 0, -0.1, 0.3, 0.5]) }]) {
    for (const covariate of COVARIATES) {
      const options: SmoothOptions = { distribution: 'laplace', scale, samples: 200, sampler: 'rqmc-latin', antithetic: true, covariate, seed: 12 };
      const js = await smooth(f, { ...options, backend: 'js' }).forward(x);
      const cpu = await smooth(f, { ...options, backend: 'cpu' }).forward(x);
      const v = new Float32Array(18).map((_, k) => (k % 4) - 1.5);
      const tv = new Float32Array(6).map((_, k) => k - 2);
      closeArrays(t, cpu.value, js.value, 'value');
      closeArrays(t, await cpu.jvp(tv), await js.jvp(tv), 'jvp', 1e-4);
      closeArrays(t, await cpu.scaleGradient(v), await js.scaleGradient(v), 'scale gradient', 1e-4);
    }
  }
});

test('user black boxes on the cpu backend (native noise and sums, JS evaluation) match js, fx included', async (t) => {
  const user: BlackBox = {
    name: 'soft',
    inputSize: 2,
    outputSize: 2,
    evaluate(inputs, count, outputs) {
      for (let i = 0; i < count; i++) {
        outputs[2 * i] = Math.tanh(inputs[2 * i] - inputs[2 * i + 1]);
        outputs[2 * i + 1] = inputs[2 * i] > 0 ? 1 : 0;
      }
    },
  };
  const x = new Float32Array([0.3, 0.1, -0.2, 0.4]);
  for (const covariate of COVARIATES) {
    const options: SmoothOptions = { distribution: 'gaussian', scale: 0.5, samples: 300, sampler: 'rqmc-sobol', covariate, seed: 1, chunkSize: 64 };
    const js = await smooth(user, { ...options, backend: 'js' }).forward(x);
    const cpu = await smooth(user, { ...options, backend: 'cpu' }).forward(x);
    closeArrays(t, cpu.value, js.value, `${covariate} value`);
    closeArrays(t, await cpu.jacobian(), await js.jacobian(), `${covariate} jacobian`, 1e-4);
    closeArrays(t, await cpu.scaleGradient(new Float32Array([1, 1, 0, 1])), await js.scaleGradient(new Float32Array([1, 1, 0, 1])), `${covariate} scale gradient`, 1e-4);
  }
});

test('results are bit-identical for 1, 2 and 3 threads', async (t) => {
  const x = new Float32Array(3 * 20).map((_, k) => Math.sin(k));
  const results = [];
  for (const threads of [1, 2, 3]) {
    const out = await smooth(blackboxes.ranks(20), { distribution: 'cauchy', scale: 0.5, samples: 5000, sampler: 'rqmc-latin', covariate: 'loo', backend: 'cpu', threads }).forward(x);
    const v = new Float32Array(60).map((_, k) => Math.cos(k));
    results.push({ value: out.value, stderr: out.stderr, vjp: await out.vjp(v), jac: await out.jacobian() });
  }
  t.deepEqual(results[1], results[0]);
  t.deepEqual(results[2], results[0]);
});

test('bad input through the native path gives the same SmoothingErrors as js', async (t) => {
  const f = blackboxes.permutation(3);
  for (const bad of [{ samples: 0 }, { sampler: 'rqmc-cartesian', samples: 10 }, { antithetic: true, distribution: 'gumbel' }, { scale: -1 }] as const) {
    const errors = ['js', 'cpu'].map((backend) => {
      try {
        smooth(f, { distribution: 'gaussian', scale: 0.5, samples: 64, sampler: 'mc', covariate: 'loo', backend, ...bad } as SmoothOptions);
        return undefined;
      } catch (err) {
        return err as SmoothingError;
      }
    });
    t.true(errors[0] instanceof SmoothingError && errors[1] instanceof SmoothingError);
    t.is(errors[1]!.code, errors[0]!.code);
    t.is(errors[1]!.message, errors[0]!.message);
  }
  const custom = { name: 'mine', symmetric: true, icdf: (u: number) => u - 0.5, scoreFromU: () => 0 };
  const err = t.throws(() => smooth(f, { distribution: custom, scale: 1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'cpu' }));
  t.is((err as SmoothingError).code, 'ERR_UNSUPPORTED');
  const x = new Float32Array([0, Number.NaN, 1]);
  const e2 = await t.throwsAsync(smooth(f, { distribution: 'gaussian', scale: 1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'cpu' }).forward(x));
  t.is((e2 as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
  const throwing: BlackBox = { name: 'boom', inputSize: 1, outputSize: 1, evaluate() { throw new Error('boom'); } };
  const e3 = await t.throwsAsync(smooth(throwing, { distribution: 'gaussian', scale: 1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'cpu' }).forward(new Float32Array([1])));
  t.is((e3 as SmoothingError).code, 'ERR_BLACKBOX');
});

test('abort stops a native call with ERR_ABORTED; concurrent native calls equal sequential ones', async (t) => {
  const s = smooth(blackboxes.ranks(100), { distribution: 'cauchy', scale: 1, samples: 1_000_000, sampler: 'mc', covariate: 'loo', backend: 'cpu' });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const err = await t.throwsAsync(s.forward(new Float32Array(100).map((_, i) => i), { signal: controller.signal }));
  t.is((err as SmoothingError).code, 'ERR_ABORTED');
  t.true(Date.now() - started < 5000, 'stopped promptly');
  const e2 = await t.throwsAsync(s.forward(new Float32Array(100), { signal: AbortSignal.abort() }));
  t.is((e2 as SmoothingError).code, 'ERR_ABORTED');

  const small = smooth(blackboxes.permutation(4), { distribution: 'logistic', scale: 0.5, samples: 3000, sampler: 'rqmc-latin', covariate: 'loo', backend: 'cpu' });
  const xs = [0, 1, 2, 3].map((k) => new Float32Array([k * 0.1, 0.3, -0.2, 0.05 * k]));
  const sequential = [];
  for (const x of xs) sequential.push((await small.forward(x)).value);
  const concurrent = await Promise.all(xs.map((x) => small.forward(x).then((r) => r.value)));
  t.deepEqual(concurrent, sequential);
});

test('onProgress reports from the native backend, ending at B·S', async (t) => {
  const seen: number[] = [];
  await smooth(blackboxes.argmax(5), { distribution: 'gaussian', scale: 1, samples: 50_000, sampler: 'mc', covariate: 'none', backend: 'cpu' })
    .forward(new Float32Array(10), { onProgress: (p) => seen.push(p.done) });
  t.true(seen.length >= 1);
  t.is(seen.at(-1), 100_000);
  t.true(seen.every((v, i) => i === 0 || v >= seen[i - 1]));
});
