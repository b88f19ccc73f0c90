/**
 * The streaming estimator against a naive one written here from the formulas of docs/method.md §1/§3:
 * materialise all S samples with samplePoints, evaluate f row by row, form β_i explicitly
 * (leave-one-out as the mean of the other S − 1 outputs), then apply L⁻¹ by a hand-written 2×2 inverse.
 */
import test from 'ava';
import { blackboxes, distributions, samplePoints, smooth, type BlackBox, type CovariateName, type DistributionName, type SamplerName } from '../lib/index.js';
import { clipU } from '../lib/distributions.js';

type ScaleCase = { label: string; scale: number | Float32Array | { matrix: Float32Array }; L: number[] };

const n = 2;
const scales: ScaleCase[] = [
  { label: 'scalar', scale: 0.7, L: [0.7, 0, 0, 0.7] },
  { label: 'diagonal', scale: new Float32Array([0.5, 1.5]), L: [0.5, 0, 0, 1.5] },
  { label: 'matrix', scale: { matrix: new Float32Array([0.9, 0.2, -0.3, 0.6]) }, L: [0.9, 0.2, -0.3, 0.6] },
];

function inv2(L: number[]): number[] {
  const det = L[0] * L[3] - L[1] * L[2];
  return [L[3] / det, -L[1] / det, -L[2] / det, L[0] / det];
}

/** A smooth, non-trivial black box R² → R³ so every covariate and every term matters. */
const box: BlackBox = {
  name: 'mix',
  inputSize: 2,
  outputSize: 3,
  evaluate(inputs, count, outputs) {
    for (let i = 0; i < count; i++) {
      const a = inputs[2 * i];
      const b = inputs[2 * i + 1];
      outputs[3 * i] = a > b ? 1 : 0;
      outputs[3 * i + 1] = Math.tanh(a + 2 * b);
      outputs[3 * i + 2] = Math.min(Math.abs(a), 3);
    }
  },
};

function naive(dist: DistributionName, sampler: SamplerName, antithetic: boolean, covariate: CovariateName, S: number, seed: number, L: number[], x: number[], v: number[], tvec: number[]) {
  const d = distributions[dist];
  const u = samplePoints({ sampler, samples: S, dims: n, seed, antithetic, index: 0 });
  const eps: number[][] = [];
  const sc: number[][] = [];
  const f: number[][] = [];
  for (let i = 0; i < S; i++) {
    const e = [d.icdf(clipU(u[i * n])), d.icdf(clipU(u[i * n + 1]))];
    eps.push(e);
    sc.push([d.scoreFromU(clipU(u[i * n])), d.scoreFromU(clipU(u[i * n + 1]))]);
    const z = new Float32Array([x[0] + L[0] * e[0] + L[1] * e[1], x[1] + L[2] * e[0] + L[3] * e[1]]);
    const out = new Float32Array(3);
    box.evaluate(z, 1, out);
    f.push(Array.from(out));
  }
  const fx = new Float32Array(3);
  box.evaluate(new Float32Array(x), 1, fx);
  const total = [0, 1, 2].map((k) => f.reduce((acc, row) => acc + row[k], 0));
  const beta = (i: number, k: number) => (covariate === 'none' ? 0 : covariate === 'fx' ? fx[k] : (total[k] - f[i][k]) / (S - 1));
  const Li = inv2(L);
  // G = (1/S) Σ (f_i − β_i) s_iᵀ ; J = G L⁻¹
  const G = [0, 1, 2].map((k) => [0, 1].map((j) => f.reduce((acc, _row, i) => acc + (f[i][k] - beta(i, k)) * sc[i][j], 0) / S));
  const J = G.map((row) => [row[0] * Li[0] + row[1] * Li[2], row[0] * Li[1] + row[1] * Li[3]]);
  const vjp = [0, 1].map((j) => v[0] * J[0][j] + v[1] * J[1][j] + v[2] * J[2][j]);
  const jvp = J.map((row) => row[0] * tvec[0] + row[1] * tvec[1]);
  // ∇_L = L⁻ᵀ (1/S) Σ (g_i − β_i)(s_i ε_iᵀ − I), with g = ⟨v, f⟩
  const M = [0, 1].map((r) => [0, 1].map((c) => f.reduce((acc, _row, i) => {
    const g = v[0] * (f[i][0] - beta(i, 0)) + v[1] * (f[i][1] - beta(i, 1)) + v[2] * (f[i][2] - beta(i, 2));
    return acc + g * (sc[i][r] * eps[i][c] - (r === c ? 1 : 0));
  }, 0) / S));
  const gradL = [0, 1].flatMap((r) => [0, 1].map((c) => Li[0 * 2 + r] * M[0][c] + Li[1 * 2 + r] * M[1][c]));
  const value = [0, 1, 2].map((k) => total[k] / S);
  return { value, J: J.flat(), vjp, jvp, gradL, M };
}

