/**
 * Adaptive sample counts: `forward(x, { precision: { stderr, maxSamples, relative?, vjp? } })` runs independent
 * replicates of `samples` each (round r uses its own seed, so every sampler is re-randomised: fresh Philox
 * streams, Latin permutations, Cartesian jitter, Owen scrambles) until the standard error of the requested
 * quantity — the value, or the VJP for the given v — is below the target for a batch row, or its next replicate
 * would exceed maxSamples. Rows that have converged stop early. The standard error is the spread of the
 * replicate means, valid for quasi-random samplers too (the i.i.d. formula is not). Deterministic per seed.
 */
import { SmoothingError, invalid } from './errors.js';
import type { Backend, ForwardState, Plan, RunControl } from './plan.js';
import type { Task } from './task.js';
import { MAX_EVALUATIONS } from './limits.js';
import { requireBoolean, requireFiniteVector, requirePositiveInteger, rejectUnknownKeys, snapshotOptions } from './validate.js';

/** Largest precision.maxSamples: samplesUsed is a Uint32Array. */
const MAX_ADAPTIVE_SAMPLES = 2 ** 32 - 1;

export interface PrecisionOptions {
  /** Target standard error (absolute, or relative to the row's largest |estimate| when `relative`). */
  stderr: number;
  /** Largest number of samples per input (whole replicates of `samples`; at least two replicates). */
  maxSamples: number;
  relative?: boolean;
  /** Target the VJP for this v (B×m) instead of the value. */
  vjp?: Float32Array;
  /**
   * Replicates before a row may stop (default 8, at least 2): a standard error from very few replicates is
   * itself too noisy to stop on (with 2, |error| > 3·stderr happens 20% of the time).
   */
  minReplicates?: number;
}

export interface PrecisionReport {
  readonly target: 'value' | 'vjp';
  /** Samples used per input row (replicates × samples). */
  readonly samplesUsed: Uint32Array;
  readonly replicates: Uint32Array;
  /** Per row: the largest standard error over the target's entries (replicate-based). */
  readonly achievedStderr: Float32Array;
  /** Per row: whether the target was met (false: maxSamples stopped it). */
  readonly met: boolean[];
  /** target 'vjp': the VJP estimate (B×n) and its standard errors. */
  readonly vjp?: Float32Array;
  readonly vjpStderr?: Float32Array;
}

export interface AdaptiveResult {
  rounds: Round[];
  value: Float32Array;
  stderr: Float32Array;
  report: PrecisionReport;
}

/** One replicate: the forward state of the rows it covered (undefined: every row). */
export interface Round {
  readonly state: ForwardState;
  readonly rows?: Uint32Array;
}

export function validatePrecision(value: unknown, plan: Plan, batch: number): PrecisionOptions {
  // Read once, own properties only (like every options object: validate.ts snapshotOptions).
  const o = snapshotOptions(value, 'forward options.precision');
  rejectUnknownKeys(o, ['stderr', 'maxSamples', 'relative', 'vjp', 'minReplicates'], 'forward options.precision');
  if (typeof o.stderr !== 'number' || !(o.stderr > 0) || !Number.isFinite(o.stderr)) {
    throw invalid('forward options.precision.stderr', o.stderr, 'the target standard error must be a finite number > 0.', 'pass for example stderr: 1e-3');
  }
  const maxSamples = requirePositiveInteger(o.maxSamples, 'forward options.precision.maxSamples', 'pass the largest sample count per input you accept, e.g. 1 << 20');
  if (maxSamples > MAX_ADAPTIVE_SAMPLES || batch * maxSamples > MAX_EVALUATIONS) {
    throw invalid('forward options.precision.maxSamples', maxSamples, `maxSamples must be at most ${MAX_ADAPTIVE_SAMPLES} (2^32 − 1, the report counts samples in 32 bits) and B·maxSamples at most ${MAX_EVALUATIONS} (README "Limits").`, 'pass a smaller maxSamples, e.g. 1 << 20');
  }
  if (maxSamples < 2 * plan.samples) {
    throw invalid('forward options.precision.maxSamples', maxSamples, `adaptive sampling runs replicates of samples = ${plan.samples} and needs at least two of them for a standard error.`, `pass maxSamples ≥ ${2 * plan.samples}, or lower samples`);
  }
  if (plan.sampler === 'sobol') {
    throw new SmoothingError('ERR_UNSUPPORTED', "the unscrambled 'sobol' sampler gives the same points for every seed, so its replicates carry no error information.", {
      argument: 'options.sampler', value: 'sobol', fix: "use 'rqmc-sobol' (scrambled: independent replicates) for adaptive sampling",
    });
  }
  const relative = o.relative === undefined ? false : requireBoolean(o.relative, 'forward options.precision.relative');
  const vjp = o.vjp === undefined ? undefined : requireFiniteVector(o.vjp, batch * plan.m, 'forward options.precision.vjp', `B×m = ${batch}×${plan.m}`);
  const cap = Math.floor(maxSamples / plan.samples);
  const minReplicates = o.minReplicates === undefined ? Math.min(8, cap) : requirePositiveInteger(o.minReplicates, 'forward options.precision.minReplicates');
  if (minReplicates < 2 || minReplicates > cap) {
    throw invalid('forward options.precision.minReplicates', minReplicates, `minReplicates must be between 2 and maxSamples / samples = ${cap}.`, 'pass 8, or raise maxSamples');
  }
  return { stderr: o.stderr, maxSamples, relative, vjp, minReplicates };
}

/** The seed of replicate r: r = 0 keeps the caller's seed; others are spread by a 64-bit odd constant, mod 2^53. */
export function roundSeed(seed: number, r: number): number {
  return r === 0 ? seed : Number((BigInt(seed) + BigInt(r) * 0x9e3779b97f4a7c15n) % (1n << 53n));
}

