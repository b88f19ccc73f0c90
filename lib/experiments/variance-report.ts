/** Tables (CSV, Markdown), SVG plots and the terminal summary of a variance run. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts.js';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES } from './variance-config.js';
import type { Cell, VarianceRun } from './variance.js';

type Metric = 'jacobianMse' | 'vjpMse';

const fmt = (x: number) => x.toExponential(2);

function bestPerDistribution(cells: Cell[], metric: Metric, paperOnly = false): Map<string, Cell> {
  const best = new Map<string, Cell>();
  for (const c of cells) {
    if (paperOnly && !STRATEGIES.find((s) => s.id === c.strategy)!.paper) continue;
    const v = c[metric];
    if (!c.feasible || v === undefined) continue;
    const b = best.get(c.distribution);
    if (!b || v < b[metric]!) best.set(c.distribution, c);
  }
  return best;
}

/**
 * Rows = strategies, columns = distributions; best per column in bold, best of the paper's 24 strategies
 * marked ◆ when an extension beats them; infeasible cells say n/a, never dropped.
 */
export function markdownTable(cells: Cell[], metric: Metric): string {
  const best = bestPerDistribution(cells, metric);
  const bestPaper = bestPerDistribution(cells, metric, true);
  const lines = [`| strategy | ${DISTRIBUTIONS.join(' | ')} |`, `|---|${DISTRIBUTIONS.map(() => '---').join('|')}|`];
  for (const st of STRATEGIES) {
    const row = DISTRIBUTIONS.map((d) => {
      const c = cells.find((x) => x.distribution === d && x.strategy === st.id);
      if (!c) return '…';
      if (!c.feasible) return 'n/a';
      const text = fmt(c[metric]!);
      if (best.get(d) === c) return `**${text}**`;
      return bestPaper.get(d) === c ? `${text} ◆` : text;
    });
    lines.push(`| ${st.id}${st.paper ? '' : ' †'} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function csv(cells: Cell[]): string {
  const head = 'setting,distribution,strategy,sampler,covariate,antithetic,feasible,samples,jacobian_mse,vjp_mse,seconds,note';
  const rows = cells.map((c) => {
    const st = STRATEGIES.find((s) => s.id === c.strategy)!;
    return [c.setting, c.distribution, c.strategy, st.sampler, st.covariate, st.antithetic, c.feasible, c.samples, c.jacobianMse ?? '', c.vjpMse ?? '', c.seconds ?? '', c.reason ? `"${c.reason}"` : ''].join(',');
  });
  return `${head}\n${rows.join('\n')}\n`;
}

function heatmapSpec(title: string, cells: Cell[]): TopLevelSpec {
  const values = cells.map((c) => ({
    strategy: c.strategy,
    distribution: c.distribution,
    log10mse: c.feasible && c.jacobianMse !== undefined ? Math.log10(c.jacobianMse) : null,
    label: c.feasible ? (c.jacobianMse !== undefined ? Math.log10(c.jacobianMse).toFixed(1) : '') : 'n/a',
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${title}: log10 MSE of the Jacobian estimate`,
    data: { values },
    width: 360,
    height: 600,
    encoding: {
      x: { field: 'distribution', type: 'nominal', sort: [...DISTRIBUTIONS], axis: { labelAngle: -30 } },
      y: { field: 'strategy', type: 'nominal', sort: STRATEGIES.map((s) => s.id) },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'log10mse', type: 'quantitative', scale: { scheme: 'viridis', reverse: true }, title: 'log10 MSE' } } },
      { mark: { type: 'rect', color: '#dddddd' }, transform: [{ filter: 'datum.log10mse === null' }] },
      { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'label', type: 'nominal' }, color: { value: 'black' } } },
    ],
  };
}

