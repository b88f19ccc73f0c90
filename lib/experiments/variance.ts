/**
 * `stochastic-smoothing variance`: the paper's estimator benchmark (§4.1). For every setting, distribution and
 * feasible strategy, the mean squared error of the Jacobian estimate and of a fixed-v VJP against a reference
 * computed with far more samples, over R independent repeats (batch rows draw independent noise) of each of
 * I seeded inputs. Finished cells are appended to cells.jsonl, so a stopped run can be resumed; a shard
 * (`--shard i/N`) computes only its groups of cells, and `merge` joins the shards (results-folder.ts, shards.ts).
 */
import { join } from 'node:path';
import { SmoothingError, invalid } from '../errors.js';
import { smooth } from '../smooth.js';
import type { BackendName, DistributionName } from '../types.js';
import { appendCell, finiteOrAbsent, openResults, packageVersion, readCells, readReference, writeMeta, writeReference, type RunIdentity, type ShardInfo, type StudyRunOptions } from './results-folder.js';
import { shardGroups, type WorkGroup } from './shards.js';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES, feasibility, makeDirections, makeInputs, repeatRows, type Setting, type Strategy } from './variance-config.js';
import { errorStatistics } from './uncertainty.js';

export interface VarianceOptions extends StudyRunOptions {
  samples: number;
  referenceSamples: number;
}

/** The options that make the numbers (what meta.json stores and `merge` rebuilds a run from). */
export type VarianceFlags = Pick<VarianceOptions, 'settings' | 'samples' | 'repeats' | 'inputs' | 'scale' | 'referenceSamples' | 'seed' | 'backend'>;

export interface Cell {
  setting: string;
  distribution: DistributionName;
  strategy: string;
  feasible: boolean;
  reason?: string;
  samples: number;
  jacobianMse?: number;
  /** Standard error of jacobianMse across repeats and inputs (lib/experiments/uncertainty.ts); absent in older runs. */
  jacobianMseSe?: number;
  vjpMse?: number;
  vjpMseSe?: number;
  seconds?: number;
  backend?: BackendName;
}

export interface VarianceRun {
  meta: Record<string, unknown>;
  cells: Cell[];
  completed: boolean;
  backend: BackendName | 'none';
  seconds: number;
}

export const cellKey = (c: { setting: string; distribution: string; strategy: string }) => `${c.setting}|${c.distribution}|${c.strategy}`;

export function isCell(x: unknown): x is Cell {
  const c = x as Cell;
  return (
    typeof c === 'object' && c !== null && typeof c.setting === 'string' && typeof c.distribution === 'string' && typeof c.strategy === 'string' &&
    typeof c.feasible === 'boolean' && typeof c.samples === 'number' && finiteOrAbsent(c.jacobianMse) && finiteOrAbsent(c.vjpMse) && finiteOrAbsent(c.seconds)
  );
}

export function selectSettings(ids: readonly string[]): Setting[] {
  return ids.map((id) => {
    const s = SETTINGS.find((x) => x.id === id || x.title === id);
    if (!s) throw invalid('--settings', id, `unknown setting '${id}'.`, `use some of ${SETTINGS.map((x) => x.id).join(', ')}`);
    return s;
  });
}

export function varianceFlags(o: VarianceFlags): VarianceFlags {
  return { settings: selectSettings(o.settings).map((s) => s.id), samples: o.samples, repeats: o.repeats, inputs: o.inputs, scale: o.scale, referenceSamples: o.referenceSamples, seed: o.seed, backend: o.backend };
}

/**
 * Every flag that changes a number, by its CLI name: resume, shards and merge compare these. `--backend` is not
 * one: the backends draw bit-identical uniforms and agree to float rounding (the parity tests), so a run may
 * continue, or its shards run, on another backend (each cell records the backend that made it).
 */
