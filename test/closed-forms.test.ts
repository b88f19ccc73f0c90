/**
 * The estimator against closed forms (docs/method.md §6.8). Each check runs R independent replicates as the
 * rows of one batch (batch elements draw independent noise) and accepts |mean − truth| ≤ 5·se + floor.
 */
import test from 'ava';
import { blackboxes, distributions, smooth, type BlackBox, type DistributionName, type SamplerName } from '../lib/index.js';
import { normalCdf } from '../lib/distributions.js';
import { assertClose, replicateStats, scalarBox } from './helpers/stats.js';

const R = 8;
const ALL: DistributionName[] = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];

function repeatRows(x: number[], times: number): Float32Array {
  const out = new Float32Array(x.length * times);
  for (let r = 0; r < times; r++) out.set(x, r * x.length);
  return out;
}

function rows(data: Float32Array, size: number): Float32Array[] {
  return Array.from({ length: data.length / size }, (_, r) => data.slice(r * size, (r + 1) * size));
}

const normalPdf = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

for (const name of ALL) {
  test(`step function 1[x>0] with ${name} noise: value, gradient and scale gradient`, async (t) => {
    const d = distributions[name];
    const gamma = 0.5;
    const sampler: SamplerName = name === 'triangular' ? 'qmc-latin' : 'rqmc-latin';
    const samples = 1 << 16;
    for (const x0 of [0.3, -0.2]) {
      const step = scalarBox('step', (z) => (z > 0 ? 1 : 0));
      const s = smooth(step, { distribution: name, scale: gamma, samples, sampler, covariate: 'loo', seed: 11 });
      const out = await s.forward(repeatRows([x0], R));
      const ones = new Float32Array(R).fill(1);
      const grad = await out.vjp(ones);
      const dgamma = await out.scaleGradient(ones);
      const a = -x0 / gamma;
      const value = 1 - d.cdf(a);
      const dx = d.pdf(a) / gamma;
      const dg = (-d.pdf(a) * x0) / (gamma * gamma);
      // qmc-latin in one dimension is a midpoint rule: the replicates coincide, so its floor carries the bias.
      const floor = name === 'triangular' ? 6e-3 : 2e-4;
      const v = replicateStats(rows(out.value, 1));
      assertClose(t, v.mean, [value], v.se, floor, `${name} value at x=${x0}`);
      const g = replicateStats(rows(grad, 1));
      assertClose(t, g.mean, [dx], g.se, floor * 5, `${name} gradient at x=${x0}`);
      const sg = replicateStats(rows(dgamma, 1));
      assertClose(t, sg.mean, [dg], sg.se, floor * 5, `${name} scale gradient at x=${x0}`);
    }
  });
}

for (const name of ['laplace', 'triangular'] as const) {
  test(`|x| with ${name} noise (γ = 1): d/dx E|x+ε| = 1 − 2F(−x)`, async (t) => {
    const d = distributions[name];
    const abs = scalarBox('abs', Math.abs);
    for (const x0 of [0.4, -0.7, 0]) {
      const s = smooth(abs, { distribution: name, scale: 1, samples: 1 << 16, sampler: 'rqmc-latin', covariate: 'loo', seed: 5 });
      const out = await s.forward(repeatRows([x0], R));
      const grad = replicateStats(rows(await out.vjp(new Float32Array(R).fill(1)), 1));
      const truth = 1 - 2 * d.cdf(-x0);
      if (name === 'laplace' && x0 >= 0) t.true(Math.abs(truth - (1 - Math.exp(-x0))) < 1e-12);
      assertClose(t, grad.mean, [truth], grad.se, name === 'triangular' ? 5e-3 : 1e-3, `${name} |x| gradient at ${x0}`);
    }
  });
}

test('Gumbel-perturbed argmax is softmax(x/γ), and so is its Jacobian', async (t) => {
  const x = [0.2, -0.5, 0.9, 0.1];
  const gamma = 0.7;
  const n = x.length;
  const e = x.map((v) => Math.exp(v / gamma));
  const z = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / z);
  const jac: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) jac.push((p[i] * ((i === j ? 1 : 0) - p[j])) / gamma);
  for (const sampler of ['mc', 'rqmc-latin', 'rqmc-sobol'] as const) {
    const s = smooth(blackboxes.argmax(n), { distribution: 'gumbel', scale: gamma, samples: 1 << 15, sampler, covariate: 'loo', seed: 3 });
    const out = await s.forward(repeatRows(x, R));
    const v = replicateStats(rows(out.value, n));
    assertClose(t, v.mean, p, v.se, 1e-4, `softmax value (${sampler})`);
    const J = replicateStats(rows(await out.jacobian(), n * n));
    assertClose(t, J.mean, jac, J.se, 1e-3, `softmax Jacobian (${sampler})`);
  }
});

