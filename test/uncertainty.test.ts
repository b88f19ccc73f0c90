/**
 * Uncertainty of the studies' error metrics (lib/experiments/uncertainty.ts) and how the variance report shows it:
 * the stratified standard error covers the truth at its nominal rate, errorStatistics agrees with the sums of
 * squaredErrors, ties and verdicts follow the 2-standard-error rule, heatmaps keep full labels and white text
 * on dark cells, and the best-strategy chart gives tied strategies one colour.
 */
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DISTRIBUTIONS, STRATEGIES, squaredErrors } from '../lib/experiments/variance-config.js';
import { bestWithTies, csv, markdownTable, paperFindings, writeReport } from '../lib/experiments/variance-report.js';
import type { Cell, VarianceRun } from '../lib/experiments/variance.js';
import { errorStatistics, resolved, rmseStderr, stratifiedMean, withStderr } from '../lib/experiments/uncertainty.js';
import { philoxUniform } from '../lib/random/philox.js';
import { normalIcdf } from '../lib/distributions.js';

const normal = (seed: number, k: number) => normalIcdf(philoxUniform(seed, 0, k, 0, 0));

test('stratifiedMean: the mean is the plain mean; mean ± 2 se covers the truth in ≥ 90 % of 400 seeds', (t) => {
  const I = 4;
  const R = 16;
  const means = [1, 2, 5, 10];
  const sds = [0.5, 1, 2, 3];
  const truth = means.reduce((a, b) => a + b, 0) / I;
  let covered = 0;
  for (let seed = 0; seed < 400; seed++) {
    const v = Float64Array.from({ length: I * R }, (_, k) => means[Math.floor(k / R)] + sds[Math.floor(k / R)] * normal(seed, k));
    const e = stratifiedMean(v, I, R);
    t.true(Math.abs(e.mean - v.reduce((a, b) => a + b, 0) / (I * R)) < 1e-12);
    if (Math.abs(e.mean - truth) <= 2 * e.se) covered++;
  }
  // Nominal ≈ 95 % (a t with 60 degrees of freedom); 90 % leaves room for the sampling of 400 seeds (s.e. 1.1 %).
  t.true(covered >= 360, `${covered}/400`);
  t.true(Number.isNaN(stratifiedMean([3], 1, 1).se));
  const flat = stratifiedMean([1, 2, 3, 4], 4, 1); // R = 1: the inputs as independent draws
  t.true(Math.abs(flat.se - Math.sqrt(5 / 3 / 4)) < 1e-12);
});

test('errorStatistics: its MSEs equal squaredErrors / (I·R·entries), and the se is positive', (t) => {
  const [I, R, m, n] = [3, 5, 4, 2];
  const jac = Float32Array.from({ length: I * R * m * n }, (_, k) => normal(1, k));
  const ref = Float32Array.from({ length: I * m * n }, (_, k) => normal(2, k));
  const v = Float32Array.from({ length: I * m }, (_, k) => normal(3, k));
  const e = errorStatistics(jac, ref, v, I, R, m, n);
  const sums = squaredErrors(jac, ref, v, I, R, m, n);
  t.true(Math.abs(e.jacobian.mean - sums.jacobian / (I * R * m * n)) < 1e-9 * sums.jacobian);
  t.true(Math.abs(e.vjp.mean - sums.vjp / (I * R * n)) < 1e-9 * sums.vjp);
  t.true(e.jacobian.se > 0 && e.vjp.se > 0);
});

test('rmseStderr is the delta method; resolved uses 2 combined standard errors; withStderr formats a ± b', (t) => {
  // d√x/dx = 1/(2√x): for MSE 4 ± 0.4 the RMSE is 2 ± 0.1.
  t.true(Math.abs(rmseStderr(4, 0.4) - 0.1) < 1e-12);
  t.true(resolved(1, 0.3, 2.1, 0.4)); // |Δ| = 1.1 > 2·0.5
  t.false(resolved(1, 0.3, 2, 0.4)); // 1 is not > 2·0.5
  t.false(resolved(1, undefined, 100, 0.1), 'no standard error: never resolved');
  t.is(withStderr(0.0012345, 0.000045), '1.23e-3 ± 4.5e-5');
  t.is(withStderr(0.0012345, undefined), '1.23e-3');
});

