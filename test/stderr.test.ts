/**
 * Standard errors of vjp, jacobian, jvp and scaleGradient (`{ stderr: true }`): an identity against the per-sample
 * contributions recomputed here from the raw uniforms (samplePoints) and the box's recorded outputs, coverage of
 * closed forms over 40 seeds, the plain results unchanged, option validation, the sync twins and the backends.
 */
import test from 'ava';
import { backendsUnderTest } from './helpers/backends-under-test.js';
import { roundSeed } from '../lib/adaptive.js';
import { blackboxes, distributions, samplePoints, smooth, SmoothingError, U_CLIP, type BlackBox, type CovariateName, type SmoothOptions } from '../lib/index.js';

const GAMMA = 0.5;
const N = 2;
const M = 2;
const X = new Float32Array([0.3, -0.7]);

/** f(z) = (z0² + sin z1, z0 z1); records every output row in evaluation order. */
function recordingBox(): BlackBox & { outputs: number[][] } {
  const outputs: number[][] = [];
  return {
    name: 'recorded',
    inputSize: N,
    outputSize: M,
    outputs,
    evaluate(inputs, count, out) {
      for (let i = 0; i < count; i++) {
        const z0 = inputs[i * N];
        const z1 = inputs[i * N + 1];
        out[i * M] = z0 * z0 + Math.sin(z1);
        out[i * M + 1] = z0 * z1;
        outputs.push([out[i * M], out[i * M + 1]]);
      }
    },
  };
}

/** Sample mean and standard deviation / √S of each column of rows. */
function meanAndStderr(rows: number[][]): { mean: number[]; se: number[] } {
  const S = rows.length;
  const q = rows[0].length;
  const mean = Array.from({ length: q }, (_, k) => rows.reduce((acc, r) => acc + r[k], 0) / S);
  const se = mean.map((mu, k) => Math.sqrt(rows.reduce((acc, r) => acc + (r[k] - mu) ** 2, 0) / (S - 1) / S));
  return { mean, se };
}