test('sorting two items with Gaussian noise: P(item 0 last) = Φ((x0 − x1)/(γ√2)) and its Jacobian', async (t) => {
  const x = [0.3, -0.2];
  for (const gamma of [1, 0.25]) {
    const c = gamma * Math.SQRT2;
    const p = normalCdf((x[0] - x[1]) / c);
    const dp = normalPdf((x[0] - x[1]) / c) / c;
    const value = [1 - p, p, p, 1 - p];
    // rows: outputs (item, position), columns: inputs x0, x1
    const jac = [-dp, dp, dp, -dp, dp, -dp, -dp, dp];
    const s = smooth(blackboxes.permutation(2), { distribution: 'gaussian', scale: gamma, samples: 1 << 15, sampler: 'rqmc-latin', covariate: 'loo', seed: 9 });
    const out = await s.forward(repeatRows(x, R));
    const v = replicateStats(rows(out.value, 4));
    assertClose(t, v.mean, value, v.se, 2e-4, `value γ=${gamma}`);
    const J = replicateStats(rows(await out.jacobian(), 8));
    assertClose(t, J.mean, jac, J.se, 2e-3, `Jacobian γ=${gamma}`);
  }
});

test('a full scale matrix L: 1[a·z > 0] with Gaussian noise has value Φ(a·x/|Lᵀa|) and closed-form x- and L-gradients', async (t) => {
  const a = [1, -2];
  const x = [0.4, 0.1];
  const L = [0.8, 0.0, 0.3, 0.5]; // lower triangular, row-major
  const half: BlackBox = {
    name: 'halfplane',
    inputSize: 2,
    outputSize: 1,
    evaluate(inputs, count, outputs) {
      for (let i = 0; i < count; i++) outputs[i] = a[0] * inputs[2 * i] + a[1] * inputs[2 * i + 1] > 0 ? 1 : 0;
    },
  };
  const lta = [L[0] * a[0] + L[2] * a[1], L[1] * a[0] + L[3] * a[1]]; // Lᵀa
  const sigma = Math.hypot(lta[0], lta[1]);
  const ax = a[0] * x[0] + a[1] * x[1];
  const tt = ax / sigma;
  const value = normalCdf(tt);
  const gradX = a.map((ai) => (normalPdf(tt) * ai) / sigma);
  const gradL: number[] = [];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) gradL.push(normalPdf(tt) * (-ax / (sigma * sigma)) * ((a[r] * lta[c]) / sigma));

  const s = smooth(half, { distribution: 'gaussian', scale: { matrix: new Float32Array(L) }, samples: 1 << 15, sampler: 'rqmc-latin', covariate: 'loo', seed: 21 });
  const out = await s.forward(repeatRows(x, R));
  const ones = new Float32Array(R).fill(1);
  const v = replicateStats(rows(out.value, 1));
  assertClose(t, v.mean, [value], v.se, 2e-4, 'value');
  const gx = replicateStats(rows(await out.vjp(ones), 2));
  assertClose(t, gx.mean, gradX, gx.se, 2e-3, 'x-gradient (L⁻ᵀ s)');
  const gl = replicateStats(rows(await out.scaleGradient(ones), 4));
  assertClose(t, gl.mean, gradL, gl.se, 2e-3, 'L-gradient (L⁻ᵀ(sεᵀ − I))');
});

test('scalar γ, diagonal γ·1 and matrix γI give the same estimates on the same samples', async (t) => {
  const n = 3;
  const f = blackboxes.permutation(n);
  const gamma = 0.6;
  const x = new Float32Array([0.1, 0.5, -0.3, 1.0, 0.2, 0.4]);
  const eye = new Float32Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = gamma;
  const common = { distribution: 'logistic', samples: 2048, sampler: 'rqmc-sobol', covariate: 'loo', seed: 4 } as const;
  const results = [];
  for (const scale of [gamma, new Float32Array(n).fill(gamma), { matrix: eye }]) {
    const out = await smooth(f, { ...common, scale }).forward(x);
    const v = new Float32Array(2 * n * n).map((_, k) => ((k * 7) % 5) - 2);
    results.push({ value: out.value, jac: await out.jacobian(), sg: await out.scaleGradient(v), kind: out.scaleGradientSize });
  }
  const [scalar, diag, mat] = results;
  t.deepEqual(diag.value, scalar.value);
  t.deepEqual(mat.value, scalar.value);
  for (let k = 0; k < scalar.jac.length; k++) {
    t.true(Math.abs(diag.jac[k] - scalar.jac[k]) <= 1e-6 && Math.abs(mat.jac[k] - scalar.jac[k]) <= 1e-6, `jacobian entry ${k}`);
  }
  t.is(scalar.kind, 1);
  t.is(diag.kind, n);
  t.is(mat.kind, n * n);
  for (let b = 0; b < 2; b++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      sum += diag.sg[b * n + j];
      // at L = γI the diagonal of ∇_L is the per-coordinate σ-gradient, and ∂/∂γ is their sum
      t.true(Math.abs(mat.sg[b * n * n + j * n + j] - diag.sg[b * n + j]) <= 1e-5, `matrix diagonal ${b},${j}`);
    }
    t.true(Math.abs(sum - scalar.sg[b]) <= 1e-5, `scalar = Σ diagonal (row ${b})`);
  }
});
