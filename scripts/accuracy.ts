/**
 * Closed-form errors of the js backend (docs/method.md §6.8), printed as Markdown tables:
 *   npx tsx scripts/accuracy.ts [samples]
 * 1. Gumbel-perturbed argmax vs softmax(x/γ): max |error| of the value and of the Jacobian, per sampler.
 * 2. The step function 1[x > 0]: |error| of the gradient μ(−x/γ)/γ, per distribution and sampler.
 */
import { blackboxes, distributions, smooth, type DistributionName, type SamplerName } from '../lib/index.js';

const S = Number(process.argv[2] ?? 65536);
const samplers: SamplerName[] = ['mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian', 'sobol', 'rqmc-sobol'];
const seeds = [1, 2, 3, 4];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < b.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

const x = [0.2, -0.5, 0.9, 0.1];
const n = x.length;
const gamma = 0.7;
const e = x.map((v) => Math.exp(v / gamma));
const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
const jac: number[] = [];
for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) jac.push((p[i] * ((i === j ? 1 : 0) - p[j])) / gamma);

console.log(`### Gumbel argmax(4) vs softmax(x/γ), γ = ${gamma}, S = ${S}, covariate loo (mean over seeds ${seeds.join(', ')})\n`);
console.log('| sampler | max abs error, value | max abs error, Jacobian |');
console.log('|---|---|---|');
for (const sampler of samplers) {
  // Cartesian needs S = k^4: use the nearest k^4 at or below S.
  const samples = sampler === 'rqmc-cartesian' ? Math.floor(Math.pow(S, 1 / n) + 1e-9) ** n : S;
  let ev = 0;
  let ej = 0;
  for (const seed of seeds) {
    const out = await smooth(blackboxes.argmax(n), { distribution: 'gumbel', scale: gamma, samples, sampler, covariate: 'loo', seed }).forward(new Float32Array(x));
    ev += maxAbs(out.value, p) / seeds.length;
    ej += maxAbs(await out.jacobian(), jac) / seeds.length;
  }
  console.log(`| ${sampler}${samples !== S ? ` (S = ${samples})` : ''} | ${ev.toExponential(2)} | ${ej.toExponential(2)} |`);
}

const names: DistributionName[] = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];
const x0 = 0.3;
const g = 0.5;
console.log(`\n### Step function 1[x > 0] at x = ${x0}, γ = ${g}, S = ${S}, covariate loo: |gradient error| (mean over seeds)\n`);
console.log(`| distribution | ${samplers.join(' | ')} |`);
console.log(`|---|${samplers.map(() => '---').join('|')}|`);
const step = { name: 'step', inputSize: 1, outputSize: 1, evaluate: (i: Float32Array, c: number, o: Float32Array) => { for (let k = 0; k < c; k++) o[k] = i[k] > 0 ? 1 : 0; } };
for (const name of names) {
  const truth = distributions[name].pdf(-x0 / g) / g;
  const cells: string[] = [];
  for (const sampler of samplers) {
    let err = 0;
    for (const seed of seeds) {
      const out = await smooth(step, { distribution: name, scale: g, samples: S, sampler, covariate: 'loo', seed }).forward(new Float32Array([x0]));
      err += Math.abs((await out.vjp(new Float32Array([1])))[0] - truth) / seeds.length;
    }
    cells.push(err.toExponential(1));
  }
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
