/**
 * Median-of-k noise (options.medianOf, lib/median.ts, native/core/median.h): the distribution identities by
 * quadrature, B⁻¹(B(t)) = t, the sampler against the sample median of k plain draws (KS), a closed form (the smoothed
 * step function), k = 1 unchanged, js = cpu = emulated cuda, and the validation of the option.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { blackboxes, distributions, medianOfDistribution, samplePoints, smooth, SmoothingError, type BlackBox, type CovariateName, type DistributionName, type SmoothOptions } from '../lib/index.js';
import { betaCdf, betaCdfLower, betaIcdf, betaIcdfLower, MAX_MEDIAN_OF } from '../lib/median.js';
import { SAMPLER_NAMES } from '../lib/samplers.js';
import { cpuAddon, nativeTest } from './helpers/native.js';
import { runOnEmulatedCuda } from './helpers/emulated-cuda.js';

const DISTS: DistributionName[] = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];
const COVARIATES: CovariateName[] = ['none', 'fx', 'loo'];
const nativeCpu = nativeTest('cpu');

test('B(t) is the Beta(r + 1, r + 1) CDF: the polynomials of k = 3 and 5, symmetry, and B⁻¹(B(t)) = t', (t) => {
  for (let i = 1; i < 1000; i++) {
    const x = i / 1000;
    t.true(Math.abs(betaCdf(1, x) - x * x * (3 - 2 * x)) <= 1e-15, `k = 3 at t = ${x}`);
    t.true(Math.abs(betaCdf(2, x) - x ** 3 * (10 - 15 * x + 6 * x * x)) <= 2e-15, `k = 5 at t = ${x}`);
    t.true(Math.abs(betaCdf(3, x) + betaCdf(3, 1 - x) - 1) <= 2e-15, `k = 7 symmetry at t = ${x}`);
  }
  for (const r of [1, 2, 3, 10, 49]) {
    let worst = 0;
    for (let i = 1; i < 2000; i++) {
      const x = i / 4000;
      worst = Math.max(worst, Math.abs(betaIcdfLower(r, betaCdfLower(r, x)) - x) / x);
    }
    t.true(worst <= 4e-15, `k = ${2 * r + 1}: B⁻¹(B(t)) relative error ${worst}`);
    t.true(Math.abs(betaIcdf(r, 0.9) + betaIcdf(r, 0.1) - 1) <= 1e-15);
  }
});

for (const name of DISTS) {
  for (const k of [3, 5]) {
    test(`${name} median-of-${k}: ∫μ_k = 1, E[s_k] = 0, E[s_k ε] = 1 by quadrature, score = −(log μ_k)'`, (t) => {
      const d = medianOfDistribution(name, k);
      const base = distributions[name];
      // ∫μ_k dε = ∫ μ_k(F⁻¹(v)) / μ(F⁻¹(v)) dv (substitution through the BASE quantile, midpoint rule): tests the
      // density formula independently of the median sampler.
      const N = 100_000;
      let mass = 0;
      for (let i = 0; i < N; i++) {
        const e = base.icdf((i + 0.5) / N);
        mass += d.pdf(e) / base.pdf(e);
      }
      mass /= N;
      t.true(Math.abs(mass - 1) < 1e-6, `∫μ_k = ${mass}`);
      // E[s_k] and E[s_k ε] with ε = F⁻¹(B⁻¹(u)): the median sampler's noise and score, midpoint rule in u.
      let es = 0;
      let ese = 0;
      for (let i = 0; i < N; i++) {
        const u = (i + 0.5) / N;
        const e = d.icdf(u);
        const s = d.scoreFromU(u);
        es += s;
        ese += s * e;
      }
      es /= N;
      ese /= N;
      t.true(Math.abs(es) < 1e-5, `E[s_k] = ${es}`);
      t.true(Math.abs(ese - 1) < 2e-4, `E[s_k ε] = ${ese}`);
      // The score against a central difference of log μ_k (away from the kinks), and scoreFromU = score(icdf).
      for (const u of [0.03, 0.1, 0.3, 0.45, 0.62, 0.8, 0.97]) {
        const e = d.icdf(u);
        const h = 1e-5 * (1 + Math.abs(e));
        const fd = -(Math.log(d.pdf(e + h)) - Math.log(d.pdf(e - h))) / (2 * h);
        t.true(Math.abs(fd - d.scoreFromU(u)) <= 1e-5 * (1 + Math.abs(fd)), `u = ${u}: s_k ${d.scoreFromU(u)} vs −(log μ_k)' ${fd}`);
        t.true(Math.abs(d.score(e) - d.scoreFromU(u)) <= 1e-12 * (1 + Math.abs(fd)), `u = ${u}: score(icdf(u)) vs scoreFromU(u)`);
        t.true(Math.abs(d.cdf(e) - u) <= 1e-13, `u = ${u}: cdf(icdf(u)) = ${d.cdf(e)}`);
      }
      // Antithetic pairs: exactly opposite noise and scores for the symmetric distributions.
      if (base.symmetric) {
        for (let w = 0; w < 4096; w++) {
          const u = (w * 2 ** 20 + 0.5) * 2 ** -32;
          if (!Object.is(d.icdf(1 - u), -d.icdf(u)) || !Object.is(d.scoreFromU(1 - u), -d.scoreFromU(u))) {
            t.fail(`not exactly odd at u = ${u}`);
            return;
          }
        }
      }
    });
  }
}

/** Two-sample Kolmogorov–Smirnov statistic. */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