export function varianceIdentity(o: VarianceFlags, shard?: ShardInfo): RunIdentity {
  const f = varianceFlags(o);
  return {
    command: 'variance',
    version: packageVersion(),
    flags: { '--settings': f.settings, '--samples': f.samples, '--repeats': f.repeats, '--inputs': f.inputs, '--scale': f.scale, '--reference-samples': f.referenceSamples, '--seed': f.seed },
    ...(shard ? { shard } : {}),
  };
}

/** The report's header fields (as before meta.json gained the identity). */
function reportMeta(o: VarianceFlags, settings: Setting[]): Record<string, unknown> {
  return { samples: o.samples, repeats: o.repeats, inputs: o.inputs, scale: o.scale, referenceSamples: o.referenceSamples, seed: o.seed, gamma: o.scale, settings: settings.map((s) => s.id) };
}

interface PlannedCell {
  setting: Setting;
  distribution: DistributionName;
  strategy: Strategy;
  /** Cells sharing a reference form a group: the unit of sharding. */
  group: string;
}

/** Rough cost of a call (for ETA and shard balance): rows × S × (m·n + n). */
function work(setting: Setting, rows: number, samples: number): number {
  const box = setting.make();
  return rows * samples * (box.outputSize * box.inputSize + box.inputSize);
}

/** Every cell of the run in report order, and the groups with their estimated work. */
export function planVariance(o: VarianceFlags): { settings: Setting[]; planned: PlannedCell[]; groups: WorkGroup[]; work: Map<string, number> } {
  const settings = selectSettings(o.settings);
  const planned = settings.flatMap((setting) => DISTRIBUTIONS.flatMap((distribution) => STRATEGIES.map((strategy) => ({ setting, distribution, strategy, group: `${setting.id}|${distribution}` }))));
  const cellWork = new Map<string, number>();
  const groupWork = new Map<string, number>();
  for (const p of planned) {
    if (!groupWork.has(p.group)) groupWork.set(p.group, work(p.setting, o.inputs, o.referenceSamples));
    const f = feasibility(p.setting, p.distribution, p.strategy, o.samples);
    const w = f.feasible ? work(p.setting, o.inputs * o.repeats, f.samples) : 0;
    cellWork.set(cellKey({ setting: p.setting.id, distribution: p.distribution, strategy: p.strategy.id }), w);
    groupWork.set(p.group, groupWork.get(p.group)! + w);
  }
  return { settings, planned, groups: [...groupWork].map(([key, w]) => ({ key, work: w })), work: cellWork };
}

/** The reference Jacobians (inputs × m × n) for one setting and distribution, cached in the results folder. */
async function reference(o: VarianceOptions, setting: Setting, distribution: DistributionName, x: Float32Array): Promise<Float32Array> {
  const box = setting.make();
  // Every flag that shapes the reference is in the name (the backends agree to rounding: see varianceIdentity).
  const file = join(o.out, 'references', `${setting.id}-${distribution}-S${o.referenceSamples}-i${o.inputs}-g${o.scale}-s${o.seed}.f32`);
  const cached = readReference(file, o.inputs * box.outputSize * box.inputSize);
  if (cached) return cached;
  const s = smooth(box, { distribution, scale: o.scale, samples: o.referenceSamples, sampler: 'rqmc-sobol', covariate: 'loo', seed: o.seed + 7919, backend: o.backend });
  const out = await s.forward(x, { signal: o.signal });
  const jac = await out.jacobian({ signal: o.signal });
  writeReference(file, jac);
  return jac;
}

async function runCell(o: VarianceOptions, setting: Setting, distribution: DistributionName, strategy: Strategy, samples: number, x: Float32Array, ref: Float32Array, v: Float32Array): Promise<Cell> {
  const box = setting.make();
  const { inputSize: n, outputSize: m } = box;
  const R = o.repeats;
  const rows = repeatRows(x, o.inputs, R, n);
  const started = Date.now();
  const s = smooth(box, { distribution, scale: o.scale, samples, sampler: strategy.sampler, covariate: strategy.covariate, antithetic: strategy.antithetic, seed: o.seed, backend: o.backend });
  const out = await s.forward(rows, { signal: o.signal });
  const jac = await out.jacobian({ signal: o.signal });
  const errors = errorStatistics(jac, ref, v, o.inputs, R, m, n);
  return {
    setting: setting.id,
    distribution,
    strategy: strategy.id,
    feasible: true,
    samples,
    jacobianMse: errors.jacobian.mean,
    jacobianMseSe: errors.jacobian.se,
    vjpMse: errors.vjp.mean,
    vjpMseSe: errors.vjp.se,
    seconds: (Date.now() - started) / 1000,
    backend: out.backend,
  };
}

