/** A validated smoothing configuration: what every backend receives. Built once by smooth(). */
import type { Scale } from './scale.js';
import type { Task } from './task.js';
import type { BlackBox, CovariateName, CustomDistribution, Distribution, SamplerName } from './types.js';

export interface Plan {
  readonly f: BlackBox;
  readonly n: number;
  readonly m: number;
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
  /** Native worker threads (cpu backend); undefined: STOCHASTIC_SMOOTHING_THREADS or all cores. */
  readonly threads?: number;
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
}

export interface ForwardResult {
  readonly value: Float32Array;
  readonly stderr: Float32Array;
  readonly fx?: Float64Array;
}

/**
 * One backend: every method streams the samples again from (seed, b, i, d), so nothing of size S is kept.
 * Methods are Tasks (lib/task.ts): the caller runs them asynchronously (runAsync) or blocking (runSync).
 */
export interface Backend {
  readonly name: 'js' | 'cpu' | 'cuda';
  forward(plan: Plan, x: Float32Array, batch: number, seed: number, control: RunControl): Task<ForwardResult>;
  vjp(plan: Plan, state: ForwardState, v: Float32Array, control: RunControl): Task<Float32Array>;
  jacobian(plan: Plan, state: ForwardState, control: RunControl): Task<Float32Array>;
  jvp(plan: Plan, state: ForwardState, t: Float32Array, control: RunControl): Task<Float32Array>;
  scaleGradient(plan: Plan, state: ForwardState, v: Float32Array, control: RunControl): Task<Float32Array>;
}