const cases: Array<[DistributionName, SamplerName, boolean]> = [
  ['gaussian', 'mc', false],
  ['laplace', 'rqmc-latin', true],
  ['cauchy', 'qmc-latin', false],
  ['triangular', 'rqmc-cartesian', false],
  ['logistic', 'rqmc-sobol', true],
  ['gumbel', 'sobol', false],
];

for (const [dist, sampler, antithetic] of cases) {
  for (const covariate of ['none', 'fx', 'loo'] as const) {
    test(`streaming = naive: ${dist}, ${sampler}${antithetic ? ' + antithetic' : ''}, ${covariate}, every scale kind`, async (t) => {
      const S = 64;
      const x = [0.3, -0.1];
      const v = [0.5, -1, 2];
      const tv = [1, -0.5];
      for (const sc of scales) {
        const seed = 17;
        const out = await smooth(box, { distribution: dist, scale: sc.scale, samples: S, sampler, antithetic, covariate, seed, chunkSize: 5 }).forward(new Float32Array(x));
        const ref = naive(dist, sampler, antithetic, covariate, S, seed, sc.L.map(Math.fround), x, v, tv);
        const close = (a: ArrayLike<number>, b: number[], label: string) => {
          for (let k = 0; k < b.length; k++) {
            t.true(Math.abs(a[k] - b[k]) <= 1e-4 * (1 + Math.abs(b[k])), `${sc.label} ${label}[${k}]: ${a[k]} vs ${b[k]}`);
          }
        };
        close(out.value, ref.value, 'value');
        close(await out.jacobian(), ref.J, 'jacobian');
        close(await out.vjp(new Float32Array(v)), ref.vjp, 'vjp');
        close(await out.jvp(new Float32Array(tv)), ref.jvp, 'jvp');
        const sg = await out.scaleGradient(new Float32Array(v));
        if (sc.label === 'matrix') close(sg, ref.gradL, 'scale gradient');
        else if (sc.label === 'diagonal') close(sg, [ref.M[0][0] / sc.L[0], ref.M[1][1] / sc.L[3]], 'scale gradient');
        else close(sg, [(ref.M[0][0] + ref.M[1][1]) / sc.L[0]], 'scale gradient');
      }
    });
  }
}

test('vjp equals vᵀJ and jvp equals J·t for a batch', async (t) => {
  const f = blackboxes.permutation(4);
  const B = 3;
  const x = new Float32Array(B * 4).map((_, k) => Math.sin(k * 1.7));
  const out = await smooth(f, { distribution: 'laplace', scale: 0.5, samples: 512, sampler: 'rqmc-latin', covariate: 'loo', seed: 2 }).forward(x);
  const J = await out.jacobian();
  const v = new Float32Array(B * 16).map((_, k) => Math.cos(k));
  const tv = new Float32Array(B * 4).map((_, k) => k % 3);
  const vjp = await out.vjp(v);
  const jvp = await out.jvp(tv);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < 4; j++) {
      let acc = 0;
      for (let k = 0; k < 16; k++) acc += v[b * 16 + k] * J[(b * 16 + k) * 4 + j];
      t.true(Math.abs(acc - vjp[b * 4 + j]) < 1e-5, `vjp ${b},${j}`);
    }
    for (let k = 0; k < 16; k++) {
      let acc = 0;
      for (let j = 0; j < 4; j++) acc += J[(b * 16 + k) * 4 + j] * tv[b * 4 + j];
      t.true(Math.abs(acc - jvp[b * 16 + k]) < 1e-5, `jvp ${b},${k}`);
    }
  }
});

test('with antithetic mc pairs the scores cancel: fx equals none, and loo is exactly S/(S−1) times it', async (t) => {
  const f = blackboxes.permutation(3);
  const x = new Float32Array([0.2, -0.4, 0.1]);
  const S = 256;
  const common = { distribution: 'gaussian', scale: 0.8, samples: S, sampler: 'mc', antithetic: true, seed: 8 } as const;
  const none = await (await smooth(f, { ...common, covariate: 'none' }).forward(x)).jacobian();
  const fx = await (await smooth(f, { ...common, covariate: 'fx' }).forward(x)).jacobian();
  const loo = await (await smooth(f, { ...common, covariate: 'loo' }).forward(x)).jacobian();
  for (let k = 0; k < none.length; k++) {
    t.true(Math.abs(fx[k] - none[k]) < 1e-6, `fx ${k}`);
    t.true(Math.abs(loo[k] - (S / (S - 1)) * none[k]) < 1e-6, `loo ${k}`);
  }
});