/** A run's result from finished cells (used by `merge`): cells in report order, as an unsharded run has them. */
export function varianceRunFrom(o: VarianceFlags, cells: Cell[], completed: boolean, seconds: number): VarianceRun {
  const { settings, planned } = planVariance(o);
  const byKey = new Map(cells.map((c) => [cellKey(c), c]));
  const ordered = planned.map((p) => byKey.get(cellKey({ setting: p.setting.id, distribution: p.distribution, strategy: p.strategy.id }))).filter((c): c is Cell => c !== undefined);
  const backend = ordered.find((c) => c.backend)?.backend ?? 'none';
  return { meta: reportMeta(o, settings), cells: ordered, completed, backend, seconds };
}

export async function runVariance(o: VarianceOptions): Promise<VarianceRun> {
  const plan = planVariance(o);
  const settings = plan.settings;
  const mine = o.shard ? shardGroups(plan.groups, o.shard.index, o.shard.count) : undefined;
  const planned = mine ? plan.planned.filter((p) => mine.has(p.group)) : plan.planned;
  const identity = varianceIdentity(o, o.shard);
  const { metaFile, cellsFile } = openResults(o.out, o.resume, identity);
  const meta = reportMeta(o, settings);
  writeMeta(metaFile, { ...identity, options: varianceFlags(o), ...meta, ...(mine ? { groups: [...mine] } : {}), cellCount: planned.length });
  const done = new Map(readCells(cellsFile, isCell).map((c) => [cellKey(c), c]));

  const total = planned.length;
  const totalWork = planned.reduce((acc, p) => acc + plan.work.get(cellKey({ setting: p.setting.id, distribution: p.distribution, strategy: p.strategy.id }))!, 0) || 1;
  let count = 0;
  let workDone = 0;
  const progress = (label: string) => o.onProgress?.({ cells: count, totalCells: total, work: workDone, totalWork, label });
  let backend: BackendName | 'none' = 'none';
  const started = Date.now();
  const cells: Cell[] = [];
  const refs = new Map<string, Float32Array>();
  let completed = true;
  try {
    for (const { setting, distribution, strategy } of planned) {
      const k = cellKey({ setting: setting.id, distribution, strategy: strategy.id });
      let cell = done.get(k);
      if (!cell) {
        const f = feasibility(setting, distribution, strategy, o.samples);
        if (!f.feasible) {
          cell = { setting: setting.id, distribution, strategy: strategy.id, feasible: false, reason: f.reason, samples: f.samples };
        } else {
          const x = makeInputs(setting, o.inputs);
          const refKey = `${setting.id}|${distribution}`;
          if (!refs.has(refKey)) {
            refs.clear(); // one reference in memory at a time
            progress(`${setting.title} · ${distribution} · reference (${o.referenceSamples} samples)`);
            refs.set(refKey, await reference(o, setting, distribution, x));
          }
          const box = setting.make();
          cell = await runCell(o, setting, distribution, strategy, f.samples, x, refs.get(refKey)!, makeDirections(box.outputSize, o.inputs));
        }
        appendCell(cellsFile, cell);
      }
      if (backend === 'none' && cell.backend) backend = cell.backend;
      cells.push(cell);
      count++;
      workDone += plan.work.get(k)!;
      progress(`${setting.title} · ${distribution} · ${strategy.id}`);
    }
  } catch (err) {
    if (!(err instanceof SmoothingError && err.code === 'ERR_ABORTED')) throw err;
    completed = false;
  }
  return { meta, cells, completed, backend, seconds: (Date.now() - started) / 1000 };
}
