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
}

/** A held-out share with its binomial standard error √(p(1 − p)/N): differences inside ±2 of them are noise. */
const share = (p: number, trials: number) => `${(100 * p).toFixed(1)} ± ${(100 * Math.sqrt((p * (1 - p)) / trials)).toFixed(1)} %`;

function curveSpec(report: TrainReport, field: string, title: string, percent: boolean): TopLevelSpec {
  const values = report.results.flatMap((r) =>
    r.curve.filter((p) => Number.isFinite(field === 'loss' ? p.loss : p.metrics[field])).map((p) => ({ method: r.label, step: p.step, y: field === 'loss' ? p.loss : p.metrics[field] })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${report.title}: ${title}`,
    width: 520,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step' },
      y: { field: 'y', type: 'quantitative', title, axis: percent ? { format: '.0%' } : {} },
      color: { field: 'method', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 400 } },
    },
  };
}

export function summaryTable(report: TrainReport): string {
  const head = ['method', ...report.metrics.map((m) => m.title), 'final train loss', 'backend', 'time'];
  const rows = report.results.map((r) => {
    const last = r.curve[r.curve.length - 1];
    const label = r.completed ? r.label : `${r.label} (stopped at step ${last.step})`;
    return [label, ...report.metrics.map((m) => share(r.final[m.key], m.trials)), last.loss.toFixed(4), r.backend ?? 'tfjs', `${r.seconds.toFixed(0)} s`];
  });
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Write the results folder; returns the text to print. */
export async function writeTrainReport(out: string, report: TrainReport): Promise<string> {
  mkdirSync(out, { recursive: true });
  const { signal: _signal, onProgress: _onProgress, ...flags } = report.options;
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(join(out, 'results.json'), `${JSON.stringify({ demo: report.demo, options: flags, machine, seconds: report.seconds, results: report.results }, null, 2)}\n`);
  const o = report.options;
  const settings = `${o.steps} steps, batch ${o.batch}, Adam ${o.learningRate}, smoothing: γ = ${o.scale}, ${o.samples} samples, sampler ${o.sampler}; held out: ${o.testSize}; seed ${o.seed}`;
  const table = summaryTable(report);
  const files = [`curves-loss.svg`, ...report.metrics.map((m) => `curves-${m.key}.svg`)];
  writeFileSync(join(out, 'summary.md'), `# ${report.title}\n\n${settings}\n\n${table}\n\n${files.map((f) => `![${f}](${f})`).join('\n')}\n`);
  writeFileSync(join(out, 'curves-loss.svg'), await renderSvg(curveSpec(report, 'loss', 'training loss', false)));
  for (const m of report.metrics) writeFileSync(join(out, `curves-${m.key}.svg`), await renderSvg(curveSpec(report, m.key, `held-out ${m.title}`, true)));
  return `${report.title} (${settings}), ${report.seconds.toFixed(0)} s:\n\n${table}\n\nWritten to ${out}: results.json, summary.md, ${files.join(', ')}`;
}