function closeRel(t: { true(c: boolean, m?: string): void }, actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  for (let k = 0; k < expected.length; k++) {
    const tol = rel * Math.max(Math.abs(expected[k]), 1e-6);
    t.true(Math.abs(actual[k] - expected[k]) <= tol, `${what}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

for (const covariate of ['none', 'fx', 'loo'] as CovariateName[]) {
  test(`identity (${covariate}, mc): stderr = sd of the per-sample contributions / √S, for all four estimates`, async (t) => {
    const S = 500;
    const seed = 11;
    const box = recordingBox();
    // outputCache: 0: the box records its outputs as the backward passes re-evaluate it (a cache would serve them).
    const s = smooth(box, { distribution: 'gaussian', scale: GAMMA, samples: S, sampler: 'mc', covariate, seed, backend: 'js', outputCache: 0 });
    const smoothed = await s.forward(X);
    const baseline = covariate === 'fx' ? box.outputs[0] : undefined; // f(x) is evaluated before the samples
    box.outputs.length = 0;
    const v = new Float32Array([0.8, -1.3]);
    const tangent = new Float32Array([0.6, 0.4]);
    const vjp = await smoothed.vjp(v, { stderr: true });
    const f = box.outputs.splice(0);
    const jac = await smoothed.jacobian({ stderr: true });
    const jvp = await smoothed.jvp(tangent, { stderr: true });
    const sg = await smoothed.scaleGradient(v, { stderr: true });
    t.is(f.length, S);

    const u = samplePoints({ sampler: 'mc', samples: S, dims: N, seed, index: 0 });
    const clip = (x: number) => Math.min(1 - U_CLIP, Math.max(U_CLIP, x));
    const eps = Array.from({ length: S }, (_, i) => [0, 1].map((d) => distributions.gaussian.icdf(clip(u[i * N + d]))));
    const score = Array.from({ length: S }, (_, i) => [0, 1].map((d) => distributions.gaussian.scoreFromU(clip(u[i * N + d]))));
    // β per output row: 0, f(x), or the sample mean (the loo estimate is S/(S−1) times the mean with β = ḡ).
    const fbar = [0, 1].map((r) => f.reduce((acc, row) => acc + row[r], 0) / S);
    const beta = (r: number) => (covariate === 'none' ? 0 : covariate === 'fx' ? baseline![r] : fbar[r]);
    const factor = covariate === 'loo' ? S / (S - 1) : 1;
    const g = f.map((row) => v[0] * row[0] + v[1] * row[1]);
    const gBeta = v[0] * beta(0) + v[1] * beta(1);
    const scaled = (x: { mean: number[]; se: number[] }) => ({ mean: x.mean.map((a) => a * factor), se: x.se.map((a) => a * factor) });

    const vjpRef = scaled(meanAndStderr(g.map((gi, i) => score[i].map((sj) => ((gi - gBeta) * sj) / GAMMA))));
    closeRel(t, vjp.gradient, vjpRef.mean, 1e-4, 'vjp');
    closeRel(t, vjp.stderr, vjpRef.se, 1e-4, 'vjp stderr');

    const jacRef = scaled(meanAndStderr(f.map((row, i) => [0, 1].flatMap((r) => score[i].map((sj) => ((row[r] - beta(r)) * sj) / GAMMA)))));
    closeRel(t, jac.jacobian, jacRef.mean, 1e-4, 'jacobian');
    closeRel(t, jac.stderr, jacRef.se, 1e-4, 'jacobian stderr');

    const jvpRef = scaled(meanAndStderr(f.map((row, i) => {
      const h = (score[i][0] * tangent[0] + score[i][1] * tangent[1]) / GAMMA;
      return [0, 1].map((r) => (row[r] - beta(r)) * h);
    })));
    closeRel(t, jvp.jvp, jvpRef.mean, 1e-4, 'jvp');
    closeRel(t, jvp.stderr, jvpRef.se, 1e-4, 'jvp stderr');

    // Scalar γ: ∂/∂γ = E[(g − β) Σ_j (s_j ε_j − 1)] / γ.
    const sgRef = scaled(meanAndStderr(g.map((gi, i) => [((gi - gBeta) * (score[i][0] * eps[i][0] - 1 + score[i][1] * eps[i][1] - 1)) / GAMMA])));
    closeRel(t, sg.scaleGradient, sgRef.mean, 1e-4, 'scaleGradient');
    closeRel(t, sg.stderr, sgRef.se, 1e-4, 'scaleGradient stderr');
  });
}


/** The box Σ_j z_j² (one output): its smoothed gradients have closed forms. */
function sumOfSquares(n: number): BlackBox {
  return {
    name: 'sum of squares',
    inputSize: n,
    outputSize: 1,
    evaluate(inputs, count, out) {
      for (let i = 0; i < count; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += inputs[i * n + j] ** 2;
        out[i] = acc;
      }
    },
  };
}

test('without the option every result is the plain array, bit for bit the estimate returned with it', async (t) => {
  const s = smooth(recordingBox(), { scale: new Float32Array([0.4, 0.9]), samples: 256, seed: 5, backend: 'js' });
  const smoothed = await s.forward([[0.1, 0.2], [1, -1]]);
  const v = new Float32Array([1, 2, -1, 0.5]);
  const t2 = new Float32Array([0.3, 0.1, -0.2, 1]);
  const plain = [await smoothed.vjp(v), await smoothed.jacobian(), await smoothed.jvp(t2), await smoothed.scaleGradient(v)];
  const off = [await smoothed.vjp(v, { stderr: false }), await smoothed.jacobian({ stderr: false }), await smoothed.jvp(t2, {}), await smoothed.scaleGradient(v, { stderr: false })];
  const on = [(await smoothed.vjp(v, { stderr: true })).gradient, (await smoothed.jacobian({ stderr: true })).jacobian, (await smoothed.jvp(t2, { stderr: true })).jvp, (await smoothed.scaleGradient(v, { stderr: true })).scaleGradient];
  for (let k = 0; k < 4; k++) {
    t.true(plain[k] instanceof Float32Array);
    t.deepEqual(off[k], plain[k]);
    t.deepEqual(on[k], plain[k]);
  }
});

test('the sync twins return the same estimates and standard errors', async (t) => {
  const s = smooth(recordingBox(), { scale: { matrix: new Float32Array([0.5, 0.1, -0.2, 0.7]) }, samples: 300, sampler: 'mc', seed: 9, backend: 'js' });
  const a = await s.forward(X);
  const b = s.forwardSync(X);
  const v = new Float32Array([1, -1]);
  t.deepEqual(b.vjpSync(v, { stderr: true }), await a.vjp(v, { stderr: true }));
  t.deepEqual(b.jacobianSync({ stderr: true }), await a.jacobian({ stderr: true }));
  t.deepEqual(b.jvpSync(v, { stderr: true }), await a.jvp(v, { stderr: true }));
  t.deepEqual(b.scaleGradientSync(v, { stderr: true }), await a.scaleGradient(v, { stderr: true }));
});

test('bad stderr option values are ERR_INVALID_ARGUMENT before any work', async (t) => {
  let calls = 0;
  const box = recordingBox();
  const counted: BlackBox = { ...box, evaluate: (i, c, o) => { calls++; box.evaluate(i, c, o); } };
  const smoothed = await smooth(counted, { scale: 0.5, samples: 16, backend: 'js' }).forward(X);
  calls = 0;
  const v = new Float32Array(2);
  const cases: Array<[string, () => unknown]> = [
    ['vjp options.stderr', () => smoothed.vjpSync(v, { stderr: 'yes' as unknown as true })],
    ['jacobian options.stderr', () => smoothed.jacobianSync({ stderr: 1 as unknown as true })],
    ['jvp options.stderr', () => smoothed.jvpSync(v, { stderr: null as unknown as true })],
    ['scaleGradient options.stderr', () => smoothed.scaleGradientSync(v, { stderr: 'true' as unknown as true })],
  ];
  for (const [argument, call] of cases) {
    const err = t.throws(call, { instanceOf: SmoothingError });
    t.is(err?.code, 'ERR_INVALID_ARGUMENT');
    t.is(err?.argument, argument);
    t.truthy(err?.fix);
  }
  await t.throwsAsync(smoothed.vjp(v, { stderr: 'yes' as unknown as true }), { code: 'ERR_INVALID_ARGUMENT' } as never);
  t.is(calls, 0);
});

/** Fraction of (seed, element) pairs with |estimate − truth| ≤ 3·stderr. */
function coverage(pairs: Array<{ est: ArrayLike<number>; se: ArrayLike<number>; truth: ArrayLike<number> }>): number {
  let inside = 0;
  let total = 0;
  for (const { est, se, truth } of pairs) {
    for (let k = 0; k < truth.length; k++) {
      total++;
      if (Math.abs(est[k] - truth[k]) <= 3 * se[k]) inside++;
    }
  }
  return inside / total;
}

test('coverage: Gumbel argmax Jacobian vs (diag p − p pᵀ)/γ, p = softmax(x/γ), over 40 seeds', async (t) => {
  const gamma = 0.7;
  const x = [0.5, -0.3, 1.2, 0];
  const e = x.map((xi) => Math.exp(xi / gamma));
  const z = e.reduce((a, b) => a + b, 0);
  const p = e.map((ei) => ei / z);
  const truth = p.flatMap((pr, r) => p.map((pc, c) => ((r === c ? pr : 0) - pr * pc) / gamma));
  const pairs = [];
  for (let seed = 1; seed <= 40; seed++) {
    const s = smooth(blackboxes.argmax(4), { distribution: 'gumbel', scale: gamma, samples: 1000, sampler: 'mc', covariate: 'loo', seed, backend: 'js' });
    const r = await (await s.forward(x)).jacobian({ stderr: true });
    pairs.push({ est: r.jacobian, se: r.stderr, truth });
  }
  const share = coverage(pairs);
  t.true(share >= 0.9, `coverage ${share}`);
  t.true(share < 1 || pairs.length * 16 < 100, `coverage exactly 1 over ${pairs.length * 16} pairs suggests inflated errors`);
});

test('coverage: Gaussian quadratic box, vjp = 2x·v, jvp = 2x·t, ∂/∂γ = 2nγ, over 40 seeds per covariate', async (t) => {
  const n = 3;
  const gamma = 0.4;
  const x = [0.5, -1, 0.2];
  const square = sumOfSquares(n);
  const tangent = new Float32Array([1, 0.5, -2]);
  for (const covariate of ['none', 'fx', 'loo'] as CovariateName[]) {
    const vjps = [];
    const jvps = [];
    const scales = [];
    for (let seed = 100; seed < 140; seed++) {
      const options: SmoothOptions = { distribution: 'gaussian', scale: gamma, samples: 800, sampler: 'mc', covariate, seed, backend: 'js' };
      const smoothed = await smooth(square, options).forward(x);
      const vjp = await smoothed.vjp(new Float32Array([1]), { stderr: true });
      vjps.push({ est: vjp.gradient, se: vjp.stderr, truth: x.map((xi) => 2 * xi) });
      const jvp = await smoothed.jvp(tangent, { stderr: true });
      jvps.push({ est: jvp.jvp, se: jvp.stderr, truth: [2 * x.reduce((acc, xi, j) => acc + xi * tangent[j], 0)] });
      const sg = await smoothed.scaleGradient(new Float32Array([1]), { stderr: true });
      scales.push({ est: sg.scaleGradient, se: sg.stderr, truth: [2 * n * gamma] });
    }
    for (const [what, pairs] of [['vjp', vjps], ['jvp', jvps], ['scaleGradient', scales]] as const) {
      const share = coverage(pairs);
      t.true(share >= 0.9, `${covariate} ${what}: coverage ${share}`);
    }
  }
});

test('with precision (replicates), stderr is the spread of the replicate estimates / √k', async (t) => {
  const box = recordingBox();
  const s = smooth(box, { scale: GAMMA, samples: 64, sampler: 'rqmc-sobol', seed: 21, backend: 'js' });
  const smoothed = await s.forward(X, { precision: { stderr: 1e-9, maxSamples: 64 * 4 } });
  const k = smoothed.precision!.replicates[0];
  t.is(k, 4);
  const v = new Float32Array([1, 0.5]);
  const r = await smoothed.vjp(v, { stderr: true });
  // Each replicate is a forward with its own seed; recompute them one by one.
  const reps = [];
  for (let round = 0; round < k; round++) reps.push([...(await (await s.forward(X, { seed: roundSeed(21, round) })).vjp(v))]);
  const ref = meanAndStderr(reps);
  closeRel(t, r.gradient, ref.mean, 1e-5, 'gradient');
  closeRel(t, r.stderr, ref.se, 1e-4, 'stderr');
});

test('cpu and (emulated) cuda: the same estimate as without stderr (parity tolerance) and the js engine\'s standard error', async (t) => {
  const native = backendsUnderTest().names.filter((name) => name !== 'js'); // throws under REQUIRE_NATIVE=1 without cpu
  if (native.length === 0) {
    t.pass('no native backend built here');
    return;
  }
  t.log('backends:', native.join(', '));
  for (const name of native) {
    const options: SmoothOptions = { distribution: 'logistic', scale: 0.6, samples: 512, sampler: 'mc', covariate: 'loo', seed: 4 };
    const nat = await smooth(blackboxes.ranks(4), { ...options, backend: name }).forward([[0.2, -0.1, 0.5, 0.3]]);
    const js = await smooth(blackboxes.ranks(4), { ...options, backend: 'js' }).forward([[0.2, -0.1, 0.5, 0.3]]);
    const v = new Float32Array([1, -1, 0.5, 2]);
    const a = await nat.vjp(v, { stderr: true });
    const plain = await nat.vjp(v);
    const b = await js.vjp(v, { stderr: true });
    for (let j = 0; j < 4; j++) {
      t.true(Math.abs(a.gradient[j] - plain[j]) <= 1e-4 * (1 + Math.abs(plain[j])), `${name} gradient ${j}`);
      t.true(Math.abs(a.stderr[j] - b.stderr[j]) <= 1e-4 * (1 + b.stderr[j]), `${name} stderr ${j}`);
      t.true(b.stderr[j] > 0);
    }
  }
});

test('after forward({ precision: { vjp } }), vjp(v, { stderr: true }) agrees with the precision report (replicate route)', async (t) => {
  const s = smooth(recordingBox(), { scale: GAMMA, samples: 128, sampler: 'rqmc-latin', seed: 8, backend: 'js' });
  const v = new Float32Array([1, -0.5, 0.2, 2]);
  const smoothed = await s.forward([[0.3, -0.7], [1, 0.5]], { precision: { stderr: 1e-9, maxSamples: 128 * 3, vjp: v } });
  const report = smoothed.precision!;
  t.deepEqual([...report.replicates], [3, 3]);
  const r = await smoothed.vjp(v, { stderr: true });
  closeRel(t, r.gradient, report.vjp!, 1e-6, 'gradient');
  closeRel(t, r.stderr, report.vjpStderr!, 1e-5, 'stderr');
});

test('a bad stderr option is reported together with the other problems of the call', (t) => {
  const smoothed = smooth(recordingBox(), { scale: 0.5, samples: 16, backend: 'js' }).forwardSync(X);
  const err = t.throws(() => smoothed.vjpSync(new Float32Array(3), { stderr: 'yes' as unknown as true }), { instanceOf: SmoothingError });
  const argumentsReported = (err?.errors ?? [err]).map((e) => e?.argument);
  t.true(argumentsReported.includes('v'), JSON.stringify(argumentsReported));
  t.true(argumentsReported.includes('vjp options.stderr'), JSON.stringify(argumentsReported));
});

test('identity with a full matrix scale L: vjp and scaleGradient standard errors from s L⁻¹ and L⁻ᵀ(s εᵀ − I)', async (t) => {
  const S = 400;
  const seed = 3;
  const Lm = [0.6, 0.2, -0.1, 0.4]; // row-major 2×2
  const det = Lm[0] * Lm[3] - Lm[1] * Lm[2];
  const inv = [Lm[3] / det, -Lm[1] / det, -Lm[2] / det, Lm[0] / det];
  const box = recordingBox();
  // outputCache: 0: the box records its outputs as the backward passes re-evaluate it (a cache would serve them).
  const smoothed = await smooth(box, { scale: { matrix: new Float32Array(Lm) }, samples: S, sampler: 'mc', covariate: 'none', seed, backend: 'js', outputCache: 0 }).forward(X);
  box.outputs.length = 0;
  const v = new Float32Array([0.8, -1.3]);
  const vjp = await smoothed.vjp(v, { stderr: true });
  const sg = await smoothed.scaleGradient(v, { stderr: true });
  const f = box.outputs.slice(0, S);
  const u = samplePoints({ sampler: 'mc', samples: S, dims: N, seed, index: 0 });
  const clip = (x: number) => Math.min(1 - U_CLIP, Math.max(U_CLIP, x));
  const g = f.map((row) => v[0] * row[0] + v[1] * row[1]);
  const vjpRows: number[][] = [];
  const sgRows: number[][] = [];
  for (let i = 0; i < S; i++) {
    const eps = [0, 1].map((d) => distributions.gaussian.icdf(clip(u[i * N + d])));
    const s = [0, 1].map((d) => distributions.gaussian.scoreFromU(clip(u[i * N + d])));
    // Row vector s L⁻¹: entry c = Σ_k s_k inv[k][c].
    vjpRows.push([0, 1].map((c) => g[i] * (s[0] * inv[c] + s[1] * inv[2 + c])));
    // (L⁻ᵀ H)[r][c] = Σ_k inv[k][r] H[k][c], H = s εᵀ − I.
    const H = (k: number, c: number) => s[k] * eps[c] - (k === c ? 1 : 0);
    sgRows.push([0, 1].flatMap((r) => [0, 1].map((c) => g[i] * (inv[r] * H(0, c) + inv[2 + r] * H(1, c)))));
  }
  const vjpRef = meanAndStderr(vjpRows);
  const sgRef = meanAndStderr(sgRows);
  closeRel(t, vjp.gradient, vjpRef.mean, 1e-4, 'vjp');
  closeRel(t, vjp.stderr, vjpRef.se, 1e-4, 'vjp stderr');
  closeRel(t, sg.scaleGradient, sgRef.mean, 1e-4, 'scaleGradient');
  closeRel(t, sg.stderr, sgRef.se, 1e-4, 'scaleGradient stderr');
});

test('quasi-random sampling (rqmc-sobol): the i.i.d. figure is an indicator, here larger than the true RMS error', async (t) => {
  // A smooth box: scrambled Sobol points beat the i.i.d. rate, so √(Var/S) overstates the error (README, docs/method.md §3).
  const n = 3;
  const x = [0.5, -1, 0.2];
  const square = sumOfSquares(n);
  let squaredError = 0;
  let stderrSum = 0;
  let count = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const smoothed = await smooth(square, { scale: 0.4, samples: 256, sampler: 'rqmc-sobol', covariate: 'loo', seed, backend: 'js' }).forward(x);
    const r = await smoothed.vjp(new Float32Array([1]), { stderr: true });
    for (let j = 0; j < n; j++) {
      squaredError += (r.gradient[j] - 2 * x[j]) ** 2;
      stderrSum += r.stderr[j];
      count++;
    }
  }
  const rmsError = Math.sqrt(squaredError / count);
  const meanStderr = stderrSum / count;
  t.log(`rms error ${rmsError.toExponential(2)}, mean i.i.d. stderr ${meanStderr.toExponential(2)}`);
  t.true(meanStderr > rmsError, `${meanStderr} vs ${rmsError}`);
});
