/** Tables (CSV, Markdown), SVG plots and the terminal summary of a variance run. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts.js';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES } from './variance-config.js';
import { RESOLVE_Z, resolved, withStderr } from './uncertainty.js';
import type { Cell, VarianceRun } from './variance.js';

type Metric = 'jacobianMse' | 'vjpMse';

const seOf = (c: Cell, metric: Metric): number | undefined => (metric === 'jacobianMse' ? c.jacobianMseSe : c.vjpMseSe);

/** True when c's metric is within RESOLVE_Z combined standard errors of best's (a tie with the best). */
function tiedWith(c: Cell, best: Cell, metric: Metric): boolean {
  return c !== best && !resolved(c[metric]!, seOf(c, metric), best[metric]!, seOf(best, metric));
}


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
      const text = withStderr(c[metric]!, seOf(c, metric));
      if (best.get(d) === c) return `**${text}**`;
      const tie = tiedWith(c, best.get(d)!, metric) ? ' ≈' : '';
      return bestPaper.get(d) === c ? `${text}${tie} ◆` : `${text}${tie}`;
    });
    lines.push(`| ${st.id}${st.paper ? '' : ' †'} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function csv(cells: Cell[]): string {
  const head = 'setting,distribution,strategy,sampler,covariate,antithetic,feasible,samples,jacobian_mse,jacobian_mse_se,vjp_mse,vjp_mse_se,seconds,note';
  const rows = cells.map((c) => {
    const st = STRATEGIES.find((s) => s.id === c.strategy)!;
    return [c.setting, c.distribution, c.strategy, st.sampler, st.covariate, st.antithetic, c.feasible, c.samples, c.jacobianMse ?? '', c.jacobianMseSe ?? '', c.vjpMse ?? '', c.vjpMseSe ?? '', c.seconds ?? '', c.reason ? `"${c.reason}"` : ''].join(',');
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
  // Reversed viridis: the largest errors are the darkest cells; their labels are white.
  const logs = values.map((v) => v.log10mse).filter((v): v is number => v !== null);
  const mid = logs.length ? (Math.min(...logs) + Math.max(...logs)) / 2 : 0;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${title}: log10 MSE of the Jacobian estimate`,
    data: { values },
    width: 360,
    height: 600,
    encoding: {
      x: { field: 'distribution', type: 'nominal', sort: [...DISTRIBUTIONS], axis: { labelAngle: -30 } },
      y: { field: 'strategy', type: 'nominal', sort: STRATEGIES.map((s) => s.id), axis: { labelLimit: 0 } },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'log10mse', type: 'quantitative', scale: { scheme: 'viridis', reverse: true }, title: 'log10 MSE' } } },
      { mark: { type: 'rect', color: '#dddddd' }, transform: [{ filter: 'datum.log10mse === null' }] },
      { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'label', type: 'nominal' }, color: { condition: { test: `datum.log10mse !== null && datum.log10mse > ${mid}`, value: 'white' }, value: 'black' } } },
    ],
  };
}

/** Per (setting, distribution): the best cell and every strategy tied with it (within RESOLVE_Z combined SEs). */
export function bestWithTies(run: VarianceRun): Array<{ setting: string; distribution: string; best: Cell; tied: string[] }> {
  const out: Array<{ setting: string; distribution: string; best: Cell; tied: string[] }> = [];
  for (const setting of SETTINGS) {
    const cells = run.cells.filter((c) => c.setting === setting.id);
    for (const [distribution, best] of bestPerDistribution(cells, 'jacobianMse')) {
      const tied = cells.filter((c) => c.distribution === distribution && c.feasible && c.jacobianMse !== undefined && tiedWith(c, best, 'jacobianMse')).map((c) => c.strategy);
      out.push({ setting: setting.title, distribution, best, tied });
    }
  }
  return out;
}

/**
 * Bars coloured by a representative of each bar's tie set (the best strategy and those equal to it within the
 * uncertainty): the member that is best-or-tied in the most bars (then the first in STRATEGIES), so equal
 * strategies share one colour. The
 * label names the best strategy and how many tie with it.
 */
