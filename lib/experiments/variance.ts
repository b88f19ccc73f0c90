/**
 * `stochastic-smoothing variance`: the paper's estimator benchmark (§4.1). For every setting, distribution and
 * feasible strategy, the mean squared error of the Jacobian estimate and of a fixed-v VJP against a reference
 * computed with far more samples, over R independent repeats (batch rows draw independent noise) of each of
 * I seeded inputs. Finished cells are appended to cells.jsonl, so a stopped run can be resumed.
 */
import { openResults } from './results-folder.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmoothingError, invalid } from '../errors.js';
import { smooth } from '../smooth.js';
import type { BackendName, DistributionName } from '../types.js';
import { errorStatistics } from './uncertainty.js';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES, feasibility, makeDirections, makeInputs, repeatRows, type Setting, type Strategy } from './variance-config.js';

export interface VarianceOptions {
  settings: readonly string[];
  samples: number;
  repeats: number;
  inputs: number;
  scale: number;
  referenceSamples: number;
  seed: number;
  backend: 'auto' | BackendName;
  out: string;
  resume: boolean;
  signal?: AbortSignal;
  /** Called after every finished cell (and reference) with counts over all cells of the run. */
  onProgress?: (done: number, total: number, label: string) => void;
}

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

const META_KEYS = ['samples', 'repeats', 'inputs', 'scale', 'referenceSamples', 'seed'] as const;

function readCells(file: string): Cell[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Cell);
}

const key = (setting: string, distribution: string, strategy: string) => `${setting}|${distribution}|${strategy}`;

export function selectSettings(ids: readonly string[]): Setting[] {
  return ids.map((id) => {
    const s = SETTINGS.find((x) => x.id === id || x.title === id);
    if (!s) throw invalid('--settings', id, `unknown setting '${id}'.`, `use some of ${SETTINGS.map((x) => x.id).join(', ')}`);
    return s;
  });
}

/** The reference Jacobians (inputs × m × n) for one setting and distribution, cached in the results folder. */
async function reference(o: VarianceOptions, setting: Setting, distribution: DistributionName, x: Float32Array): Promise<Float32Array> {
  const file = join(o.out, 'references', `${setting.id}-${distribution}-${o.referenceSamples}.f32`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  const s = smooth(setting.make(), { distribution, scale: o.scale, samples: o.referenceSamples, sampler: 'rqmc-sobol', covariate: 'loo', seed: o.seed + 7919, backend: o.backend });
  const out = await s.forward(x, { signal: o.signal });
  const jac = await out.jacobian({ signal: o.signal });
  mkdirSync(join(o.out, 'references'), { recursive: true });
  writeFileSync(file, Buffer.from(jac.buffer, jac.byteOffset, jac.byteLength));
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

export async function runVariance(o: VarianceOptions): Promise<VarianceRun> {
  const settings = selectSettings(o.settings);
  const meta: Record<string, unknown> = Object.fromEntries(META_KEYS.map((k) => [k, o[k]]));
  const { metaFile, cellsFile } = openResults(o.out, o.resume, meta);
  writeFileSync(metaFile, JSON.stringify({ ...meta, gamma: o.scale, settings: settings.map((s) => s.id) }, null, 2));
  const done = new Map(readCells(cellsFile).map((c) => [key(c.setting, c.distribution, c.strategy), c]));

  const planned = settings.flatMap((setting) => DISTRIBUTIONS.flatMap((distribution) => STRATEGIES.map((strategy) => ({ setting, distribution, strategy }))));
  const total = planned.length;
  let count = 0;
  let backend: BackendName | 'none' = 'none';
  const started = Date.now();
  const cells: Cell[] = [];
  const refs = new Map<string, Float32Array>();
  let completed = true;
  try {
    for (const { setting, distribution, strategy } of planned) {
      const k = key(setting.id, distribution, strategy.id);
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
            o.onProgress?.(count, total, `${setting.title} · ${distribution} · reference (${o.referenceSamples} samples)`);
            refs.set(refKey, await reference(o, setting, distribution, x));
          }
          const box = setting.make();
          cell = await runCell(o, setting, distribution, strategy, f.samples, x, refs.get(refKey)!, makeDirections(box.outputSize, o.inputs));
        }
        appendFileSync(cellsFile, `${JSON.stringify(cell)}\n`);
      }
      if (backend === 'none' && cell.backend) backend = cell.backend;
      cells.push(cell);
      count++;
      o.onProgress?.(count, total, `${setting.title} · ${distribution} · ${strategy.id}`);
    }
  } catch (err) {
    if (!(err instanceof SmoothingError && err.code === 'ERR_ABORTED')) throw err;
    completed = false;
  }
  return { meta: { ...meta, gamma: o.scale, settings: settings.map((s) => s.id) }, cells, completed, backend, seconds: (Date.now() - started) / 1000 };
}
