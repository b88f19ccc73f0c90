/** The training report shows its uncertainty: ± binomial s.e. in the table, bands on the held-out curves, defined metrics. */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainCommand } from '../lib/cli/train.js';
import { meanStd, metricDefinitions, pairedTable, seedTable, studentT975, writeTrainReport, type TrainReport } from '../lib/train/report.js';

function report(): TrainReport {
  const curve = (a: number) => [0, 10, 20].map((step, k) => ({ step, loss: k === 0 ? Number.NaN : 1 / (k + 1), metrics: { exact: a * k, elementwise: 0.2 + a * k } }));
  return {
    demo: 'ranking',
    title: 'Ranking test',
    metrics: [
      { key: 'exact', title: 'exact match', trials: 100 },
      { key: 'elementwise', title: 'element-wise', trials: 500 },
    ],
    options: { steps: 20, batch: 8, learningRate: 1e-3, scale: 0.5, samples: 64, sampler: 'mc', testSize: 100, seed: 1 } as unknown as TrainReport['options'],
    results: [
      { id: 'a', label: 'method A', curve: curve(0.2), final: { exact: 0.4, elementwise: 0.6 }, seconds: 1, completed: true },
      { id: 'b', label: 'method B', curve: curve(0.1), final: { exact: 0.2, elementwise: 0.4 }, seconds: 1, completed: true },
    ],
    seconds: 2,
  };
}

/** One seed's results in which method A ends at exact-match share a and method B at b (element-wise 0.5 both). */
function finalsRun(r: TrainReport, seed: number, a: number, b: number): { seed: number; results: TrainReport['results'] } {
  return { seed, results: r.results.map((m, i) => ({ ...m, final: { exact: i === 0 ? a : b, elementwise: 0.5 } })) };
}

test('summary.md defines every metric; held-out curves carry a ± 1 s.e. band, the loss curve none', async (t) => {
  const r = report();
  const out = mkdtempSync(join(tmpdir(), 'ss-train-report-'));
  await writeTrainReport(out, r);
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  t.true(summary.includes(metricDefinitions(r)));
  t.regex(summary, /\*\*exact match\*\*: share of held-out sets whose predicted order/);
  t.regex(summary, /\*\*element-wise\*\*: share of held-out numbers/);
  t.regex(summary, /40\.0 ± 4\.9 %/, 'the table keeps √(p(1 − p)/N): 0.4 over 100 trials → 4.9 %');
  const exact = readFileSync(join(out, 'curves-exact.svg'), 'utf8');
  t.true(exact.includes('band: ± 1 standard error'));
  t.regex(exact, /class="mark-area/, 'an area mark draws the band');
  t.notRegex(readFileSync(join(out, 'curves-loss.svg'), 'utf8'), /class="mark-area/);
});

test('--seeds: the seed table gives each method the mean ± sample std of its final shares over the seeds', (t) => {
  const r = report();
  const run = (seed: number, a: number, b: number) => finalsRun(r, seed, a, b);
  r.seedRuns = [run(1, 0.2, 0.1), run(2, 0.4, 0.1), run(3, 0.3, 0.1)];
  const table = seedTable(r);
  // method A: 0.2, 0.4, 0.3 → mean 30.0 %, sample std 10.0 %; one run's se √(0.3·0.7/100) = 4.6 %.
  t.regex(table, /\| method A \| 30\.0 ± 10\.0 % \| 4\.6 % \| 50\.0 ± 0\.0 % \|/);
  t.regex(table, /\| method B \| 10\.0 ± 0\.0 % \| 3\.0 % \|/);
  t.regex(table, /exact match: mean ± std over 3 seeds/);
  const { mean, std } = meanStd([1, 2, 3, 4]);
  t.is(mean, 2.5);
  t.is(std, Math.sqrt(5 / 3));
});

test('--seeds: paired differences by seed, mean ± sample std/√K, and the verdict at |d| > t(K − 1)·se', (t) => {
  const r = report();
  const run = (seed: number, a: number, b: number) => finalsRun(r, seed, a, b);
  // A − B per seed: 0.20, 0.22, 0.24 → mean 22.0 points, std 0.02, se 0.02/√3 = 1.2 points: 22 > 4.303·1.2, A is ahead.
  r.seedRuns = [run(1, 0.3, 0.1), run(2, 0.32, 0.1), run(3, 0.34, 0.1)];
  t.regex(pairedTable(r), /\| method A − method B \| 22\.0 ± 1\.2 points \(a ahead\) \| 0\.0 ± 0\.0 points \(not resolved\) \|/);
  t.regex(pairedTable(r), /mean difference ± se over 3 seeds \(95 %: ahead beyond 4\.30 se\)/);
  // A − B per seed: 0.1, 0.3, 0.2 → 20.0 ± 5.8 points: beyond 2 se, but not beyond t(2) = 4.303 se: not resolved.
  r.seedRuns = [run(1, 0.2, 0.1), run(2, 0.4, 0.1), run(3, 0.3, 0.1)];
  t.regex(pairedTable(r), /\| method A − method B \| 20\.0 ± 5\.8 points \(not resolved\) \|/);
  t.is(studentT975(1), 12.706);
  t.is(studentT975(100), studentT975(30));
});

test('--seeds: curves of the mean over the seeds with a ± 1 std band; `train report DIR` renders them again and keeps the machine', async (t) => {
  const r = report();
  r.seedRuns = [1, 2, 3].map((seed) => ({ seed, results: r.results.map((m) => ({ ...m, curve: m.curve.map((p) => ({ ...p, metrics: { exact: p.metrics.exact + seed / 100, elementwise: 0.5 } })) })) }));
  r.machine = { cpus: 64, cpu: 'the training machine', node: 'v0' };
  const out = mkdtempSync(join(tmpdir(), 'ss-train-report-'));
  await writeTrainReport(out, r);
  const seeds = readFileSync(join(out, 'curves-exact-seeds.svg'), 'utf8');
  t.true(seeds.includes('mean over 3 seeds (band: ± 1 std over the seeds)'));
  t.regex(seeds, /class="mark-area/);
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  t.true(summary.includes('![curves-exact-seeds.svg](curves-exact-seeds.svg)'));
  const json = readFileSync(join(out, 'results.json'), 'utf8');
  rmSync(join(out, 'summary.md'));
  rmSync(join(out, 'curves-exact-seeds.svg'));
  const log = console.log;
  console.log = () => {};
  try {
    t.is(await trainCommand(['report', out]), 0);
  } finally {
    console.log = log;
  }
  t.is(readFileSync(join(out, 'results.json'), 'utf8'), json, 'results.json is rewritten unchanged (machine included)');
  t.regex(JSON.parse(json).machine.cpu, /the training machine/);
  const again = readFileSync(join(out, 'summary.md'), 'utf8');
  t.true(again.includes(seedTable(r)) && again.includes(pairedTable(r)));
  t.true(readFileSync(join(out, 'curves-exact-seeds.svg'), 'utf8').includes('mean over 3 seeds'));
  await t.throwsAsync(trainCommand(['report', join(out, 'nowhere')]), { message: /cannot read .*results\.json/ });
});

test('--seeds with one method: the seed table, and no paired table (there is no pair)', async (t) => {
  const r = report();
  r.results = r.results.slice(0, 1);
  r.seedRuns = [1, 2].map((seed) => ({ seed, results: r.results }));
  const out = mkdtempSync(join(tmpdir(), 'ss-train-report-'));
  await writeTrainReport(out, r);
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  t.true(summary.includes(seedTable(r)));
  t.false(summary.includes('Paired by seed'));
});
