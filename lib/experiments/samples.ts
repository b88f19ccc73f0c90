/**
 * `stochastic-smoothing samples`: the error-vs-S study of the large-S regime (issue 7, item 2). For every
 * setting, distribution and strategy, and for S = 2^minExp … 2^maxExp (capped per setting), the root mean
 * squared error of the Jacobian estimate and of a fixed-v VJP against a high-precision reference
 * (rqmc-sobol + loo, by default 4× the largest S of the setting, cached in the results folder), over R
 * independent repeats (batch rows draw independent noise) of I seeded inputs. One cell = (setting,
 * distribution, strategy, S); finished cells are appended to cells.jsonl, so a stopped run can be resumed; a
 * shard (`--shard i/N`) computes only its groups of cells, and `merge` joins the shards (results-folder.ts, shards.ts).
 */
import { appendCell, finiteOrAbsent, openResults, packageVersion, readCells, readReference, writeMeta, writeReference, type RunIdentity, type ShardInfo, type StudyRunOptions } from './results-folder.js';
import { shardGroups, type WorkGroup } from './shards.js';
import { join } from 'node:path';
import { SmoothingError, invalid } from '../errors.js';
import { blackboxes } from '../blackboxes/index.js';
import { smooth } from '../smooth.js';
import type { BackendName, DistributionName } from '../types.js';
import { errorStatistics, rmseStderr } from './uncertainty.js';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES, makeDirections, makeInputs, repeatRows, type Setting, type Strategy } from './variance-config.js';

/**
 * The noises of the study: the six distributions, then Cauchy median-of-3 and median-of-5 (options.medianOf), so
 * that the table compares their error with plain Cauchy's at equal S (README "Median-of-k noise").
 */
export type SampleNoise = DistributionName | 'cauchy-median3' | 'cauchy-median5';
export const SAMPLE_NOISES: readonly SampleNoise[] = [...DISTRIBUTIONS, 'cauchy-median3', 'cauchy-median5'];

/** The smooth() options of a noise of the study. */
export function noiseOptions(noise: SampleNoise): { distribution: DistributionName; medianOf: number } {
  const m = /^(\w+)-median(\d+)$/.exec(noise);
  return m ? { distribution: m[1] as DistributionName, medianOf: Number(m[2]) } : { distribution: noise as DistributionName, medianOf: 1 };
}

/** The black boxes of the study: permutation(5) and shortestPath(12, 12) of the variance study, plus ranks(100). */
export const SAMPLE_SETTINGS: readonly Setting[] = [
  SETTINGS.find((s) => s.id === 'permutation5')!,
  { id: 'ranks100', title: 'ranks(100)', make: () => blackboxes.ranks(100), n: 100 },
  SETTINGS.find((s) => s.id === 'shortestPath12')!,
];

/** Default largest exponent per setting (the per-setting sample cap): keeps the default run under 15 min on 2 cpu cores. */
export const DEFAULT_CAPS: Readonly<Record<string, number>> = { permutation5: 20, ranks100: 16, shortestPath12: 16 };

export const DEFAULT_STRATEGIES = ['rqmc-sobol/loo', 'rqmc-latin/loo', 'mc/loo'] as const;

export interface SamplesOptions extends StudyRunOptions {
  strategies: readonly string[];
  minExp: number;
  maxExp: number;
  /** Largest exponent per setting id (missing: maxExp). */
  caps: Readonly<Record<string, number>>;
  /** Reference exponent for every setting; undefined: 2 + the setting's largest exponent (4× the largest S). */
  referenceExp?: number;
}

export interface SampleCell {
  setting: string;
  distribution: SampleNoise;
  strategy: string;
  exp: number;
  samples: number;
  referenceSamples: number;
  /** Root mean square of the reference Jacobian's entries (divide by it for a relative error). */
  referenceRms: number;
  jacobianRmse: number;
  /** Standard error of jacobianRmse across repeats and inputs (lib/experiments/uncertainty.ts); absent in older runs. */
  jacobianRmseSe?: number;
  vjpRmse: number;
  vjpRmseSe?: number;
  seconds: number;
  backend: BackendName;
}

export interface SamplesRun {
  meta: Record<string, unknown>;
  settings: Setting[];
  strategies: Strategy[];
  /** Exponents per setting id. */
  exps: Record<string, number[]>;
  cells: SampleCell[];
  completed: boolean;
  backend: BackendName | 'none';
  seconds: number;
}

