/** The training demos' output: results.json, summary.md (the comparison table) and learning-curve SVGs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../experiments/charts.js';
import type { MethodResult, TrainOptions } from './loop.js';

export interface Metric {
  key: string;
  title: string;
  /** Held-out trials behind the share (for its binomial standard error). */
  trials: number;
}

export interface TrainReport {
  demo: 'ranking' | 'paths';
  title: string;
  metrics: Metric[];
  options: TrainOptions;
  results: MethodResult[];
  seconds: number;
  /** With --seeds K > 1: every training seed's results (results above are the first seed's). */
  seedRuns?: { seed: number; results: MethodResult[] }[];
  /** The machine that trained (kept when a report is re-rendered from results.json elsewhere). */
  machine?: { cpus: number; cpu: string; node: string };
}

/** Each demo's title and held-out metrics (N trials each: sets or numbers, maps). */
export function demoMetrics(demo: 'ranking' | 'paths', setSize: number, testSize: number): { title: string; metrics: Metric[] } {
  return demo === 'ranking'
    ? { title: `4-digit MNIST ranking (n = ${setSize})`, metrics: [{ key: 'exact', title: 'exact match', trials: testSize }, { key: 'elementwise', title: 'element-wise', trials: setSize * testSize }] }
    : { title: '12×12 terrain shortest paths', metrics: [{ key: 'optimal', title: 'optimal paths', trials: testSize }, { key: 'exact', title: 'exact path', trials: testSize }] };
}

/** A Markdown table: the header row, its rule, then one row per entry. */
const markdownRows = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Mean and sample standard deviation (n − 1) of values. */
export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : Number.NaN;
  return { mean, std };
}

/**
 * The comparison over training seeds: per method, the mean ± sample standard deviation over the seeds of each
 * final held-out share, next to the typical binomial standard error of one run (the held-out sampling noise).
 */
export function seedTable(report: TrainReport): string {
  const runs = report.seedRuns ?? [];
  const head = ['method', ...report.metrics.flatMap((m) => [`${m.title}: mean ± std over ${runs.length} seeds`, 'one run\'s se'])];
  const rows = report.results.map((first) => {
    const cells = report.metrics.flatMap((m) => {
      const values = runs.map((r) => r.results.find((x) => x.id === first.id)?.final[m.key]).filter((v): v is number => v !== undefined);
      const { mean, std } = meanStd(values);
      return [`${(100 * mean).toFixed(1)} ± ${(100 * std).toFixed(1)} %`, `${(100 * shareStderr(mean, m.trials)).toFixed(1)} %`];
    });
    return [first.label, ...cells];
  });
  return markdownRows(head, rows);
}

/** Two-sided 95 % quantiles of Student's t for 1 … 30 degrees of freedom (any statistics table); beyond 30, the value at 30 (conservative). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export const studentT975 = (df: number): number => T975[Math.min(df, T975.length) - 1];

/**
 * Paired differences over the seeds. Within one seed every method starts from the same weights and sees the
 * same batches and held-out set, so the per-seed difference a_k − b_k cancels what the seed shares. Per method
 * pair and metric: the mean difference ± its standard error (sample std / √K), and a verdict at 95 %: a method is
 * ahead only where |mean| > t·se with Student's t for K − 1 degrees of freedom (4.30 for K = 3, not 2: with so
 * few seeds the se is itself uncertain, and the 2-se rule would call chance gaps).
 */
export function pairedTable(report: TrainReport): string {
  const runs = report.seedRuns ?? [];
  const head = ['methods (a − b)', ...report.metrics.map((m) => `${m.title}: mean difference ± se over ${runs.length} seeds (95 %: ahead beyond ${runs.length > 1 ? studentT975(runs.length - 1).toFixed(2) : '–'} se)`)];
  const rows: string[][] = [];
  report.results.forEach((a, i) => {
    for (const b of report.results.slice(i + 1)) {
      const cells = report.metrics.map((m) => {
        const d = runs
          .map((r) => (r.results.find((x) => x.id === a.id)?.final[m.key] ?? Number.NaN) - (r.results.find((x) => x.id === b.id)?.final[m.key] ?? Number.NaN))
          .filter(Number.isFinite);
        const { mean, std } = meanStd(d);
        const se = std / Math.sqrt(d.length);
        const verdict = !(se >= 0) ? 'one seed: no se' : Math.abs(mean) > studentT975(d.length - 1) * se ? `${mean > 0 ? a.id : b.id} ahead` : 'not resolved';
        return `${(100 * mean).toFixed(1)} ± ${(100 * se).toFixed(1)} points (${verdict})`;
      });
      rows.push([`${a.label} − ${b.label}`, ...cells]);
    }
  });
  return markdownRows(head, rows);
}