test('the medianOf sampler has the distribution of the sample median of k plain draws (KS, 20 000 draws each)', (t) => {
  const S = 20_000;
  // KS critical value at level 0.001 for two samples of 20 000: 1.95·√(2/20 000) ≈ 0.0195; the bound is generous.
  const bound = 0.03;
  for (const name of DISTS) {
    const base = distributions[name];
    for (const k of [3, 5]) {
      const rows = samplePoints({ sampler: 'mc', samples: S, dims: k, seed: 11 });
      const medians = new Float64Array(S);
      const plain = new Float64Array(S);
      const row = new Float64Array(k);
      for (let i = 0; i < S; i++) {
        for (let j = 0; j < k; j++) row[j] = base.icdf(rows[i * k + j]);
        plain[i] = row[0];
        medians[i] = Float64Array.from(row).sort()[(k - 1) / 2];
      }
      const u = samplePoints({ sampler: 'mc', samples: S, dims: 1, seed: 12 });
      const d = medianOfDistribution(name, k);
      const drawn = u.map((x) => d.icdf(x));
      const D = ksStatistic(medians, drawn);
      t.true(D < bound, `${name} median-of-${k}: KS D = ${D}`);
      // The test can fail: plain draws are told apart from medians (D well above the bound).
      t.true(ksStatistic(plain, drawn) > 2 * bound, `${name} median-of-${k}: plain draws vs medians, D = ${ksStatistic(plain, drawn)}`);
    }
  }
});

/** 1[z > 0] on one input: the smoothed value is P(ε > −x/γ) = 1 − B(F(−x/γ)), its derivative μ_k(−x/γ)/γ. */
function stepBox(): BlackBox {
  return blackboxes.fromFunction((z) => (z[0] > 0 ? 1 : 0), { inputSize: 1, outputSize: 1, name: 'step' });
}

async function checkStep(t: import('ava').ExecutionContext, backend: 'js' | 'cpu'): Promise<void> {
  const gamma = 0.5;
  const xs = [-0.3, 0.05, 0.4];
  for (const [name, k] of [['cauchy', 3], ['gaussian', 5], ['gumbel', 3]] as const) {
    const d = medianOfDistribution(name, k);
    const smoothed = await smooth(stepBox(), { distribution: name, medianOf: k, scale: gamma, samples: 8192, sampler: 'mc', covariate: 'loo', seed: 5, backend }).forward(new Float32Array(xs));
    const grad = await smoothed.vjp(new Float32Array(xs.length).fill(1), { stderr: true });
    xs.forEach((x, b) => {
      const value = 1 - d.cdf(-x / gamma);
      const slope = d.pdf(-x / gamma) / gamma;
      t.true(Math.abs(smoothed.value[b] - value) <= 4 * smoothed.stderr[b] + 1e-6, `${name}/${k} ${backend} x = ${x}: value ${smoothed.value[b]} vs ${value} (s.e. ${smoothed.stderr[b]})`);
      t.true(Math.abs(grad.gradient[b] - slope) <= 4 * grad.stderr[b] + 1e-6, `${name}/${k} ${backend} x = ${x}: derivative ${grad.gradient[b]} vs ${slope} (s.e. ${grad.stderr[b]})`);
    });
  }
}