function gather(data: Float32Array, rows: Uint32Array, size: number): Float32Array {
  const out = new Float32Array(rows.length * size);
  rows.forEach((row, i) => out.set(data.subarray(row * size, (row + 1) * size), i * size));
  return out;
}

/** Running sums of replicate estimates per row: mean and the replicate standard error per entry. */
class ReplicateSums {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  readonly count: Uint32Array;
  constructor(rows: number, readonly size: number) {
    this.sum = new Float64Array(rows * size);
    this.sumSq = new Float64Array(rows * size);
    this.count = new Uint32Array(rows);
  }
  add(row: number, est: Float32Array, offset: number): void {
    for (let k = 0; k < this.size; k++) {
      const e = est[offset + k];
      this.sum[row * this.size + k] += e;
      this.sumSq[row * this.size + k] += e * e;
    }
    this.count[row]++;
  }
  mean(row: number, k: number): number {
    return this.sum[row * this.size + k] / this.count[row];
  }
  stderr(row: number, k: number): number {
    const R = this.count[row];
    if (R < 2) return Number.POSITIVE_INFINITY;
    const m = this.mean(row, k);
    const variance = Math.max(0, (this.sumSq[row * this.size + k] - R * m * m) / (R - 1));
    return Math.sqrt(variance / R);
  }
}

export function* adaptiveForward(plan0: Plan, backend: Backend, x: Float32Array, batch: number, seed: number, p: PrecisionOptions, control: RunControl): Task<AdaptiveResult> {
  // The output cache is off for adaptive rounds (README "Memory and the output cache"): their number is not known
  // in advance, so neither is the memory the caches of all rounds would hold; backward passes re-evaluate each round.
  const plan: Plan = plan0.outputCache > 0 ? Object.freeze({ ...plan0, outputCache: 0 }) : plan0;
  const { n, m, samples: S } = plan;
  const values = new ReplicateSums(batch, m);
  const grads = p.vjp ? new ReplicateSums(batch, n) : undefined;
  const target = grads ?? values;
  const rounds: Round[] = [];
  const met = new Array<boolean>(batch).fill(false);
  let active = Uint32Array.from({ length: batch }, (_, b) => b);
  for (let r = 0; active.length > 0; r++) {
    const all = active.length === batch;
    const xs = all ? x : gather(x, active, n);
    const state: ForwardState = { x: xs, batch: active.length, seed: roundSeed(seed, r), fx: undefined };
    const res = yield* backend.forward(plan, xs, active.length, state.seed, control);
    const full: ForwardState = { ...state, fx: res.fx };
    rounds.push({ state: full, rows: all ? undefined : active });
    const g = grads ? yield* backend.vjp(plan, full, all ? p.vjp! : gather(p.vjp!, active, m), control) : undefined;
    active.forEach((row, i) => {
      values.add(row, res.value, i * m);
      if (grads) grads.add(row, g!, i * n);
    });
    const next: number[] = [];
    for (const row of active) {
      let worst = 0;
      let scale = 0;
      for (let k = 0; k < target.size; k++) {
        worst = Math.max(worst, target.stderr(row, k));
        scale = Math.max(scale, Math.abs(target.mean(row, k)));
      }
      const goal = p.relative ? p.stderr * scale : p.stderr;
      if (target.count[row] >= p.minReplicates! && worst <= goal) met[row] = true;
      else if ((target.count[row] + 1) * S <= p.maxSamples) next.push(row);
    }
    active = Uint32Array.from(next);
  }

  const value = new Float32Array(batch * m);
  const stderr = new Float32Array(batch * m);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < m; k++) {
      value[b * m + k] = values.mean(b, k);
      stderr[b * m + k] = values.stderr(b, k);
    }
  }
  const achieved = new Float32Array(batch);
  for (let b = 0; b < batch; b++) for (let k = 0; k < target.size; k++) achieved[b] = Math.max(achieved[b], target.stderr(b, k));
  let vjp: Float32Array | undefined;
  let vjpStderr: Float32Array | undefined;
  if (grads) {
    vjp = new Float32Array(batch * n);
    vjpStderr = new Float32Array(batch * n);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < n; j++) {
        vjp[b * n + j] = grads.mean(b, j);
        vjpStderr[b * n + j] = grads.stderr(b, j);
      }
    }
  }
  const report: PrecisionReport = {
    target: grads ? 'vjp' : 'value',
    samplesUsed: Uint32Array.from(values.count, (c) => c * S),
    replicates: Uint32Array.from(values.count),
    achievedStderr: achieved,
    met,
    vjp,
    vjpStderr,
  };
  return { rounds, value, stderr, report };
}

/**
 * Average a per-row quantity over the rounds that covered each row. A single all-rows round is returned as
 * the backend computed it (the plain, non-adaptive path).
 */
export function* combineRounds(rounds: readonly Round[], batch: number, size: number, run: (round: Round) => Task<Float32Array>): Task<Float32Array> {
  if (rounds.length === 1 && rounds[0].rows === undefined) return yield* run(rounds[0]);
  const sum = new Float64Array(batch * size);
  const count = new Uint32Array(batch);
  for (const round of rounds) {
    const out = yield* run(round);
    const rows = round.rows;
    for (let i = 0; i < round.state.batch; i++) {
      const row = rows ? rows[i] : i;
      count[row]++;
      for (let k = 0; k < size; k++) sum[row * size + k] += out[i * size + k];
    }
  }
  return Float32Array.from(sum, (s, idx) => s / count[Math.floor(idx / size)]);
}

export function gatherRows(data: Float32Array, round: Round, size: number): Float32Array {
  return round.rows ? gather(data, round.rows, size) : data;
}
