/** Slopes, crossovers, tables (CSV, Markdown), log-log SVG plots and the terminal summary of a samples run. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts.js';
import { SAMPLE_NOISES, type SampleCell, type SampleNoise, type SamplesRun } from './samples.js';
import { RESOLVE_Z, resolved, withStderr } from './uncertainty.js';

type Metric = 'jacobianRmse' | 'vjpRmse';

const seOf = (c: SampleCell | undefined, metric: Metric): number | undefined => (c === undefined ? undefined : metric === 'jacobianRmse' ? c.jacobianRmseSe : c.vjpRmseSe);

const pow2 = (e: number) => `2^${e}`;

/** Least-squares slope of log2(error) against log2(S); NaN with fewer than two points. */
export function fitSlope(points: ReadonlyArray<{ exp: number; error: number }>): number {
  const pts = points.filter((p) => p.error > 0 && Number.isFinite(p.error));
  if (pts.length < 2) return Number.NaN;
  const mx = pts.reduce((a, p) => a + p.exp, 0) / pts.length;
  const my = pts.reduce((a, p) => a + Math.log2(p.error), 0) / pts.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of pts) {
    sxy += (p.exp - mx) * (Math.log2(p.error) - my);
    sxx += (p.exp - mx) ** 2;
  }
  return sxy / sxx;
}

export interface Slope {
  setting: string;
  distribution: SampleNoise;
  strategy: string;
  points: number;
  jacobianSlope: number;
  vjpSlope: number;
}

export function slopes(run: SamplesRun): Slope[] {
  const out: Slope[] = [];
  for (const s of run.settings) {
    for (const distribution of SAMPLE_NOISES) {
      for (const st of run.strategies) {
        const cells = run.cells.filter((c) => c.setting === s.id && c.distribution === distribution && c.strategy === st.id);
        if (cells.length === 0) continue;
        out.push({
          setting: s.id,
          distribution,
          strategy: st.id,
          points: cells.length,
          jacobianSlope: fitSlope(cells.map((c) => ({ exp: c.exp, error: c.jacobianRmse }))),
          vjpSlope: fitSlope(cells.map((c) => ({ exp: c.exp, error: c.vjpRmse }))),
        });
      }
    }
  }
  return out;
}

/** Per distribution, the strategy with the lowest error at the largest S that every strategy reached. */
export function bestStrategies(run: SamplesRun, setting: string, metric: Metric = 'jacobianRmse'): Map<SampleNoise, string> {
  const best = new Map<SampleNoise, string>();
  for (const d of SAMPLE_NOISES) {
    const cells = run.cells.filter((c) => c.setting === setting && c.distribution === d);
    if (cells.length === 0) continue;
    const top = Math.min(...run.strategies.map((st) => Math.max(-Infinity, ...cells.filter((c) => c.strategy === st.id).map((c) => c.exp))));
    const at = cells.filter((c) => c.exp === (Number.isFinite(top) ? top : Math.max(...cells.map((x) => x.exp))));
    at.sort((a, b) => a[metric] - b[metric]);
    best.set(d, at[0].strategy);
  }
  return best;
}

/** The curve (exp → error) of one distribution with its best strategy. */
function curve(run: SamplesRun, setting: string, d: SampleNoise, strategy: string, metric: Metric): Map<number, number> {
  return new Map(run.cells.filter((c) => c.setting === setting && c.distribution === d && c.strategy === strategy).map((c) => [c.exp, c[metric]]));
}

function cellAt(run: SamplesRun, setting: string, d: SampleNoise, strategy: string, exp: number): SampleCell | undefined {
  return run.cells.find((c) => c.setting === setting && c.distribution === d && c.strategy === strategy && c.exp === exp);
}

export interface Crossover {
  setting: string;
  /** Lower error at the largest common S. */
  winner: SampleNoise;
  loser: SampleNoise;
  winnerStrategy: string;
  loserStrategy: string;
  /** The smallest exponent from which the winner stays below the loser at every larger S. */
  fromExp: number;
  /** True when the winner is below at every S measured (no crossover). */
  always: boolean;
  /** Error ratio winner/loser at the largest common S. */
  ratio: number;
  /** Whether the difference at the largest common S exceeds RESOLVE_Z combined standard errors. */
  resolved: boolean;
}

