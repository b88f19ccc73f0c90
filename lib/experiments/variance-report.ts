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
 * uncertainty): the member that is best-or-tied in the most bars, so equal strategies share one colour. The
 * label names the best strategy and how many tie with it.
 */
function bestSpec(run: VarianceRun): TopLevelSpec {
  const bars = bestWithTies(run);
  const count = new Map<string, number>();
  for (const b of bars) for (const s of [b.best.strategy, ...b.tied]) count.set(s, (count.get(s) ?? 0) + 1);
  const values = bars.map((b) => {
    const members = [b.best.strategy, ...b.tied];
    const colour = members.reduce((a, s) => (count.get(s)! > count.get(a)! ? s : a), members[0]);
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

/** The strategy the paper's finding recommends for a distribution in a setting (paper §4.1, README). */
export function paperRecommendation(cells: Cell[], distribution: string): string {
  if (distribution === 'triangular') return 'qmc-latin/loo';
  return cells.some((c) => c.distribution === distribution && c.strategy === 'rqmc-cartesian/loo' && c.feasible) ? 'rqmc-cartesian/loo' : 'rqmc-latin/loo';
}

/**
 * The paper's findings checked cell by cell, each verdict decided by the uncertainty: (1) its recommended
 * strategy is the best of its 24 — agrees when it is the lowest, disagrees when another is lower by more than
 * RESOLVE_Z combined standard errors, not resolved otherwise; (2) LOO is the lowest-variance covariate — for each
 * sampler × antithetic, loo against the better of none and fx, with the same rule.
 */
export function paperFindings(cells: Cell[], settingTitle: string): Finding[] {
  const out: Finding[] = [];
  const bestPaper = bestPerDistribution(cells, 'jacobianMse', true);
  for (const d of DISTRIBUTIONS) {
    const best = bestPaper.get(d);
    const recId = paperRecommendation(cells, d);
    const rec = cells.find((c) => c.distribution === d && c.strategy === recId);
    if (best && rec && rec.feasible && rec.jacobianMse !== undefined) {
      // Agrees only when the recommendation beats the runner-up by more than the uncertainty.
      const runnerUp = cells
        .filter((c) => c !== best && c.distribution === d && c.feasible && c.jacobianMse !== undefined && STRATEGIES.find((x) => x.id === c.strategy)!.paper)
        .reduce<Cell | undefined>((a, c) => (!a || c.jacobianMse! < a.jacobianMse! ? c : a), undefined);
      const verdict: Verdict =
        rec === best
          ? runnerUp && !resolved(rec.jacobianMse, rec.jacobianMseSe, runnerUp.jacobianMse!, runnerUp.jacobianMseSe) ? 'not resolved' : 'agrees'
          : resolved(rec.jacobianMse, rec.jacobianMseSe, best.jacobianMse!, best.jacobianMseSe) ? 'disagrees' : 'not resolved';
      out.push({
        setting: settingTitle,
        distribution: d,
        claim: `${recId} is the best of the paper's 24`,
        verdict,
        detail: rec === best ? `lowest: ${withStderr(rec.jacobianMse, rec.jacobianMseSe)}${runnerUp ? `; next ${runnerUp.strategy} ${withStderr(runnerUp.jacobianMse!, runnerUp.jacobianMseSe)}` : ''}` : `${recId} ${withStderr(rec.jacobianMse, rec.jacobianMseSe)} vs ${best.strategy} ${withStderr(best.jacobianMse!, best.jacobianMseSe)}`,
      });
    }
    let agree = 0;
    let disagree = 0;
    let open = 0;
    for (const st of STRATEGIES.filter((x) => x.paper && x.covariate === 'loo')) {
      const loo = cells.find((c) => c.distribution === d && c.strategy === st.id);
      const others = STRATEGIES.filter((x) => x.sampler === st.sampler && x.antithetic === st.antithetic && x.covariate !== 'loo')
        .map((x) => cells.find((c) => c.distribution === d && c.strategy === x.id))
        .filter((c): c is Cell => !!c && c.feasible && c.jacobianMse !== undefined);
      if (!loo || !loo.feasible || loo.jacobianMse === undefined || others.length === 0) continue;
      const rival = others.reduce((a, b) => (b.jacobianMse! < a.jacobianMse! ? b : a));
      if (!resolved(loo.jacobianMse, loo.jacobianMseSe, rival.jacobianMse!, rival.jacobianMseSe)) open++;
      else if (loo.jacobianMse < rival.jacobianMse!) agree++;
      else disagree++;
    }
    if (agree + disagree + open > 0) {
      // One resolved counter-example contradicts the claim; otherwise one resolved case supports it.
      const verdict: Verdict = disagree > 0 ? 'disagrees' : agree > 0 ? 'agrees' : 'not resolved';
      out.push({ setting: settingTitle, distribution: d, claim: 'loo has the lowest variance of the three covariates', verdict, detail: `lower in ${agree}, higher in ${disagree}, not resolved in ${open} of the ${agree + disagree + open} sampler × antithetic groups` });
    }
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
