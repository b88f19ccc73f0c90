/**
 * perturbedMax and fenchelYoungLoss against closed forms and exact identities:
 *  - Gumbel noise on argmax: F_γ(θ) = γ(logsumexp(θ/γ) + Euler–Mascheroni) and ∇ℓ = softmax(θ/γ) − y;
 *  - a 1×k grid has a single path, so F = −Σθ − γ·Σ E[ε] exactly per sample;
 *  - shifting θ by c·1 shifts every per-sample maximum by c·Σφ(y) (same seed → same noise);
 *  - ranks and permutation share their objective Σ θ_i·position_i, so they give the same F from the same noise;
 *  - js and cpu agree; a box without an objective is ERR_UNSUPPORTED.
 */
import test from 'ava';
import {
  blackboxes,
  fenchelYoungLoss,
  fenchelYoungLossSync,
  maximizers,
  perturbedMax,
  smooth,
  SmoothingError,
  type BackendName,
} from '../lib/index.js';
import { nativeTest } from './helpers/native.js';
import { assertClose } from './helpers/stats.js';

const EULER_GAMMA = 0.5772156649015329; // Euler–Mascheroni constant, the mean of a standard Gumbel

function logSumExp(v: number[]): number {
  const mx = Math.max(...v);
  return mx + Math.log(v.reduce((s, x) => s + Math.exp(x - mx), 0));
}

const THETAS = [
  [0.5, -0.3, 1.2, 0],
  [2, 2.1, -1, 0.3],
  [0, 0, 0, 0],
];

async function gumbelArgmax(t: import('ava').ExecutionContext, backend: BackendName): Promise<void> {
  const gamma = 0.7;
  const n = 4;
  const s = smooth(blackboxes.argmax(n), { distribution: 'gumbel', scale: gamma, samples: 1 << 14, sampler: 'mc', covariate: 'none', seed: 3, backend });
  const target = THETAS.map((_, b) => Array.from({ length: n }, (_, j) => (j === b ? 1 : 0)));
  const r = await fenchelYoungLoss(s, THETAS, target);
  const max = await perturbedMax(s, THETAS);
  for (let b = 0; b < THETAS.length; b++) {
    const th = THETAS[b];
    const F = gamma * (logSumExp(th.map((v) => v / gamma)) + EULER_GAMMA);
    const lse = logSumExp(th.map((v) => v / gamma));
    const softmax = th.map((v) => Math.exp(v / gamma - lse));
    const dot = th.reduce((acc, v, j) => acc + v * target[b][j], 0);
    t.true(r.stderr[b] > 0 && r.stderr[b] < 0.05, `row ${b}: stderr ${r.stderr[b]}`);
    assertClose(t, [max.value[b]], [F], [max.stderr[b]], 1e-5, `${backend} row ${b}: F_γ(θ)`);
    assertClose(t, [r.loss[b]], [F - dot], [r.stderr[b]], 1e-5, `${backend} row ${b}: loss`);
    const g = Array.from(r.gradient.subarray(b * n, (b + 1) * n));
    const gse = Array.from(r.gradientStderr.subarray(b * n, (b + 1) * n));
    assertClose(t, g, softmax.map((p, j) => p - target[b][j]), gse, 1e-4, `${backend} row ${b}: ∇loss = softmax(θ/γ) − y`);
    assertClose(t, Array.from(max.gradient.subarray(b * n, (b + 1) * n)), softmax, gse, 1e-4, `${backend} row ${b}: ∇F = softmax(θ/γ)`);
  }
}

test('Gumbel argmax (js): F_γ = γ(logsumexp(θ/γ) + 0.5772…), ∇loss = softmax(θ/γ) − y within 5 s.e.', (t) => gumbelArgmax(t, 'js'));
nativeTest('cpu')('Gumbel argmax (cpu, user-box path): the same closed forms', (t) => gumbelArgmax(t, 'cpu'));