/** The options that make the numbers (what meta.json stores and `merge` rebuilds a run from). */
export type SamplesFlags = Pick<SamplesOptions, 'settings' | 'strategies' | 'minExp' | 'maxExp' | 'caps' | 'repeats' | 'inputs' | 'scale' | 'referenceExp' | 'seed' | 'backend'>;

export function isSampleCell(x: unknown): x is SampleCell {
  const c = x as SampleCell;
  return (
    typeof c === 'object' && c !== null && typeof c.setting === 'string' && typeof c.distribution === 'string' && typeof c.strategy === 'string' &&
    Number.isSafeInteger(c.exp) && typeof c.samples === 'number' && typeof c.referenceSamples === 'number' && typeof c.backend === 'string' &&
    [c.referenceRms, c.jacobianRmse, c.vjpRmse, c.seconds].every((v) => typeof v === 'number' && finiteOrAbsent(v))
  );
}

export const cellKey = (setting: string, distribution: string, strategy: string, exp: number) => `${setting}|${distribution}|${strategy}|${exp}`;

export function selectSampleSettings(ids: readonly string[]): Setting[] {
  return ids.map((id) => {
    const s = SAMPLE_SETTINGS.find((x) => x.id === id || x.title === id);
    if (!s) throw invalid('--settings', id, `unknown setting '${id}'.`, `use some of ${SAMPLE_SETTINGS.map((x) => x.id).join(', ')}`);
    return s;
  });
}

export function selectStrategies(ids: readonly string[]): Strategy[] {
  return ids.map((id) => {
    const s = STRATEGIES.find((x) => x.id === id);
    if (!s) throw invalid('--strategies', id, `unknown strategy '${id}'.`, `use ids like ${DEFAULT_STRATEGIES.join(', ')} (sampler/covariate[/anti])`);
    return s;
  });
}

/** The exponents of one setting: minExp … min(maxExp, cap). */
export function settingExps(o: Pick<SamplesOptions, 'minExp' | 'maxExp' | 'caps'>, id: string): number[] {
  const top = Math.min(o.maxExp, o.caps[id] ?? o.maxExp);
  const exps: number[] = [];
  for (let e = o.minExp; e <= top; e++) exps.push(e);
  return exps;
}

/** The reference Jacobians (inputs × m × n), rqmc-sobol + loo, cached in the results folder. */
async function reference(o: SamplesOptions, setting: Setting, distribution: SampleNoise, x: Float32Array, samples: number): Promise<Float32Array> {
  const box = setting.make();
  // Every flag that shapes the reference is in the name (the backends agree to rounding: see varianceIdentity).
  const file = join(o.out, 'references', `${setting.id}-${distribution}-S${samples}-i${o.inputs}-g${o.scale}-s${o.seed}.f32`);
  const cached = readReference(file, o.inputs * box.outputSize * box.inputSize);
  if (cached) return cached;
  const s = smooth(box, { ...noiseOptions(distribution), scale: o.scale, samples, sampler: 'rqmc-sobol', covariate: 'loo', seed: o.seed + 7919, backend: o.backend });
  const out = await s.forward(x, { signal: o.signal });
  const jac = await out.jacobian({ signal: o.signal });
  writeReference(file, jac);
  return jac;
}

async function runCell(o: SamplesOptions, setting: Setting, distribution: SampleNoise, strategy: Strategy, exp: number, refSamples: number, x: Float32Array, ref: Float32Array, v: Float32Array): Promise<SampleCell> {
  const box = setting.make();
  const { inputSize: n, outputSize: m } = box;
  const R = o.repeats;
  const samples = 2 ** exp;
  const rows = repeatRows(x, o.inputs, R, n);
  const started = Date.now();
  // A different seed per S: the points of the curve are independent estimates, as the slope fit assumes.
  const s = smooth(box, { ...noiseOptions(distribution), scale: o.scale, samples, sampler: strategy.sampler, covariate: strategy.covariate, antithetic: strategy.antithetic, seed: o.seed + 101 * exp, backend: o.backend });
  const out = await s.forward(rows, { signal: o.signal });
  const jac = await out.jacobian({ signal: o.signal });
  const mn = m * n;
  let refSq = 0;
  for (let k = 0; k < o.inputs * mn; k++) refSq += ref[k] * ref[k];
  const errors = errorStatistics(jac, ref, v, o.inputs, R, m, n);
  return {
    setting: setting.id,
    distribution,
    strategy: strategy.id,
    exp,
    samples,
    referenceSamples: refSamples,
    referenceRms: Math.sqrt(refSq / (o.inputs * mn)),
    jacobianRmse: Math.sqrt(errors.jacobian.mean),
    jacobianRmseSe: rmseStderr(errors.jacobian.mean, errors.jacobian.se),
    vjpRmse: Math.sqrt(errors.vjp.mean),
    vjpRmseSe: rmseStderr(errors.vjp.mean, errors.vjp.se),
    seconds: (Date.now() - started) / 1000,
    backend: out.backend,
  };
}