test('closed form: the step function 1[x > 0] smoothed with median-of-k noise (js)', (t) => checkStep(t, 'js'));
nativeCpu('closed form: the step function 1[x > 0] smoothed with median-of-k noise (cpu)', (t) => checkStep(t, 'cpu'));

const boxes: Array<[string, () => BlackBox, number]> = [
  ['ranks(4)', () => blackboxes.ranks(4), 4],
  ['argmax(3)', () => blackboxes.argmax(3), 3],
];

function closeArrays(t: import('ava').ExecutionContext, a: Float32Array, b: Float32Array, label: string, tol = 2e-5): void {
  t.is(a.length, b.length, label);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / (1 + Math.abs(b[k])));
  t.true(worst <= tol, `${label}: max relative difference ${worst}`);
}

for (const [boxName, make, n] of boxes) {
  nativeCpu(`cpu = js for medianOf 3 on ${boxName}: every distribution × sampler × covariate (value, stderr, vjp, jacobian)`, async (t) => {
    const B = 2;
    const x = new Float32Array(B * n).map((_, k) => Math.sin(1.3 * k));
    let combos = 0;
    for (const distribution of DISTS) {
      for (const sampler of SAMPLER_NAMES) {
        for (const covariate of COVARIATES) {
          const samples = sampler === 'rqmc-cartesian' ? 2 ** n : 48;
          const options: SmoothOptions = { distribution, medianOf: 3, scale: 0.7, samples, sampler, covariate, seed: 3 };
          const js = await smooth(make(), { ...options, backend: 'js' }).forward(x);
          const cpu = await smooth(make(), { ...options, backend: 'cpu' }).forward(x);
          const label = `${distribution}/${sampler}/${covariate}`;
          closeArrays(t, cpu.value, js.value, `${label} value`);
          closeArrays(t, cpu.stderr, js.stderr, `${label} stderr`);
          const v = new Float32Array(B * make().outputSize).map((_, k) => Math.cos(k));
          closeArrays(t, await cpu.vjp(v), await js.vjp(v), `${label} vjp`);
          closeArrays(t, await cpu.jacobian(), await js.jacobian(), `${label} jacobian`);
          combos++;
        }
      }
    }
    t.is(combos, DISTS.length * SAMPLER_NAMES.length * COVARIATES.length);
  });
}

test('medianOf: 1 is plain noise, bit for bit (js)', async (t) => {
  const x = new Float32Array([0.3, -0.2, 0.9, 0.1]);
  for (const distribution of DISTS) {
    const options: SmoothOptions = { distribution, scale: 0.4, samples: 64, sampler: 'rqmc-sobol', covariate: 'loo', seed: 9, backend: 'js' };
    const a = await smooth(blackboxes.ranks(4), options).forward(x);
    const b = await smooth(blackboxes.ranks(4), { ...options, medianOf: 1 }).forward(x);
    t.deepEqual([...b.value], [...a.value], distribution);
    t.deepEqual([...(await b.vjp(x))], [...(await a.vjp(x))], distribution);
  }
});

nativeCpu('medianOf: 1 is plain noise, bit for bit (cpu), and medianOf 3 differs from it', async (t) => {
  const x = new Float32Array([0.3, -0.2, 0.9, 0.1]);
  for (const distribution of DISTS) {
    const options: SmoothOptions = { distribution, scale: 0.4, samples: 64, sampler: 'rqmc-sobol', covariate: 'loo', seed: 9, backend: 'cpu' };
    const a = await smooth(blackboxes.ranks(4), options).forward(x);
    const b = await smooth(blackboxes.ranks(4), { ...options, medianOf: 1 }).forward(x);
    const c = await smooth(blackboxes.ranks(4), { ...options, medianOf: 3 }).forward(x);
    t.deepEqual([...b.value], [...a.value], distribution);
    t.deepEqual([...(await b.jacobian())], [...(await a.jacobian())], distribution);
    t.notDeepEqual([...(await c.jacobian())], [...(await a.jacobian())], distribution);
  }
});