nativeTest('cpu')('js and cpu give the same perturbed max and loss for the same seed', async (t) => {
  const make = (backend: BackendName) => smooth(blackboxes.topk(5, 2), { distribution: 'gaussian', scale: 0.5, samples: 512, sampler: 'rqmc-latin', covariate: 'loo', seed: 9, backend });
  const theta = [0.1, 0.9, -0.4, 0.3, 0.2, 1, 2, 3, 4, 5];
  const target = [0, 1, 0, 1, 0, 0, 0, 0, 1, 1];
  const [js, cpu] = await Promise.all([fenchelYoungLoss(make('js'), theta, target), fenchelYoungLoss(make('cpu'), theta, target)]);
  for (let b = 0; b < 2; b++) t.true(Math.abs(js.loss[b] - cpu.loss[b]) <= 1e-4 * (1 + Math.abs(js.loss[b])), `loss ${b}: ${js.loss[b]} vs ${cpu.loss[b]}`);
  for (let k = 0; k < js.gradient.length; k++) t.true(Math.abs(js.gradient[k] - cpu.gradient[k]) <= 1e-4, `gradient ${k}`);
});

test('shortest path on a 1×k grid (one path): F = −Σθ exactly per sample for zero-mean noise, gradient −1 − (−t)', async (t) => {
  const k = 6;
  const s = smooth(blackboxes.shortestPath(1, k), { distribution: 'gaussian', scale: 0.2, samples: 4096, sampler: 'mc', covariate: 'none', seed: 1, backend: 'js' });
  const theta = [10, 11, 12, 9, 10.5, 13];
  const ones = new Array(k).fill(1);
  const r = await fenchelYoungLoss(s, theta, ones);
  // −Σ z over the samples: its mean is −Σθ with standard error γ·√k/√S.
  const sum = theta.reduce((a, b) => a + b, 0);
  const seExact = (0.2 * Math.sqrt(k)) / Math.sqrt(4096);
  t.true(Math.abs(r.stderr[0] - seExact) < 0.1 * seExact, `stderr ${r.stderr[0]} vs ${seExact}`);
  // loss = F − ⟨θ, −t⟩ = F + Σθ, centred on 0.
  assertClose(t, [r.loss[0]], [0], [r.stderr[0]], 1e-3, 'loss = F + Σθ');
  t.deepEqual(Array.from(r.gradient), new Array(k).fill(0), 'gradient = −E[y*] + t = 0');
  const max = await perturbedMax(s, theta);
  assertClose(t, [max.value[0]], [-sum], [max.stderr[0]], 1e-3, 'F = −Σθ');
  t.deepEqual(Array.from(max.gradient), new Array(k).fill(-1));
});

test('shifting θ by c·1 shifts F by c·Σφ(y) exactly (same noise): topk by c·k, ranks and permutation by c·n(n−1)/2', async (t) => {
  const n = 5;
  const c = 0.75;
  const theta = [0.3, -1.2, 0.8, 0.1, 0.5];
  const shifted = theta.map((v) => v + c);
  const opts = { distribution: 'logistic', scale: 0.4, samples: 256, sampler: 'rqmc-latin', covariate: 'none', seed: 5, backend: 'js' } as const;
  for (const [box, total] of [
    [blackboxes.topk(n, 2), 2],
    [blackboxes.ranks(n), (n * (n - 1)) / 2],
    [blackboxes.permutation(n), (n * (n - 1)) / 2],
    [blackboxes.argmax(n), 1],
  ] as const) {
    const s = smooth(box, opts);
    const [a, b] = [await perturbedMax(s, theta), await perturbedMax(s, shifted)];
    t.true(Math.abs(b.value[0] - a.value[0] - c * total) < 1e-4, `${box.name}: ${b.value[0]} − ${a.value[0]} vs ${c * total}`);
    t.deepEqual(Array.from(a.gradient), Array.from(b.gradient), `${box.name}: the maximiser is shift invariant`);
  }
});