export function crossovers(run: SamplesRun, metric: Metric = 'jacobianRmse'): Crossover[] {
  const out: Crossover[] = [];
  for (const s of run.settings) {
    const best = bestStrategies(run, s.id, metric);
    const ds = SAMPLE_NOISES.filter((d) => best.has(d));
    for (let a = 0; a < ds.length; a++) {
      for (let b = a + 1; b < ds.length; b++) {
        const ca = curve(run, s.id, ds[a], best.get(ds[a])!, metric);
        const cb = curve(run, s.id, ds[b], best.get(ds[b])!, metric);
        const exps = [...ca.keys()].filter((e) => cb.has(e)).sort((x, y) => x - y);
        if (exps.length === 0) continue;
        const last = exps[exps.length - 1];
        const aWins = ca.get(last)! < cb.get(last)!;
        const [w, l, cw, cl] = aWins ? [ds[a], ds[b], ca, cb] : [ds[b], ds[a], cb, ca];
        let from = last;
        for (let i = exps.length - 1; i >= 0 && cw.get(exps[i])! < cl.get(exps[i])!; i--) from = exps[i];
        const [cellW, cellL] = [cellAt(run, s.id, w, best.get(w)!, last), cellAt(run, s.id, l, best.get(l)!, last)];
        const isResolved = resolved(cw.get(last)!, seOf(cellW, metric), cl.get(last)!, seOf(cellL, metric));
        out.push({ setting: s.id, winner: w, loser: l, winnerStrategy: best.get(w)!, loserStrategy: best.get(l)!, fromExp: from, always: from === exps[0], ratio: cw.get(last)! / cl.get(last)!, resolved: isResolved });
      }
    }
  }
  return out;
}

/** Per exponent, the distribution (with its best strategy) with the lowest error. */
export interface Winner {
  exp: number;
  distribution: SampleNoise;
  error: number;
  /** The runner-up when it is within RESOLVE_Z combined standard errors (the lead is not resolved). */
  tiedWith?: SampleNoise;
}

export function winners(run: SamplesRun, setting: string, metric: Metric = 'jacobianRmse'): Winner[] {
  const best = bestStrategies(run, setting, metric);
  const out: Winner[] = [];
  for (const exp of run.exps[setting] ?? []) {
    const ranked = [...best]
      .map(([d, st]) => ({ d, c: cellAt(run, setting, d, st, exp) }))
      .filter((x): x is { d: SampleNoise; c: SampleCell } => x.c !== undefined)
      .sort((a, b) => a.c[metric] - b.c[metric]);
    if (ranked.length === 0) continue;
    const [first, second] = ranked;
    const w: Winner = { exp, distribution: first.d, error: first.c[metric] };
    if (second && !resolved(first.c[metric], seOf(first.c, metric), second.c[metric], seOf(second.c, metric))) w.tiedWith = second.d;
    out.push(w);
  }
  return out;
}

const winnerText = (w: Winner) => `${pow2(w.exp)} ${w.distribution}${w.tiedWith ? ` (not resolved from ${w.tiedWith})` : ''}`;