function bestSpec(run: VarianceRun): TopLevelSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const setting of SETTINGS) {
    const best = bestPerDistribution(run.cells.filter((c) => c.setting === setting.id), 'jacobianMse');
    for (const [distribution, c] of best) values.push({ setting: setting.title, distribution, strategy: c.strategy, score: -Math.log10(c.jacobianMse!) });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Best strategy per distribution (lowest Jacobian MSE)',
    data: { values },
    facet: { row: { field: 'setting', type: 'nominal', title: null, sort: SETTINGS.map((s) => s.title) } },
    spec: {
      width: 420,
      height: 150,
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'distribution', type: 'nominal', sort: [...DISTRIBUTIONS] },
            x: { field: 'score', type: 'quantitative', title: '−log10 MSE (longer is better)' },
            color: { field: 'strategy', type: 'nominal' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 9 },
          encoding: { y: { field: 'distribution', type: 'nominal', sort: [...DISTRIBUTIONS] }, x: { field: 'score', type: 'quantitative' }, text: { field: 'strategy', type: 'nominal' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
}

/** Write every output file; returns the terminal summary. */
export async function writeReport(out: string, run: VarianceRun): Promise<string> {
  const settings = SETTINGS.filter((s) => run.cells.some((c) => c.setting === s.id));
  // Wall time of this invocation, and the time all measured cells took (across --resume runs).
  const cellSeconds = run.cells.reduce((acc, c) => acc + (c.seconds ?? 0), 0);
  const timing = `${run.seconds.toFixed(0)} s wall this run, ${cellSeconds.toFixed(0)} s in measured cells (references excluded)`;
  const md: string[] = [
    '# Estimator benchmark (paper §4.1)',
    '',
    `Backend ${run.backend}; ${timing}${run.completed ? '' : ' (stopped early: missing cells show …)'}; γ = ${run.meta.gamma}; S = ${run.meta.samples} (Cartesian: the nearest k^n); ` +
      `R = ${run.meta.repeats} repeats × ${run.meta.inputs} inputs; reference: rqmc-sobol + loo with ${run.meta.referenceSamples} samples.`,
    'Cells: mean squared error per entry against the reference; **bold** = lowest in its column; ◆ = lowest of the paper\'s 24 strategies when † beats it; n/a = infeasible; † = beyond the paper.',
    '',
  ];
  for (const s of settings) {
    const cells = run.cells.filter((c) => c.setting === s.id);
    writeFileSync(join(out, `${s.id}.csv`), csv(cells));
    const table = [`## ${s.title}`, '', '### Jacobian MSE', '', markdownTable(cells, 'jacobianMse'), '', '### VJP MSE (fixed v)', '', markdownTable(cells, 'vjpMse'), ''].join('\n');
    writeFileSync(join(out, `${s.id}.md`), `${table}\n`);
    md.push(table);
    if (cells.some((c) => c.jacobianMse !== undefined)) writeFileSync(join(out, `${s.id}-heatmap.svg`), await renderSvg(heatmapSpec(s.title, cells)));
  }
  writeFileSync(join(out, 'all.csv'), csv(run.cells));
  if (run.cells.some((c) => c.jacobianMse !== undefined)) writeFileSync(join(out, 'best-strategy.svg'), await renderSvg(bestSpec(run)));
  writeFileSync(join(out, 'summary.md'), `${md.join('\n')}\n`);

  const lines = [`Estimator benchmark on the ${run.backend} backend (${timing})${run.completed ? '' : ' (stopped early; run again with --resume)'}:`];
  for (const s of settings) {
    lines.push(`  ${s.title}: best strategy per distribution (Jacobian MSE)`);
    const best = bestPerDistribution(run.cells.filter((c) => c.setting === s.id), 'jacobianMse');
    const bestPaper = bestPerDistribution(run.cells.filter((c) => c.setting === s.id), 'jacobianMse', true);
    for (const d of DISTRIBUTIONS) {
      const c = best.get(d);
      const p = bestPaper.get(d);
      if (c) lines.push(`    ${d.padEnd(11)} ${c.strategy.padEnd(24)} ${fmt(c.jacobianMse!)}${p && p !== c ? `   (paper's 24: ${p.strategy} ${fmt(p.jacobianMse!)})` : ''}`);
    }
  }
  lines.push(`Tables, CSV and SVG plots in ${out}/ (summary.md first).`);
  return lines.join('\n');
}