test('options.medianOf: non-integer, even, < 1, > max and strings are ERR_INVALID_ARGUMENT, reported with the other problems', (t) => {
  for (const bad of [2, 0, -3, 1.5, MAX_MEDIAN_OF + 2, '3', Number.NaN, null]) {
    const err = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, medianOf: bad as number, backend: 'js' }), { instanceOf: SmoothingError });
    t.is(err!.code, 'ERR_INVALID_ARGUMENT', String(bad));
    t.is(err!.argument, 'options.medianOf', String(bad));
    t.regex(err!.fix ?? '', /odd|pass \d/, String(bad));
  }
  t.regex(t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, medianOf: 4, backend: 'js' }), { instanceOf: SmoothingError })!.fix ?? '', /3 or 5/);
  // Collected together with the other problems of the call.
  const err = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, medianOf: 2, samples: -1, sampler: 'bogus' as 'mc', backend: 'js' }), { instanceOf: SmoothingError });
  t.deepEqual(err!.errors.map((e) => e.argument).sort(), ['options.medianOf', 'options.sampler', 'options.samples']);
  // Valid values run.
  for (const k of [1, 3, MAX_MEDIAN_OF]) t.notThrows(() => smooth(blackboxes.argmax(3), { scale: 0.5, medianOf: k, backend: 'js' }));
});

test('a custom distribution with medianOf > 1 is ERR_UNSUPPORTED with the reason; medianOf 1 runs', (t) => {
  const custom = { name: 'mine', symmetric: true, icdf: (u: number) => u - 0.5, scoreFromU: (u: number) => 12 * (u - 0.5) };
  const err = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, distribution: custom, medianOf: 3, backend: 'js' }), { instanceOf: SmoothingError });
  t.is(err!.code, 'ERR_UNSUPPORTED');
  t.is(err!.argument, 'options.medianOf');
  t.regex(err!.message, /density and distribution function/);
  t.notThrows(() => smooth(blackboxes.argmax(3), { scale: 0.5, distribution: custom, medianOf: 1, backend: 'js' }));
});

nativeCpu('the native plan check refuses a bad medianOf with a clear error (even, 0, above the maximum)', (t) => {
  const addon = cpuAddon()!;
  const plan = (medianOf: number) => ({
    n: 2, m: 1, builtin: false, dist: 0, covariate: 0, medianOf,
    sampler: { kind: SAMPLER_NAMES.indexOf('mc'), samples: 8, antithetic: false, cartesianK: 0 },
    scale: { kind: 0, sigma: new Float64Array(2).fill(1) },
  });
  t.is(addon.uniforms(plan(3), 0, 0, 0, 8).length, 16);
  for (const k of [2, 0, MAX_MEDIAN_OF + 2]) {
    t.throws(() => addon.uniforms(plan(k), 0, 0, 0, 8), { message: /plan\.medianOf/ }, String(k));
  }
});

const root = new URL('..', import.meta.url).pathname;
const script = `
import { backends, blackboxes, smooth } from 'stochastic-smoothing';
const out = { info: backends().find((b) => b.name === 'cuda'), rows: [] };
const x = [0.3, -0.2, 0.9, 0.1, -0.5, 0.4, 0.2, 0.8];
for (const distribution of ['gaussian', 'gumbel', 'cauchy', 'triangular']) {
  for (const sampler of ['mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian', 'sobol', 'rqmc-sobol']) {
    for (const covariate of ['none', 'fx', 'loo']) {
      const row = { label: distribution + '/' + sampler + '/' + covariate };
      for (const backend of ['cuda', 'js']) {
        const opts = { distribution, medianOf: 3, scale: 0.6, samples: sampler === 'rqmc-cartesian' ? 16 : 48, sampler, covariate, seed: 4, backend };
        const s = await smooth(blackboxes.ranks(4), opts).forward(new Float32Array(x));
        row[backend] = [...s.value, ...(await s.vjp(new Float32Array(x))), ...(await s.jacobian())];
        row['ran_' + backend] = s.backend;
      }
      out.rows.push(row);
    }
  }
}
console.log(JSON.stringify(out));
`;

