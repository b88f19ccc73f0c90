/**
 * A validated smoothing configuration: what every backend receives. Built once by smooth() from a snapshot of
 * the options (each read once) and frozen: nothing a caller does afterwards can change it.
 */
import type { BuiltinSpec } from './blackboxes/spec.js';
import type { OutputCache } from './output-cache.js';
import type { Scale } from './scale.js';
import type { Task } from './task.js';
import type { BlackBox, CovariateName, CustomDistribution, Distribution, SamplerName } from './types.js';

export interface Plan {
  readonly f: BlackBox;
  /** The box's name, read once (messages). */
  readonly name: string;
  /** Input and output sizes, read once (for a built-in box: from its immutable spec). */
  readonly n: number;
  readonly m: number;
  /** The immutable spec of a built-in box (native backends run their own copy of it); undefined for a user box. */
  readonly spec?: BuiltinSpec;
  readonly distribution: Distribution | CustomDistribution;
  /** True when distribution is one of the six built-ins (native backends accept only these). */
  readonly builtinDistribution: boolean;
  readonly scale: Scale;
  readonly samples: number;
  readonly sampler: SamplerName;
  readonly antithetic: boolean;
  readonly covariate: CovariateName;
  /** Perturbed inputs evaluated per black-box call. */
  readonly chunkSize: number;
  /** Native worker threads (cpu backend), resolved once by smooth(); 0: all cores. */
  readonly threads: number;
  /** Bytes of forward outputs kept for the backward passes (lib/output-cache.ts); 0: they re-evaluate the box. */
  readonly outputCache: number;
  /** k of median-of-k noise (odd, 1 ≤ k ≤ MAX_MEDIAN_OF; 1 = plain noise): the noise is the median of k draws of `distribution` (lib/median.ts). */
  readonly medianOf: number;
}

export interface Progress {
  /** 'forward' | 'vjp' | 'jacobian' | 'jvp' | 'scaleGradient' */
  readonly phase: string;
  /** Black-box evaluations done so far in this call (noise samples, over all batch elements). */
  readonly done: number;
  readonly total: number;
}

export interface RunControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

/** What forward() hands to the backward passes: the inputs, the seed, and f(x) for the fx covariate. */
export interface ForwardState {
  readonly x: Float32Array;
  readonly batch: number;
  readonly seed: number;
  readonly fx?: Float64Array;
  /** The forward pass's black-box outputs, when they fit plan.outputCache: the backward passes read them. */
  readonly cache?: OutputCache;
}

export interface ForwardResult {
  readonly value: Float32Array;
  readonly stderr: Float32Array;
  readonly fx?: Float64Array;
  /** The outputs the forward pass kept (lib/output-cache.ts), handed to the backward passes in ForwardState. */
  readonly cache?: OutputCache;
}

/**
 * One backend: every method streams the samples again from (seed, b, i, d), so nothing of size S is kept.
 * Methods are Tasks (lib/task.ts): the caller runs them asynchronously (runAsync) or blocking (runSync).
 */
export interface Backend {
  readonly name: 'js' | 'cpu' | 'cuda';
  forward(plan: Plan, x: Float32Array, batch: number, seed: number, control: RunControl): Task<ForwardResult>;
  /**
   * The backward passes. `stderr`, when given (same size as the result), receives each element's i.i.d. standard
   * error from the same samples (lib/accumulate.ts SquareSums); a backend without that support leaves it undefined
   * in `stderrSupport` and is not passed one.
   */
  vjp(plan: Plan, state: ForwardState, v: Float32Array, control: RunControl, stderr?: Float32Array): Task<Float32Array>;
  jacobian(plan: Plan, state: ForwardState, control: RunControl, stderr?: Float32Array): Task<Float32Array>;
  jvp(plan: Plan, state: ForwardState, t: Float32Array, control: RunControl, stderr?: Float32Array): Task<Float32Array>;
  scaleGradient(plan: Plan, state: ForwardState, v: Float32Array, control: RunControl, stderr?: Float32Array): Task<Float32Array>;
  /** True when the backward passes fill `stderr`. */
  readonly stderrSupport?: boolean;
}