/** The binomial standard error √(p(1 − p)/N) of a held-out share p over N trials. */
const shareStderr = (p: number, trials: number) => Math.sqrt((p * (1 - p)) / trials);

/** A held-out share with its binomial standard error: differences inside ±2 of them are noise. */
const share = (p: number, trials: number) => `${(100 * p).toFixed(1)} ± ${(100 * shareStderr(p, trials)).toFixed(1)} %`;

/** What each demo's held-out metrics mean (summary.md defines every figure it shows). */
const DEFINITIONS: Record<string, Record<string, string>> = {
  ranking: {
    exact: 'share of held-out sets whose predicted order (the ascending order of the model\'s scores) equals the true order of all n numbers of the set',
    elementwise: 'share of held-out numbers that the predicted order puts at their true position',
  },
  paths: {
    optimal: 'share of held-out maps whose predicted path (shortest path under the predicted costs) is optimal under the true costs (its true cost within 1e-4 relative of the shortest)',
    exact: 'share of held-out maps whose predicted path is the true path cell for cell',
  },
};

/** The metrics paragraph of summary.md. */
export function metricDefinitions(report: TrainReport): string {
  const lines = report.metrics.map((m) => `- **${m.title}**: ${DEFINITIONS[report.demo]?.[m.key] ?? 'a held-out share'}; over N = ${m.trials} held-out trials.`);
  return [
    '**Metrics.** Each held-out figure is a share `p ± se` with the binomial standard error se = √(p(1 − p)/N); two methods differ',
    'beyond that uncertainty only when their shares are more than 2·√(se₁² + se₂²) apart (they see the same held-out data, so this is',
    'conservative). The learning curves show the same ± 1 se as a band.',
    ...lines,
    '- **final train loss**: the mean training loss of the last logged interval (each method\'s own loss, so not comparable across methods).',
    '- **ms/step (op share)**: mean wall time of a training step (held-out evaluation excluded), and the share of it spent in the method\'s',
    '  non-tfjs op: the smoothed op (forward estimate and VJP, on the smoothing backend) or the blackbox solver; the rest is the model',
    '  (forward, backward, optimizer) on the tfjs backend. One run on a shared machine: a rough figure.',
  ].join('\n');
}