/** A synthetic run over one setting: every strategy feasible, MSE = base(distribution)·factor(strategy). */
function syntheticRun(se: (c: Cell) => number, factor: (strategy: string, d: string) => number): VarianceRun {
  const cells: Cell[] = [];
  for (const d of DISTRIBUTIONS) {
    for (const st of STRATEGIES) {
      const feasible = !(d === 'gumbel' && st.antithetic);
      const c: Cell = { setting: 'permutation3', distribution: d, strategy: st.id, feasible, samples: 1000, backend: 'js', seconds: 1 };
      if (feasible) {
        c.jacobianMse = 1e-3 * factor(st.id, d);
        c.vjpMse = 2e-3 * factor(st.id, d);
        c.jacobianMseSe = se(c);
        c.vjpMseSe = 2 * se(c);
      } else c.reason = 'no antithetic for gumbel';
      cells.push(c);
    }
  }
  return { meta: { gamma: 0.5, samples: 1000, repeats: 4, inputs: 2, referenceSamples: 1 << 16 }, cells, completed: true, backend: 'js', seconds: 1 };
}

// Recommended rqmc-cartesian/loo is clearly best for gaussian, tied with rqmc-latin/loo for laplace, clearly worse
// than rqmc-latin/loo for cauchy; loo beats none/fx everywhere by a factor 2 (resolved with a 1 % se).
function factor(strategy: string, d: string): number {
  const covariate = strategy.split('/')[1];
  let f = covariate === 'loo' ? 1 : 2;
  if (strategy.startsWith('mc/')) f *= 3;
  if (strategy.startsWith('qmc-latin')) f *= 2.5;
  if (strategy.endsWith('/anti')) f *= 1.5;
  if (strategy.startsWith('rqmc-sobol')) f *= 1.2;
  if (strategy === 'rqmc-cartesian/loo') f *= d === 'gaussian' ? 0.5 : d === 'laplace' ? 0.999 : d === 'cauchy' ? 1.5 : 0.8;
  return f;
}

test('variance report: ± in every cell, ≈ on ties, SE columns in the CSV, verdicts only where resolved', (t) => {
  const run = syntheticRun((c) => 0.01 * c.jacobianMse!, factor);
  const table = markdownTable(run.cells, 'jacobianMse');
  t.regex(table, /\*\*5\.00e-4 ± 5\.0e-6\*\*/, 'gaussian: the best cell in bold with its se');
  t.regex(table, /\| rqmc-latin\/loo \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| 1\.00e-3 ± 1\.0e-5 ≈ \|/, 'laplace: rqmc-latin/loo tied with the best');
  const rows = csv(run.cells).trim().split('\n');
  t.true(rows[0].includes('jacobian_mse,jacobian_mse_se,vjp_mse,vjp_mse_se'));
  const findings = paperFindings(run.cells, 'permutation(3)');
  const verdict = (d: string, claim: RegExp) => findings.find((f) => f.distribution === d && claim.test(f.claim))!.verdict;
  t.is(verdict('gaussian', /best/), 'agrees');
  t.is(verdict('laplace', /best/), 'not resolved');
  t.is(verdict('cauchy', /best/), 'disagrees');
  t.is(verdict('triangular', /best/), 'disagrees', 'qmc-latin/loo is 2.5× rqmc-latin/loo here');
  t.is(verdict('logistic', /loo/), 'agrees');
  t.is(verdict('logistic', /antithetic/), 'agrees', 'every /anti cell is 1.5× its plain twin');
  // The same run with huge standard errors resolves nothing.
  const vague = paperFindings(syntheticRun((c) => c.jacobianMse!, factor).cells, 'permutation(3)');
  t.true(vague.filter((f) => f.claim.includes('best') && f.distribution !== 'gaussian').every((f) => f.verdict === 'not resolved'));
  t.true(vague.filter((f) => !f.claim.includes('best')).every((f) => f.verdict === 'not resolved'));
});