function slopeTable(rows: Slope[], strategies: string[], metric: 'jacobianSlope' | 'vjpSlope', withSetting: boolean): string {
  const head = `| ${withSetting ? 'setting | ' : ''}strategy | ${SAMPLE_NOISES.join(' | ')} |`;
  const lines = [head, `|${withSetting ? '---|' : ''}---|${SAMPLE_NOISES.map(() => '---:').join('|')}|`];
  const settings = [...new Set(rows.map((r) => r.setting))];
  for (const setting of settings) {
    for (const st of strategies) {
      const cells = SAMPLE_NOISES.map((d) => {
        const r = rows.find((x) => x.setting === setting && x.distribution === d && x.strategy === st);
        return r && Number.isFinite(r[metric]) ? r[metric].toFixed(2) : '…';
      });
      lines.push(`| ${withSetting ? `${setting} | ` : ''}${st} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function errorTable(run: SamplesRun, setting: string, metric: Metric): string {
  const best = bestStrategies(run, setting, metric);
  const ds = SAMPLE_NOISES.filter((d) => best.has(d));
  const lines = [`| S | ${ds.map((d) => `${d} (${best.get(d)})`).join(' | ')} |`, `|---|${ds.map(() => '---:').join('|')}|`];
  for (const exp of run.exps[setting]) {
    const cells = ds.map((d) => cellAt(run, setting, d, best.get(d)!, exp));
    const present = cells.filter((c): c is SampleCell => c !== undefined);
    const lowest = present.reduce<SampleCell | undefined>((a, c) => (!a || c[metric] < a[metric] ? c : a), undefined);
    const text = (c: SampleCell | undefined) => {
      if (c === undefined) return '…';
      const v = withStderr(c[metric], seOf(c, metric));
      if (c === lowest) return `**${v}**`;
      return lowest && !resolved(c[metric], seOf(c, metric), lowest[metric], seOf(lowest, metric)) ? `${v} ≈` : v;
    };
    lines.push(`| ${pow2(exp)} | ${cells.map(text).join(' | ')} |`);
  }
  return lines.join('\n');
}

function crossoverTable(rows: Crossover[]): string {
  const lines = ['| lower at the largest S | than | from S on | ratio at the largest S | difference at the largest S |', '|---|---|---|---:|---|'];
  for (const c of rows) lines.push(`| ${c.winner} (${c.winnerStrategy}) | ${c.loser} (${c.loserStrategy}) | ${c.always ? `every S (${pow2(c.fromExp)})` : pow2(c.fromExp)} | ${c.ratio.toFixed(2)} | ${c.resolved ? 'resolved' : 'not resolved'} |`);
  return lines.join('\n');
}

export function cellsCsv(cells: SampleCell[]): string {
  const head = 'setting,distribution,strategy,exp,samples,reference_samples,reference_rms,jacobian_rmse,jacobian_rmse_se,vjp_rmse,vjp_rmse_se,seconds,backend';
  return `${head}\n${cells.map((c) => [c.setting, c.distribution, c.strategy, c.exp, c.samples, c.referenceSamples, c.referenceRms, c.jacobianRmse, c.jacobianRmseSe ?? '', c.vjpRmse, c.vjpRmseSe ?? '', c.seconds, c.backend].join(',')).join('\n')}\n`;
}

function slopesCsv(rows: Slope[]): string {
  return `setting,distribution,strategy,points,jacobian_slope,vjp_slope\n${rows.map((r) => [r.setting, r.distribution, r.strategy, r.points, r.jacobianSlope, r.vjpSlope].join(',')).join('\n')}\n`;
}

function crossoversCsv(rows: Crossover[]): string {
  return `setting,winner,winner_strategy,loser,loser_strategy,from_exp,from_samples,always,ratio_at_largest,resolved_at_largest\n${rows
    .map((c) => [c.setting, c.winner, c.winnerStrategy, c.loser, c.loserStrategy, c.fromExp, 2 ** c.fromExp, c.always, c.ratio, c.resolved].join(','))
    .join('\n')}\n`;
}

function chartSpec(run: SamplesRun, setting: string, title: string): TopLevelSpec {
  // ± 1 standard error as a bar at every point (the log axis needs lo > 0: a bar longer than the value is cut at half of it).
  const values = run.cells
    .filter((c) => c.setting === setting)
    .map((c) => {
      const se = c.jacobianRmseSe !== undefined && Number.isFinite(c.jacobianRmseSe) ? c.jacobianRmseSe : 0;
      return { S: c.samples, rmse: c.jacobianRmse, lo: Math.max(c.jacobianRmse - se, c.jacobianRmse / 2), hi: c.jacobianRmse + se, distribution: c.distribution, strategy: c.strategy };
    });
  const x = { field: 'S', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { title: 'samples S', values: (run.exps[setting] ?? []).filter((e) => e % 2 === 0).map((e) => 2 ** e), labelExpr: "'2^' + round(log(datum.value) / log(2))" } } as const;
  const color = { field: 'distribution', type: 'nominal', sort: [...SAMPLE_NOISES] } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${title}: RMSE of the Jacobian vs S (log-log; bars: ± 1 standard error)`,
    data: { values },
    facet: { column: { field: 'strategy', type: 'nominal', title: null, sort: run.strategies.map((s) => s.id) } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'rmse', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'RMSE', format: '.0e' } }, color } },
        { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  };
}