/** Rough cost of S samples of a setting (for the progress bar's ETA): rows × S × (m·n + n). */
function work(setting: Setting, rows: number, samples: number): number {
  const box = setting.make();
  return rows * samples * (box.outputSize * box.inputSize + box.inputSize);
}

export function samplesFlags(o: SamplesFlags): SamplesFlags {
  return {
    settings: selectSampleSettings(o.settings).map((s) => s.id),
    strategies: selectStrategies(o.strategies).map((s) => s.id),
    minExp: o.minExp,
    maxExp: o.maxExp,
    caps: { ...o.caps },
    repeats: o.repeats,
    inputs: o.inputs,
    scale: o.scale,
    ...(o.referenceExp === undefined ? {} : { referenceExp: o.referenceExp }),
    seed: o.seed,
    backend: o.backend,
  };
}

/** Every flag that changes a number, by its CLI name (not `--backend`: see varianceIdentity). */
export function samplesIdentity(o: SamplesFlags, shard?: ShardInfo): RunIdentity {
  const f = samplesFlags(o);
  return {
    command: 'samples',
    version: packageVersion(),
    flags: {
      '--settings': f.settings,
      '--strategies': f.strategies,
      '--min-exp': f.minExp,
      '--max-exp': f.maxExp,
      '--cap': f.caps,
      '--repeats': f.repeats,
      '--inputs': f.inputs,
      '--scale': f.scale,
      '--reference-exp': f.referenceExp ?? null,
      '--seed': f.seed,
    },
    ...(shard ? { shard } : {}),
  };
}

interface PlannedCell {
  setting: Setting;
  distribution: SampleNoise;
  strategy: Strategy;
  exp: number;
  /** Cells sharing a reference form a group: the unit of sharding. */
  group: string;
}

/** Every cell of the run in report order, the groups with their estimated work, and the report's header fields. */
export function planSamples(o: SamplesFlags) {
  const settings = selectSampleSettings(o.settings);
  const strategies = selectStrategies(o.strategies);
  if (o.minExp > o.maxExp) throw invalid('--min-exp', o.minExp, `--min-exp ${o.minExp} is above --max-exp ${o.maxExp}.`, 'pass --min-exp ≤ --max-exp');
  const exps: Record<string, number[]> = Object.fromEntries(settings.map((s) => [s.id, settingExps(o, s.id)]));
  for (const s of settings) {
    if (exps[s.id].length < 2) throw invalid('--cap', o.caps[s.id], `${s.id}: the cap leaves fewer than two sample counts.`, `raise the cap of ${s.id} above --min-exp`);
  }
  const refExps: Record<string, number> = Object.fromEntries(settings.map((s) => [s.id, o.referenceExp ?? exps[s.id][exps[s.id].length - 1] + 2]));
  const meta = {
    minExp: o.minExp, maxExp: o.maxExp, repeats: o.repeats, inputs: o.inputs, scale: o.scale, seed: o.seed,
    gamma: o.scale, settings: settings.map((s) => s.id), strategies: strategies.map((s) => s.id), exps, referenceExps: refExps,
  };
  const rows = o.inputs * o.repeats;
  const planned: PlannedCell[] = settings.flatMap((setting) =>
    SAMPLE_NOISES.flatMap((distribution) => strategies.flatMap((strategy) => exps[setting.id].map((exp) => ({ setting, distribution, strategy, exp, group: `${setting.id}|${distribution}` })))),
  );
  const refWork = (setting: Setting) => work(setting, o.inputs, 2 ** refExps[setting.id]);
  const groupWork = new Map<string, number>();
  for (const p of planned) groupWork.set(p.group, (groupWork.get(p.group) ?? refWork(p.setting)) + work(p.setting, rows, 2 ** p.exp));
  const groups: WorkGroup[] = [...groupWork].map(([key, w]) => ({ key, work: w }));
  return { settings, strategies, exps, refExps, meta, planned, groups, rows, refWork };
}