test('best-strategy chart: a strategy tied with the best is listed and shares its colour; heatmap labels are whole, dark cells get white text', async (t) => {
  const run = syntheticRun((c) => 0.01 * c.jacobianMse!, factor);
  const ties = bestWithTies(run);
  const laplace = ties.find((b) => b.distribution === 'laplace')!;
  t.is(laplace.best.strategy, 'rqmc-cartesian/loo');
  t.deepEqual(laplace.tied, ['rqmc-latin/loo']);
  t.deepEqual(ties.find((b) => b.distribution === 'gaussian')!.tied, []);
  const out = mkdtempSync(join(tmpdir(), 'ss-report-'));
  await writeReport(out, run);
  const svg = readFileSync(join(out, 'permutation3-heatmap.svg'), 'utf8');
  for (const st of STRATEGIES) t.true(svg.includes(`>${st.id}<`), `full label ${st.id}`);
  t.regex(svg, /fill="white"[^>]*>-?\d\.\d</, 'some value labels are white');
  t.regex(svg, /fill="black"[^>]*>-?\d\.\d</, 'some value labels are black');
  const best = readFileSync(join(out, 'best-strategy.svg'), 'utf8');
  t.true(best.includes('rqmc-cartesian/loo (≈ 1 more: rqmc-latin/loo)'));
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  t.regex(summary, /\*\*Metrics\.\*\*/);
  t.regex(summary, /\| laplace \| rqmc-cartesian is the best of the paper's samplers \| not resolved \|/);
});

test('samples report: ± in the error table, SE columns, crossovers and leads say when they are not resolved', async (t) => {
  const { writeSamplesReport } = await import('../lib/experiments/samples-report.js');
  const { DEFAULT_STRATEGIES, SAMPLE_SETTINGS } = await import('../lib/experiments/samples.js');
  const setting = SAMPLE_SETTINGS[0];
  const strategies = STRATEGIES.filter((s) => (DEFAULT_STRATEGIES as readonly string[]).includes(s.id));
  const cells = [];
  // gaussian and laplace equal within their errors; cauchy clearly higher; the rest clearly lower than cauchy.
  const level: Record<string, number> = { gaussian: 1, laplace: 1.001, cauchy: 3, logistic: 1.5, gumbel: 2, triangular: 2.5 };
  for (const d of DISTRIBUTIONS) {
    for (const st of strategies) {
      for (const exp of [4, 5, 6]) {
        const rmse = (level[d] * (st.id.startsWith('mc') ? 2 : 1)) / 2 ** (exp / 2);
        cells.push({ setting: setting.id, distribution: d, strategy: st.id, exp, samples: 2 ** exp, referenceSamples: 1 << 14, referenceRms: 1, jacobianRmse: rmse, jacobianRmseSe: 0.01 * rmse, vjpRmse: rmse, vjpRmseSe: 0.01 * rmse, seconds: 1, backend: 'js' as const });
      }
    }
  }
  const run = { meta: { gamma: 0.5, repeats: 4, inputs: 2, referenceExps: { [setting.id]: 14 } }, settings: [setting], strategies, exps: { [setting.id]: [4, 5, 6] }, cells, completed: true, backend: 'js' as const, seconds: 1 };
  const out = mkdtempSync(join(tmpdir(), 'ss-samples-report-'));
  const text = await writeSamplesReport(out, run as unknown as Parameters<typeof writeSamplesReport>[1]);
  t.regex(text, /not resolved from laplace/);
  const md = readFileSync(join(out, `${setting.id}.md`), 'utf8');
  t.regex(md, /\*\*[\d.]+e-\d ± [\d.]+e-\d\*\* \|.*≈/, 'the lowest in bold with ±, the tied one marked ≈');
  t.regex(md, /\| gaussian \([^)]+\) \| laplace \([^)]+\) \| [^|]+ \| 1\.00 \| not resolved \|/);
  t.regex(md, /\| gaussian \([^)]+\) \| cauchy \([^)]+\) \| [^|]+ \| 0\.33 \| resolved \|/);
  t.true(readFileSync(join(out, 'all.csv'), 'utf8').startsWith('setting,distribution,strategy,exp,samples,reference_samples,reference_rms,jacobian_rmse,jacobian_rmse_se,vjp_rmse,vjp_rmse_se'));
  t.regex(readFileSync(join(out, 'summary.md'), 'utf8'), /standard error of the RMSE/);
  const svg = readFileSync(join(out, `${setting.id}-error-vs-S.svg`), 'utf8');
  t.true(svg.includes('bars: ± 1 standard error'));
  t.regex(svg, /class="mark-rule/, 'a rule mark draws the error bars');
});