/** Write every output file; returns the terminal summary. */
export async function writeSamplesReport(out: string, run: SamplesRun): Promise<string> {
  const sl = slopes(run);
  const cross = crossovers(run);
  const strategyIds = run.strategies.map((s) => s.id);
  const cellSeconds = run.cells.reduce((acc, c) => acc + c.seconds, 0);
  const timing = `${run.seconds.toFixed(0)} s wall this run, ${cellSeconds.toFixed(0)} s in measured cells (references excluded)`;
  const refs = run.meta.referenceExps as Record<string, number>;
  const md: string[] = [
    '# Sample-count study: error vs S',
    '',
    `Backend ${run.backend}; ${timing}${run.completed ? '' : ' (stopped early: missing cells show …)'}; γ = ${run.meta.gamma}; ` +
      `R = ${run.meta.repeats} repeats × ${run.meta.inputs} inputs; reference: rqmc-sobol + loo with ${run.settings.map((s) => `${pow2(refs[s.id])} (${s.title})`).join(', ')} samples.`,
    'Error = root mean squared error per entry against the reference. Slope = least-squares slope of log2 RMSE vs log2 S (−0.5 is the Monte Carlo rate).',
    `\`a ± b\`: b is the standard error of the RMSE across the R independent repeats of each of the I inputs (stratified by input, then the delta method: SE(RMSE) = SE(MSE)/(2·RMSE)). ` +
      `A difference is *resolved* when it exceeds ${RESOLVE_Z} combined standard errors; ≈ marks a value not resolved from the lowest of its row, and a lead that is not resolved says so. ` +
      'The reference is itself an estimate; its error is not part of these standard errors.',
    '',
    '## Fitted convergence rates (Jacobian)',
    '',
    slopeTable(sl, strategyIds, 'jacobianSlope', true),
    '',
  ];
  for (const s of run.settings) {
    const cells = run.cells.filter((c) => c.setting === s.id);
    if (cells.length === 0) continue;
    const sSl = sl.filter((r) => r.setting === s.id);
    const sCross = cross.filter((c) => c.setting === s.id);
    const win = winners(run, s.id);
    const section = [
      `## ${s.title}`,
      '',
      `Lowest error per S (best strategy per distribution): ${win.map(winnerText).join(', ')}.`,
      '',
      '### Slopes of log2 RMSE vs log2 S',
      '',
      'Jacobian:',
      '',
      slopeTable(sSl, strategyIds, 'jacobianSlope', false),
      '',
      'VJP (fixed v):',
      '',
      slopeTable(sSl, strategyIds, 'vjpSlope', false),
      '',
      '### Jacobian RMSE, best strategy per distribution (bold: lowest per S)',
      '',
      errorTable(run, s.id, 'jacobianRmse'),
      '',
      '### Crossovers (best strategy per distribution): the smallest S from which one stays below the other',
      '',
      crossoverTable(sCross),
      '',
    ].join('\n');
    writeFileSync(join(out, `${s.id}.md`), `${section}\n`);
    writeFileSync(join(out, `${s.id}.csv`), cellsCsv(cells));
    writeFileSync(join(out, `${s.id}-error-vs-S.svg`), await renderSvg(chartSpec(run, s.id, s.title)));
    md.push(section);
  }
  writeFileSync(join(out, 'all.csv'), cellsCsv(run.cells));
  writeFileSync(join(out, 'slopes.csv'), slopesCsv(sl));
  writeFileSync(join(out, 'crossovers.csv'), crossoversCsv(cross));
  writeFileSync(join(out, 'summary.md'), `${md.join('\n')}\n`);

  const lines = [`Sample-count study on the ${run.backend} backend (${timing})${run.completed ? '' : ' (stopped early; run again with --resume)'}:`];
  for (const s of run.settings) {
    const win = winners(run, s.id);
    if (win.length === 0) continue;
    lines.push(`  ${s.title}: lowest Jacobian error at S = ${winnerText(win[0])}; at S = ${winnerText(win[win.length - 1])}`);
    lines.push(`    slope of log2 RMSE vs log2 S   ${SAMPLE_NOISES.map((d) => d.padStart(10)).join(' ')}`);
    for (const st of strategyIds) {
      const row = SAMPLE_NOISES.map((d) => {
        const r = sl.find((x) => x.setting === s.id && x.distribution === d && x.strategy === st);
        return (r && Number.isFinite(r.jacobianSlope) ? r.jacobianSlope.toFixed(2) : '…').padStart(10);
      });
      lines.push(`    ${st.padEnd(30)} ${row.join(' ')}`);
    }
  }
  lines.push(`Tables, CSV and SVG plots in ${out}/ (summary.md first).`);
  return lines.join('\n');
}