function bestSpec(run: VarianceRun): TopLevelSpec {
  const bars = bestWithTies(run);
  const count = new Map<string, number>();
  for (const b of bars) for (const s of [b.best.strategy, ...b.tied]) count.set(s, (count.get(s) ?? 0) + 1);
  const values = bars.map((b) => {
    const members = [b.best.strategy, ...b.tied];
    // Most frequent member; equal counts go to the earlier strategy of STRATEGIES (not to this bar's best), so
    // that strategies tied everywhere get one colour everywhere.
    const order = (s: string) => STRATEGIES.findIndex((x) => x.id === s);
    const colour = members.reduce((a, s) => (count.get(s)! > count.get(a)! || (count.get(s) === count.get(a) && order(s) < order(a)) ? s : a), members[0]);
    return {
      setting: b.setting,
      distribution: b.distribution,
      colour,
      label: b.tied.length ? `${b.best.strategy} (≈ ${b.tied.length} more: ${b.tied.join(', ')})` : b.best.strategy,
      score: -Math.log10(b.best.jacobianMse!),
    };
  });
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
            color: { field: 'colour', type: 'nominal', title: `strategy (ties within ${RESOLVE_Z} s.e. share a colour)`, legend: { labelLimit: 0, titleLimit: 0, orient: 'bottom', columns: 2 } },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 9, limit: 0 },
          encoding: { y: { field: 'distribution', type: 'nominal', sort: [...DISTRIBUTIONS] }, x: { field: 'score', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
}

export type Verdict = 'agrees' | 'disagrees' | 'not resolved';

export interface Finding {
  setting: string;
  distribution: string;
  claim: string;
  verdict: Verdict;
  detail: string;
}

/** The sampler the paper's findings recommend for a distribution in a setting (paper §4.1, README). */
export function paperRecommendation(cells: Cell[], distribution: string): string {
  if (distribution === 'triangular') return 'qmc-latin';
  return cells.some((c) => c.distribution === distribution && c.strategy.startsWith('rqmc-cartesian/') && c.feasible) ? 'rqmc-cartesian' : 'rqmc-latin';
}

const isPaper = (c: Cell) => STRATEGIES.find((x) => x.id === c.strategy)!.paper;
const measured = (c: Cell | undefined): c is Cell => !!c && c.feasible && c.jacobianMse !== undefined;
const lowest = (cs: Cell[]): Cell | undefined => cs.reduce<Cell | undefined>((a, c) => (!a || c.jacobianMse! < a.jacobianMse! ? c : a), undefined);
const show = (c: Cell) => `${c.strategy} ${withStderr(c.jacobianMse!, c.jacobianMseSe)}`;

/**
 * a is claimed lower than b: agrees when it is lower by more than RESOLVE_Z combined standard errors, disagrees
 * when it is higher by more than that, not resolved otherwise.
 */
function claimLower(a: Cell, b: Cell): Verdict {
  if (!resolved(a.jacobianMse!, a.jacobianMseSe, b.jacobianMse!, b.jacobianMseSe)) return 'not resolved';
  return a.jacobianMse! < b.jacobianMse! ? 'agrees' : 'disagrees';
}

/** Several comparisons behind one claim: one resolved counter-example contradicts it, else one resolved case supports it. */
function tallied(verdicts: Verdict[]): { verdict: Verdict; detail: string } {
  const n = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const verdict: Verdict = n('disagrees') > 0 ? 'disagrees' : n('agrees') > 0 ? 'agrees' : 'not resolved';
  return { verdict, detail: `holds in ${n('agrees')}, fails in ${n('disagrees')}, not resolved in ${n('not resolved')} of ${verdicts.length} comparisons` };
}

/**
 * The paper's findings checked against the cells of one setting (Jacobian MSE), each verdict decided by the
 * uncertainty (claimLower): (1) the recommended sampler — Cartesian RQMC where feasible, Latin RQMC in high
 * dimensions, qmc-latin for Triangular — has the lowest error of the paper's samplers (best cell of that sampler
 * against the best cell of the others); (2) loo has the lowest variance of the three covariates (per sampler ×
 * antithetic, loo against the better of none and fx); (3) antithetic pairs do not help (per sampler, its best
 * antithetic cell against its best plain cell).
 */
export function paperFindings(cells: Cell[], settingTitle: string): Finding[] {
  const out: Finding[] = [];
  for (const d of DISTRIBUTIONS) {
    const mine = cells.filter((c) => c.distribution === d && measured(c) && isPaper(c));
    if (mine.length === 0) continue;
    const sampler = paperRecommendation(cells, d);
    const rec = lowest(mine.filter((c) => c.strategy.startsWith(`${sampler}/`)));
    const other = lowest(mine.filter((c) => !c.strategy.startsWith(`${sampler}/`)));
    if (rec && other) {
      out.push({ setting: settingTitle, distribution: d, claim: `${sampler} is the best of the paper's samplers`, verdict: claimLower(rec, other), detail: `${show(rec)} vs ${show(other)}` });
    }
    const looVerdicts: Verdict[] = [];
    for (const st of STRATEGIES.filter((x) => x.paper && x.covariate === 'loo')) {
      const loo = mine.find((c) => c.strategy === st.id);
      const rival = lowest(mine.filter((c) => c.strategy !== st.id && STRATEGIES.some((x) => x.id === c.strategy && x.sampler === st.sampler && x.antithetic === st.antithetic)));
      if (loo && rival) looVerdicts.push(claimLower(loo, rival));
    }
    if (looVerdicts.length) out.push({ setting: settingTitle, distribution: d, claim: 'loo has the lowest variance of the three covariates', ...tallied(looVerdicts) });
    const antiVerdicts: Verdict[] = [];
    for (const s of new Set(STRATEGIES.filter((x) => x.paper).map((x) => x.sampler))) {
      const of = (anti: boolean) => lowest(mine.filter((c) => STRATEGIES.some((x) => x.id === c.strategy && x.sampler === s && x.antithetic === anti)));
      const [plain, anti] = [of(false), of(true)];
      if (plain && anti) antiVerdicts.push(claimLower(plain, anti));
    }
    if (antiVerdicts.length) out.push({ setting: settingTitle, distribution: d, claim: 'antithetic pairs do not help (best plain cell below best antithetic cell, per sampler)', ...tallied(antiVerdicts) });
  }
  return out;
}

function findingsTable(findings: Finding[]): string {
  const lines = ['| distribution | the paper says | here | evidence |', '|---|---|---|---|'];
  for (const f of findings) lines.push(`| ${f.distribution} | ${f.claim} | ${f.verdict} | ${f.detail} |`);
  return lines.join('\n');
}

/** What the numbers in summary.md mean (every summary defines its metrics). */
export const VARIANCE_METRICS = [
  '**Metrics.** Jacobian MSE = mean over inputs, repeats and the m×n entries of (estimate − reference)²; VJP MSE = the same for vᵀĴ with a',
  'fixed random v per input. `a ± b`: b is the standard error of the MSE across the R independent repeats of each of the I inputs',
  '(stratified by input: SE² = Σ_i s_i²/R / I², s_i² the variance of the per-repeat errors of input i). A difference is *resolved* when it',
  `exceeds ${RESOLVE_Z} combined standard errors (√(se₁² + se₂²)); ≈ marks a cell not resolved from its column's best, i.e. tied with it.`,
  'Strategies that share a sampler draw the same noise (same seed), so their errors are positively correlated and the rule is',
  'conservative for them (a paired comparison would resolve more). The reference is itself an estimate; its error is common to every',
  'cell of a column and is not part of these standard errors.',
].join('\n');

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
    'Cells: mean squared error per entry against the reference ± its standard error; **bold** = lowest in its column; ≈ = tied with it (difference not resolved); ◆ = lowest of the paper\'s 24 strategies when † beats it; n/a = infeasible; † = beyond the paper.',
    '',
    VARIANCE_METRICS,
    '',
  ];
  for (const s of settings) {
    const cells = run.cells.filter((c) => c.setting === s.id);
    writeFileSync(join(out, `${s.id}.csv`), csv(cells));
    const findings = paperFindings(cells, s.title);
    const table = [
      `## ${s.title}`,
      '',
      '### Jacobian MSE',
      '',
      markdownTable(cells, 'jacobianMse'),
      '',
      '### VJP MSE (fixed v)',
      '',
      markdownTable(cells, 'vjpMse'),
      '',
    ].join('\n');
    const against = [
      `### Against the paper (Jacobian MSE; a verdict only where the difference exceeds ${RESOLVE_Z} standard errors)`,
      '',
      findings.length ? findingsTable(findings) : '(no finished cells)',
      '',
    ].join('\n');
    writeFileSync(join(out, `${s.id}.md`), `${table}\n`);
    md.push(table, against);
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
      if (c) lines.push(`    ${d.padEnd(11)} ${c.strategy.padEnd(24)} ${withStderr(c.jacobianMse!, c.jacobianMseSe)}${p && p !== c ? `   (paper's 24: ${p.strategy} ${withStderr(p.jacobianMse!, p.jacobianMseSe)}${tiedWith(p, c, 'jacobianMse') ? ', not resolved' : ''})` : ''}`);
    }
  }
  lines.push(`Tables, CSV and SVG plots in ${out}/ (summary.md first).`);
  return lines.join('\n');
}