function curveSpec(report: TrainReport, field: string, title: string, percent: boolean): TopLevelSpec {
  const trials = report.metrics.find((m) => m.key === field)?.trials;
  const values = report.results.flatMap((r) =>
    r.curve
      .filter((p) => Number.isFinite(field === 'loss' ? p.loss : p.metrics[field]))
      .map((p) => {
        const y = field === 'loss' ? p.loss : p.metrics[field];
        // A held-out share gets its ± 1 binomial standard error as a band; the training loss has none.
        const se = trials === undefined ? 0 : shareStderr(y, trials);
        return { method: r.label, step: p.step, y, lo: Math.max(0, y - se), hi: Math.min(1, y + se) };
      }),
  );
  if (trials !== undefined) return bandedCurves(`${report.title}: ${title} (band: ± 1 standard error)`, title, values);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${report.title}: ${title}`,
    width: 520,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: STEP_AXIS, y: { field: 'y', type: 'quantitative', title, axis: percent ? { format: '.0%' } : {} }, color: METHOD_COLOR },
  };
}

const METHOD_COLOR = { field: 'method', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 400 } } as const;
const STEP_AXIS = { field: 'step', type: 'quantitative', title: 'training step' } as const;

/** One line per method over the training steps (y, a share in percent) with a shaded band from lo to hi. */
function bandedCurves(chartTitle: string, yTitle: string, values: object[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: chartTitle,
    width: 520,
    height: 300,
    data: { values },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { x: STEP_AXIS, y: { field: 'lo', type: 'quantitative', title: yTitle, axis: { format: '.0%' } }, y2: { field: 'hi' }, color: METHOD_COLOR } },
      { mark: { type: 'line', point: true }, encoding: { x: STEP_AXIS, y: { field: 'y', type: 'quantitative', title: yTitle }, color: METHOD_COLOR } },
    ],
  };
}

/**
 * The held-out curve of every method over the seeds: at each evaluation step the mean over the seeds, with a
 * band of ± 1 sample standard deviation over the seeds (the spread a reader would see rerunning with another seed).
 */
function seedCurveSpec(report: TrainReport, metric: Metric): TopLevelSpec {
  const runs = report.seedRuns ?? [];
  const values = report.results.flatMap((first) =>
    first.curve.map((p) => {
      const ys = runs.map((r) => r.results.find((x) => x.id === first.id)?.curve.find((q) => q.step === p.step)?.metrics[metric.key]).filter((v): v is number => Number.isFinite(v));
      const { mean, std } = meanStd(ys);
      const band = Number.isFinite(std) ? std : 0;
      return { method: first.label, step: p.step, y: mean, lo: Math.max(0, mean - band), hi: Math.min(1, mean + band), seeds: ys.length };
    }),
  );
  const title = `held-out ${metric.title}`;
  return bandedCurves(`${report.title}: ${title}, mean over ${runs.length} seeds (band: ± 1 std over the seeds)`, title, values);
}

export function summaryTable(report: TrainReport): string {
  const head = ['method', ...report.metrics.map((m) => m.title), 'final train loss', 'backend', 'ms/step (op share)', 'time'];
  const rows = report.results.map((r) => {
    const last = r.curve[r.curve.length - 1];
    const learned = r.learnedScale === undefined ? r.label : `${r.label} (final γ = ${r.learnedScale.toPrecision(3)})`;
    const label = r.completed ? learned : `${learned} (stopped at step ${last.step})`;
    const t = r.timing;
    const speed = t === undefined ? '–' : `${t.msPerStep.toFixed(1)} (${(100 * t.opShare).toFixed(1)} %)`;
    return [label, ...report.metrics.map((m) => share(r.final[m.key], m.trials)), last.loss.toFixed(4), r.backend ?? 'tfjs', speed, `${r.seconds.toFixed(0)} s`];
  });
  return markdownRows(head, rows);
}

/** Write the results folder; returns the text to print. */
export async function writeTrainReport(out: string, report: TrainReport): Promise<string> {
  mkdirSync(out, { recursive: true });
  const { signal: _signal, onProgress: _onProgress, ...flags } = report.options;
  const machine = report.machine ?? { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  const seeds = report.seedRuns;
  writeFileSync(join(out, 'results.json'), `${JSON.stringify({ demo: report.demo, options: flags, machine, seconds: report.seconds, results: report.results, ...(seeds ? { seedRuns: seeds } : {}) }, null, 2)}\n`);
  const o = report.options;
  const settings = `model ${o.model ?? 'dense'} on tfjs ${o.tfBackend ?? 'cpu'}, ${o.steps} steps, batch ${o.batch}, Adam ${o.learningRate}, smoothing: γ = ${o.scale}, ${o.samples} samples, sampler ${o.sampler}; held out: ${o.testSize}; seed ${o.seed}`;
  const multi = seeds !== undefined && seeds.length > 1;
  const seedPart = multi
    ? `\n\nOver the training seeds ${seeds.map((r) => r.seed).join(', ')} (the table above and the curves-<metric>.svg: seed ${seeds[0].seed}; curves-<metric>-seeds.svg: the mean over the seeds):\n\n${seedTable(report)}${report.results.length > 1 ? `\n\nPaired by seed (same weights, batches and held-out set within a seed):\n\n${pairedTable(report)}` : ''}`
    : '';
  const table = summaryTable(report) + seedPart;
  const files = [`curves-loss.svg`, ...report.metrics.flatMap((m) => (multi ? [`curves-${m.key}.svg`, `curves-${m.key}-seeds.svg`] : [`curves-${m.key}.svg`]))];
  writeFileSync(join(out, 'summary.md'), `# ${report.title}\n\n${settings}\n\n${table}\n\n${metricDefinitions(report)}\n\n${files.map((f) => `![${f}](${f})`).join('\n')}\n`);
  writeFileSync(join(out, 'curves-loss.svg'), await renderSvg(curveSpec(report, 'loss', 'training loss', false)));
  for (const m of report.metrics) {
    writeFileSync(join(out, `curves-${m.key}.svg`), await renderSvg(curveSpec(report, m.key, `held-out ${m.title}`, true)));
    if (multi) writeFileSync(join(out, `curves-${m.key}-seeds.svg`), await renderSvg(seedCurveSpec(report, m)));
  }
  return `${report.title} (${settings}), ${report.seconds.toFixed(0)} s:\n\n${table}\n\nWritten to ${out}: results.json, summary.md, ${files.join(', ')}`;
}
