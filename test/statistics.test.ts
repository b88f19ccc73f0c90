/** Statistical properties of the covariates (docs/method.md §3), over many independent replicates. */
import test from 'ava';
import { blackboxes, distributions, smooth, type DistributionName } from '../lib/index.js';
import { replicateStats, scalarBox } from './helpers/stats.js';

const ALL: DistributionName[] = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];

test('loo is unbiased under mc even at S = 8 (mean over 4000 replicates within its confidence interval)', async (t) => {
  // A naive "subtract the mean including sample i" would be biased by the factor (S − 1)/S = 0.875 here.
  const R = 4000;
  const S = 8;
  const gamma = 0.5;
  const x0 = 0.3;
  const step = scalarBox('step', (z) => (z > 0 ? 1 : 0));
  for (const name of ['gaussian', 'logistic', 'laplace'] as const) {
    const d = distributions[name];
    const out = await smooth(step, { distribution: name, scale: gamma, samples: S, sampler: 'mc', covariate: 'loo', seed: 123 }).forward(new Float32Array(R).fill(x0));
    const grad = await out.vjp(new Float32Array(R).fill(1));
    const { mean, se } = replicateStats(Array.from(grad, (g) => new Float64Array([g])));
    const truth = d.pdf(-x0 / gamma) / gamma;
    t.true(Math.abs(mean[0] - truth) <= 4 * se[0], `${name}: mean ${mean[0]} ± ${se[0]} vs ${truth}`);
    t.true(Math.abs(0.875 * truth - truth) > 8 * se[0], `${name}: the test can tell a 12.5% bias (se ${se[0]})`);
  }
});

for (const name of ALL) {
  test(`loo has lower variance than none on permutation(5) with ${name} noise`, async (t) => {
    const R = 300;
    const x = [0.1, 0.8, -0.3, 0.4, 0.35];
    const xs = new Float32Array(R * 5);
    for (let r = 0; r < R; r++) xs.set(x, r * 5);
    const variance = async (covariate: 'none' | 'loo') => {
      const out = await smooth(blackboxes.permutation(5), { distribution: name, scale: 0.5, samples: 64, sampler: 'mc', covariate, seed: 77 }).forward(xs);
      const J = await out.jacobian();
      const reps = Array.from({ length: R }, (_, r) => J.slice(r * 125, (r + 1) * 125));
      const { se } = replicateStats(reps);
      return se.reduce((acc, s) => acc + s * s * R, 0); // Σ over entries of the per-replicate variance
    };
    const none = await variance('none');
    const loo = await variance('loo');
    t.log(`${name}: total variance none ${none.toFixed(4)}, loo ${loo.toFixed(4)} (ratio ${(loo / none).toFixed(3)})`);
    t.true(loo <= none, `${name}: loo ${loo} > none ${none}`);
  });
}