test('permutation and ranks share their objective: same F, same gradient, and the loss uses P·w for a permutation target', async (t) => {
  const n = 4;
  const opts = { distribution: 'gaussian', scale: 0.6, samples: 1024, sampler: 'mc', covariate: 'none', seed: 2, backend: 'js' } as const;
  const theta = [[0.2, 1.1, -0.5, 0.4]];
  const targetRanks = [3, 1, 0, 2]; // item 0 last, item 2 first
  const targetP = new Array(n * n).fill(0);
  targetRanks.forEach((r, i) => (targetP[i * n + r] = 1));
  const viaRanks = await fenchelYoungLoss(smooth(blackboxes.ranks(n), opts), theta, [targetRanks]);
  const viaP = await fenchelYoungLoss(smooth(blackboxes.permutation(n), opts), theta, [targetP]);
  t.true(Math.abs(viaRanks.loss[0] - viaP.loss[0]) < 1e-4, `${viaRanks.loss[0]} vs ${viaP.loss[0]}`);
  for (let j = 0; j < n; j++) t.true(Math.abs(viaRanks.gradient[j] - viaP.gradient[j]) < 1e-5, `gradient ${j}`);
  // The rearrangement inequality: the sorted ranks maximise Σθ_i r_i, so every per-sample maximum is ≥ the
  // target's objective at the same perturbed point, and the loss (zero-mean noise) is ≥ 0 up to its error.
  t.true(viaRanks.loss[0] > -3 * viaRanks.stderr[0]);
});

test('a user box declaring maximizers.innerProduct equals the built-in argmax; costMinimizer equals shortest path sign', async (t) => {
  const n = 3;
  const user = blackboxes.fromFunction(
    (x) => {
      let best = 0;
      for (let j = 1; j < n; j++) if (x[j] > x[best]) best = j;
      return Array.from({ length: n }, (_, j) => (j === best ? 1 : 0));
    },
    { inputSize: n, outputSize: n, name: 'my-argmax', maximizer: maximizers.innerProduct },
  );
  const opts = { distribution: 'gumbel', scale: 1, samples: 2048, sampler: 'mc', covariate: 'none', seed: 4, backend: 'js' } as const;
  const theta = [0.5, 0, -0.5];
  const mine = await perturbedMax(smooth(user, opts), theta);
  const builtin = await perturbedMax(smooth(blackboxes.argmax(n), opts), theta);
  t.true(Math.abs(mine.value[0] - builtin.value[0]) < 1e-5);
  t.deepEqual(Array.from(mine.gradient), Array.from(builtin.gradient));
  // The synchronous twin gives the same numbers.
  const sync = fenchelYoungLossSync(smooth(user, opts), theta, [1, 0, 0]);
  t.true(Math.abs(sync.loss[0] - (mine.value[0] - 0.5)) < 1e-5);
});

test('a box without an objective is ERR_UNSUPPORTED with the reason; wrong shapes are ERR_INVALID_ARGUMENT', async (t) => {
  const plain = blackboxes.fromFunction((x) => x[0] * x[1], { inputSize: 2, outputSize: 1, name: 'product' });
  const s = smooth(plain, { distribution: 'gaussian', scale: 1, samples: 16, sampler: 'mc', covariate: 'none', backend: 'js' });
  const e = await t.throwsAsync(perturbedMax(s, [1, 2]), { instanceOf: SmoothingError });
  t.is(e?.code, 'ERR_UNSUPPORTED');
  t.regex(e!.message, /linear maximiser.*'product'/);
  const f = await t.throwsAsync(fenchelYoungLoss(s, [1, 2], [1]), { instanceOf: SmoothingError });
  t.is(f?.code, 'ERR_UNSUPPORTED');
  const a = smooth(blackboxes.argmax(3), { distribution: 'gaussian', scale: 1, samples: 16, sampler: 'mc', covariate: 'none', backend: 'js' });
  const g = await t.throwsAsync(fenchelYoungLoss(a, [1, 2, 3], [1, 0]), { instanceOf: SmoothingError });
  t.is(g?.code, 'ERR_INVALID_ARGUMENT');
  t.is(g?.argument, 'target');
  const h = await t.throwsAsync(perturbedMax(a, [1, 2, 3, 4]), { instanceOf: SmoothingError });
  t.is(h?.argument, 'theta');
  const wrong = blackboxes.fromFunction((x) => [x[0]], { inputSize: 2, outputSize: 1, maximizer: maximizers.innerProduct });
  const w = await t.throwsAsync(perturbedMax(smooth(wrong, { distribution: 'gaussian', scale: 1, samples: 4, sampler: 'mc', covariate: 'none', backend: 'js' }), [1, 2]), { instanceOf: SmoothingError });
  t.is(w?.code, 'ERR_UNSUPPORTED', 'innerProduct needs outputSize = inputSize');
});