/** A run's result from finished cells (used by `merge`): cells in report order, as an unsharded run has them. */
export function samplesRunFrom(o: SamplesFlags, cells: SampleCell[], completed: boolean, seconds: number): SamplesRun {
  const { settings, strategies, exps, meta, planned } = planSamples(o);
  const byKey = new Map(cells.map((c) => [cellKey(c.setting, c.distribution, c.strategy, c.exp), c]));
  const ordered = planned.map((p) => byKey.get(cellKey(p.setting.id, p.distribution, p.strategy.id, p.exp))).filter((c): c is SampleCell => c !== undefined);
  return { meta, settings, strategies, exps, cells: ordered, completed, backend: ordered[0]?.backend ?? 'none', seconds };
}

export async function runSamples(o: SamplesOptions): Promise<SamplesRun> {
  const plan = planSamples(o);
  const { settings, strategies, exps, refExps, meta, rows, refWork } = plan;
  const mine = o.shard ? shardGroups(plan.groups, o.shard.index, o.shard.count) : undefined;
  const planned = mine ? plan.planned.filter((p) => mine.has(p.group)) : plan.planned;
  const identity = samplesIdentity(o, o.shard);
  const { metaFile, cellsFile } = openResults(o.out, o.resume, identity);
  writeMeta(metaFile, { ...identity, options: samplesFlags(o), ...meta, ...(mine ? { groups: [...mine] } : {}), cellCount: planned.length });
  // A cell is reused only when it was measured against the same reference size.
  const done = new Map(readCells(cellsFile, isSampleCell).map((c) => [cellKey(c.setting, c.distribution, c.strategy, c.exp), c]));

  const myGroups = new Set(planned.map((p) => p.group));
  const totalWork = planned.reduce((acc, p) => acc + work(p.setting, rows, 2 ** p.exp), 0) + settings.reduce((acc, s) => acc + SAMPLE_NOISES.filter((d) => myGroups.has(`${s.id}|${d}`)).length * refWork(s), 0);
  let workDone = 0;
  let count = 0;
  const progress = (label: string) => o.onProgress?.({ cells: count, totalCells: planned.length, work: workDone, totalWork, label });
  let backend: BackendName | 'none' = 'none';
  const started = Date.now();
  const cells: SampleCell[] = [];
  let completed = true;
  try {
    for (const setting of settings) {
      const x = makeInputs(setting, o.inputs);
      const v = makeDirections(setting.make().outputSize, o.inputs);
      const refSamples = 2 ** refExps[setting.id];
      for (const distribution of SAMPLE_NOISES) {
        if (!myGroups.has(`${setting.id}|${distribution}`)) continue;
        let ref: Float32Array | undefined;
        for (const strategy of strategies) {
          for (const exp of exps[setting.id]) {
            let cell = done.get(cellKey(setting.id, distribution, strategy.id, exp));
            if (cell && cell.referenceSamples !== refSamples) cell = undefined;
            if (!cell) {
              if (!ref) {
                progress(`${setting.title} · ${distribution} · reference (2^${refExps[setting.id]} samples)`);
                ref = await reference(o, setting, distribution, x, refSamples);
              }
              cell = await runCell(o, setting, distribution, strategy, exp, refSamples, x, ref, v);
              appendCell(cellsFile, cell);
            }
            if (backend === 'none') backend = cell.backend;
            cells.push(cell);
            count++;
            workDone += work(setting, rows, cell.samples);
            progress(`${setting.title} · ${distribution} · ${strategy.id} · S = 2^${exp}`);
          }
        }
        workDone += refWork(setting);
      }
    }
  } catch (err) {
    if (!(err instanceof SmoothingError && err.code === 'ERR_ABORTED')) throw err;
    completed = false;
  }
  return { meta, settings, strategies, exps, cells, completed, backend, seconds: (Date.now() - started) / 1000 };
}