test('emulated cuda = js for medianOf 3 across samplers × covariates (value, vjp, jacobian)', async (t) => {
  const r = await runOnEmulatedCuda<{ info: { available: boolean; reason?: string }; rows: Array<{ label: string; cuda: number[]; js: number[]; ran_cuda: string }> }>('median-emulated-cuda', script);
  if (r === undefined) {
    t.log('stochastic_smoothing_cuda_emulated.node not built (no CUDA toolkit): nothing to run');
    t.pass();
    return;
  }
  t.true(r.info.available, `emulated cuda unavailable: ${r.info.reason}`);
  t.is(r.rows.length, 4 * 6 * 3);
  for (const row of r.rows) {
    t.is(row.ran_cuda, 'cuda', row.label);
    t.is(row.cuda.length, row.js.length);
    let worst = 0;
    row.cuda.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - row.js[k]) / (1 + Math.abs(row.js[k])))));
    t.true(worst <= 2e-5, `${row.label}: cuda vs js max relative difference ${worst}`);
  }
});

test('README median-of-k example runs as written: value and slope within 5 printed standard errors of the closed form', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.search(/### Median-of-k noise/);
  t.true(at >= 0, 'README has the section');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  t.truthy(block);
  const file = join(root, 'dist', '.readme-median.mjs');
  writeFileSync(file, block![1]);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root });
  const rows = [...stdout.matchAll(/(value|slope) ([-\d.]+) ± ([\d.]+) \(exact ([-\d.]+)\)/g)];
  t.is(rows.length, 2, stdout);
  // The printed exact values are the closed forms computed here independently of medianOfDistribution.
  const F = 0.5 + Math.atan(-0.4) / Math.PI; // Cauchy F(−0.4)
  const mu = 1 / (Math.PI * (1 + 0.16));
  const exact = { value: 1 - F * F * (3 - 2 * F), slope: (6 * F * (1 - F) * mu) / 0.5 };
  for (const [line, what, est, se, printed] of rows) {
    const truth = exact[what as 'value' | 'slope'];
    t.true(Math.abs(Number(printed) - truth) <= 1e-4, `${line}: printed exact vs ${truth}`);
    t.true(Number(se) > 0 && Math.abs(Number(est) - truth) <= 5 * Number(se) + 1e-4, line);
  }
});

test('CLI: estimate --median-of k smooths with median-of-k noise (same numbers as smooth()), a bad k is refused naming options.medianOf', async (t) => {
  const cli = join(root, 'dist', 'cli', 'bin.js');
  const args = ['estimate', 'argmax', '--n', '3', '--x', '0.1,0.5,0.2', '--distribution', 'cauchy', '--samples', '256', '--backend', 'js', '--json'];
  const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args, '--median-of', '3'], { cwd: root });
  const report = JSON.parse(stdout) as { value: number[]; options: { medianOf: number } };
  t.is(report.options.medianOf, 3);
  const direct = await smooth(blackboxes.argmax(3), { distribution: 'cauchy', medianOf: 3, scale: 1, samples: 256, seed: 0, backend: 'js' }).forward(new Float32Array([0.1, 0.5, 0.2]));
  t.deepEqual(report.value, [...direct.value]);
  const plain = JSON.parse((await promisify(execFile)(process.execPath, [cli, ...args], { cwd: root })).stdout) as { value: number[]; options: { medianOf: number } };
  t.is(plain.options.medianOf, 1);
  t.notDeepEqual(plain.value, report.value);
  const err = await t.throwsAsync(promisify(execFile)(process.execPath, [cli, ...args, '--median-of', '4'], { cwd: root }));
  t.regex((err as unknown as { stderr: string }).stderr, /ERR_INVALID_ARGUMENT.*options\.medianOf/);
});
