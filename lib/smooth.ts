/**
 * smooth(f, options) → Smoother → forward(x) → Smoothed { value, stderr, vjp, jacobian, jvp, scaleGradient }.
 * All validation happens here, before any backend work starts.
 */
import { adaptiveForward, combineRounds, gatherRows, validatePrecision, type PrecisionOptions, type PrecisionReport, type Round } from './adaptive.js';
import { BACKEND_ENV, BACKEND_NAMES, selectBackend } from './backends.js';
import { flattenRows, type RowsInput } from './nested.js';
import { DISTRIBUTION_NAMES, distributions, resolveDistribution } from './distributions.js';
import { invalid, SmoothingError } from './errors.js';
import type { Backend, Plan, Progress, RunControl } from './plan.js';
import { SAMPLER_NAMES, validateSamplerSpec } from './samplers.js';
import { runAsync, runSync, type Task } from './task.js';
import { resolveScale, scaleGradientSize, type ScaleOption } from './scale.js';
import type { BackendName, BlackBox, CovariateName, CustomDistribution, DistributionName, SamplerName } from './types.js';
import {
  rejectUnknownKeys,
  requireBoolean,
  requireFiniteVector,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
  requireSeed,
} from './validate.js';

export interface SmoothOptions {
  distribution: DistributionName | CustomDistribution;
  /** γ (number), per-coordinate σ (Float32Array of n) or a full invertible L ({ matrix: Float32Array n×n }). */
  scale: ScaleOption;
  /** Noise samples per input (S). */
  samples: number;
  sampler: SamplerName;
  /** Pair every sample with its mirror (symmetric distributions only; even S). Default false. */
  antithetic?: boolean;
  covariate: CovariateName;
  /** Default seed (non-negative safe integer); forward({ seed }) overrides it. Default 0. */
  seed?: number;
  /** Default 'auto': cuda > cpu > js, or the STOCHASTIC_SMOOTHING_BACKEND environment variable. */
  backend?: 'auto' | BackendName;
  /** Perturbed inputs per black-box call (memory is O(chunkSize·(n+m))). Default: about 64k numbers per chunk. */
  chunkSize?: number;
  /** Worker threads of the cpu backend (results do not depend on it). Default: STOCHASTIC_SMOOTHING_THREADS, else all cores. */
  threads?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export interface ForwardOptions extends CallOptions {
  /** Number of rows B of x; optional, checked against x.length / n when given. */
  batch?: number;
  /** Overrides the smoother's seed: fresh noise per training step. */
  seed?: number;
  /**
   * Adaptive sample count: replicates of `samples` until the standard error of the value (or of the VJP for
   * `vjp`) is below `stderr`, or `maxSamples` per input is reached. See Smoothed.precision.
   */
  precision?: PrecisionOptions;
}

const COVARIATES: readonly CovariateName[] = ['none', 'fx', 'loo'];
const OPTION_KEYS = ['distribution', 'scale', 'samples', 'sampler', 'antithetic', 'covariate', 'seed', 'backend', 'chunkSize', 'threads'] as const;

export function smooth(f: BlackBox, options: SmoothOptions): Smoother {
  validateBlackBox(f);
  const o = requireObject(options, 'options');
  rejectUnknownKeys(o, OPTION_KEYS, 'options');
  for (const key of ['distribution', 'scale', 'samples', 'sampler', 'covariate'] as const) {
    if (o[key] === undefined) throw invalid(`options.${key}`, undefined, `options.${key} is required.`, requiredFix(key));
  }
  const n = f.inputSize;
  const m = f.outputSize;
  const distribution = resolveDistribution(o.distribution, 'options.distribution');
  const builtinDistribution = typeof o.distribution === 'string';
  const samples = requirePositiveInteger(o.samples, 'options.samples', 'pass a positive integer number of noise samples, e.g. 1024');
  const sampler = requireOneOf(o.sampler, SAMPLER_NAMES, 'options.sampler');
  const covariate = requireOneOf(o.covariate, COVARIATES, 'options.covariate');
  const antithetic = o.antithetic === undefined ? false : requireBoolean(o.antithetic, 'options.antithetic');
  const seed = o.seed === undefined ? 0 : requireSeed(o.seed, 'options.seed');
  const backendName = o.backend === undefined ? 'auto' : requireOneOf(o.backend, ['auto', ...BACKEND_NAMES] as const, 'options.backend');
  const chunkSize = o.chunkSize === undefined ? defaultChunk(n, m) : requirePositiveInteger(o.chunkSize, 'options.chunkSize');
  const threads = o.threads === undefined ? undefined : requirePositiveInteger(o.threads, 'options.threads', 'pass a thread count such as 2, or omit it');
  const scale = resolveScale(o.scale, n, 'options.scale');

  if (covariate === 'loo' && samples < 2) {
    throw invalid('options.samples', samples, "the 'loo' covariate averages the other S − 1 samples, so it needs samples ≥ 2.", "use samples ≥ 2, or covariate 'none'");
  }
  if (antithetic && !distribution.symmetric) {
    throw invalid('options.antithetic', true, `antithetic pairs (u, 1 − u) give (ε, −ε) only for a symmetric distribution; '${distribution.name}' is not symmetric (gumbel's mean is 0.5772).`, 'set antithetic: false, or pick a symmetric distribution');
  }
  validateSamplerSpec({ sampler, samples, dims: n, seed, antithetic }, 'options');
  // 'auto' with a custom (JavaScript) distribution picks js: native backends compute noise natively.
  const backend = selectBackend(backendName === 'auto' && !builtinDistribution && !process.env[BACKEND_ENV] ? 'js' : backendName, 'options.backend');
  if (backend.name !== 'js' && !builtinDistribution) {
    throw new SmoothingError('ERR_UNSUPPORTED', `the ${backend.name} backend computes noise natively and cannot call a JavaScript distribution ('${distribution.name}').`, {
      argument: 'options.distribution',
      value: distribution.name,
      fix: `use backend: 'js' for a custom distribution, or one of ${DISTRIBUTION_NAMES.join(', ')}`,
    });
  }
  const plan: Plan = { f, n, m, distribution, builtinDistribution, scale, samples, sampler, antithetic, covariate, chunkSize, threads };
  return new Smoother(plan, backend, seed);
}

function requiredFix(key: string): string {
  switch (key) {
    case 'distribution':
      return `pass one of ${Object.keys(distributions).join(', ')}`;
    case 'scale':
      return 'pass the noise scale γ, e.g. scale: 0.5';
    case 'samples':
      return 'pass the number of noise samples, e.g. samples: 1024';
    case 'sampler':
      return `pass one of ${SAMPLER_NAMES.join(', ')} (rqmc-latin is a good default)`;
    default:
      return "pass one of none, fx, loo ('loo' has the lowest variance)";
  }
}

/** About 64k numbers per chunk: large enough to amortise a call, small enough to stay in cache. */
function defaultChunk(n: number, m: number): number {
  return Math.max(1, Math.min(4096, Math.floor(65536 / (n + m))));
}

export function validateBlackBox(f: unknown, argument = 'f'): asserts f is BlackBox {
  if (typeof f !== 'object' || f === null) throw invalid(argument, f, 'the black box must be an object { name, inputSize, outputSize, evaluate }.', 'use one of blackboxes.* or implement the BlackBox interface');
  const box = f as Partial<BlackBox>;
  if (typeof box.name !== 'string') throw invalid(`${argument}.name`, box.name, 'the black box needs a string name.', "add name: 'my-box'");
  requirePositiveInteger(box.inputSize, `${argument}.inputSize`, 'set inputSize to the length n of one input row');
  requirePositiveInteger(box.outputSize, `${argument}.outputSize`, 'set outputSize to the length m of one output row');
  if (typeof box.evaluate !== 'function') throw invalid(`${argument}.evaluate`, box.evaluate, 'the black box needs evaluate(inputs, count, outputs).', 'add an evaluate method that writes count×outputSize values');
}

function validateControl(options: unknown, argument: string, extra: readonly string[] = []): CallOptions & Record<string, unknown> {
  if (options === undefined) return {};
  const o = requireObject(options, argument);
  rejectUnknownKeys(o, ['signal', 'onProgress', ...extra], argument);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid(`${argument}.signal`, o.signal, 'signal must be an AbortSignal.', 'pass controller.signal from new AbortController()');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid(`${argument}.onProgress`, o.onProgress, 'onProgress must be a function.', 'pass (p) => console.log(p.done, p.total)');
  return o as CallOptions & Record<string, unknown>;
}

function control(o: CallOptions): RunControl {
  return { signal: o.signal, onProgress: o.onProgress };
}

export class Smoother {
  /** @internal */
  constructor(
    private readonly plan: Plan,
    private readonly backend: Backend,
    readonly seed: number,
  ) {}

  get blackBox(): BlackBox {
    return this.plan.f;
  }
  get samples(): number {
    return this.plan.samples;
  }
  get backendName(): BackendName {
    return this.backend.name;
  }
  /** The noise scale's kind: 'scalar' (γ), 'diagonal' (σ, n numbers) or 'matrix' (L, n×n). */
  get scaleKind(): 'scalar' | 'diagonal' | 'matrix' {
    return this.plan.scale.kind;
  }

  /** The same smoother with another noise scale (validated like options.scale); e.g. a learned γ per step. */
  withScale(scale: ScaleOption): Smoother {
    return new Smoother({ ...this.plan, scale: resolveScale(scale, this.plan.n, 'scale') }, this.backend, this.seed);
  }

  /** @internal The same options, seed and backend around another black box with the same n (lib/fenchel-young.ts). */
  withBlackBox(f: BlackBox): Smoother {
    validateBlackBox(f);
    if (f.inputSize !== this.plan.n) throw invalid('f.inputSize', f.inputSize, `the new black box must take the same n = ${this.plan.n} inputs.`, `give it inputSize ${this.plan.n}`);
    return new Smoother({ ...this.plan, f, m: f.outputSize }, this.backend, this.seed);
  }

  /** Smooth f at every row of x (B×n row-major, or an array of B rows of n numbers). */
  async forward(x: RowsInput, options?: ForwardOptions): Promise<Smoothed> {
    return runAsync(this.forwardTask(x, options));
  }

  /**
   * forward() on this thread, for callers that cannot await (tfjs gradient functions). It blocks the event loop
   * until the estimate is done: timers, I/O and AbortSignals wait (a signal is checked only on entry). It needs
   * a synchronous black box (every built-in is; a user box whose evaluate returns a Promise is refused with
   * ERR_UNSUPPORTED). Same numbers as forward(): the backward passes of the result have Sync twins too.
   */
  forwardSync(x: RowsInput, options?: ForwardOptions): Smoothed {
    return runSync(this.forwardTask(x, options), 'forwardSync');
  }

  private *forwardTask(x: RowsInput, options: ForwardOptions | undefined): Task<Smoothed> {
    const o = validateControl(options, 'forward options', ['batch', 'seed', 'precision']);
    const { n } = this.plan;
    const xs = requireFiniteVector(flattenRows(x, n, 'x'), undefined, 'x', `B×${n}`);
    let batch = xs.length / n;
    if (!Number.isInteger(batch)) {
      throw invalid('x', x, `x has length ${xs.length}, not a multiple of the black box's input size n = ${n}.`, `pass B×${n} numbers row-major`);
    }
    if (o.batch !== undefined) {
      requirePositiveInteger(o.batch, 'forward options.batch');
      if (o.batch !== batch) throw invalid('forward options.batch', o.batch, `batch = ${o.batch} but x holds ${batch} rows of n = ${n}.`, `pass x of length ${(o.batch as number) * n}, or omit batch`);
      batch = o.batch as number;
    }
    const seed = o.seed === undefined ? this.seed : requireSeed(o.seed, 'forward options.seed');
    // xs is a copy: the backward passes regenerate the samples around it, so it must not change under us.
    const xCopy = xs;
    if (o.precision !== undefined) {
      const precision = validatePrecision(o.precision, this.plan, batch);
      const r = yield* adaptiveForward(this.plan, this.backend, xCopy, batch, seed, precision, control(o));
      return new Smoothed(this.plan, this.backend, r.rounds, batch, seed, r.value, r.stderr, r.report);
    }
    const result = yield* this.backend.forward(this.plan, xCopy, batch, seed, control(o));
    return new Smoothed(this.plan, this.backend, [{ state: { x: xCopy, batch, seed, fx: result.fx } }], batch, seed, result.value, result.stderr);
  }
}

export class Smoothed {
  readonly backend: BackendName;

  /** @internal */
  constructor(
    private readonly plan: Plan,
    private readonly impl: Backend,
    /** The replicates the estimate averages (one, unless forward() ran with `precision`). */
    private readonly rounds: readonly Round[],
    /** B, the number of input rows. */
    readonly batch: number,
    /** The seed of the first (or only) replicate. */
    readonly seed: number,
    /** B×m, the smoothed output E[f(x + Lε)]. */
    readonly value: Float32Array,
    /**
     * B×m, the standard error of value: the i.i.d. formula for one replicate (exact for mc, an indicator only for
     * quasi-random samplers), the spread of the replicate means with `precision` (valid for every sampler).
     */
    readonly stderr: Float32Array,
    /** With `precision`: samples used, replicates and achieved standard error per row. */
    readonly precision?: PrecisionReport,
  ) {
    this.backend = impl.name;
  }

  /** Samples per replicate (`samples`); with `precision` see precision.samplesUsed. */
  get samples(): number {
    return this.plan.samples;
  }

  /** vᵀJ for every batch element: v is B×m, the result B×n. Regenerates the forward samples. */
  async vjp(v: Float32Array, options?: CallOptions): Promise<Float32Array> {
    return runAsync(this.vjpTask(v, options));
  }
  /** vjp() on this thread (blocks the event loop; see Smoother.forwardSync). */
  vjpSync(v: Float32Array, options?: CallOptions): Float32Array {
    return runSync(this.vjpTask(v, options), 'vjpSync');
  }

  /** The smoothed Jacobian, B×m×n row-major. Memory O(B·m·n); prefer vjp for training. */
  async jacobian(options?: CallOptions): Promise<Float32Array> {
    return runAsync(this.jacobianTask(options));
  }
  /** jacobian() on this thread (blocks the event loop). */
  jacobianSync(options?: CallOptions): Float32Array {
    return runSync(this.jacobianTask(options), 'jacobianSync');
  }

  /** J·t (forward mode): t is B×n, the result B×m. */
  async jvp(t: Float32Array, options?: CallOptions): Promise<Float32Array> {
    return runAsync(this.jvpTask(t, options));
  }
  /** jvp() on this thread (blocks the event loop). */
  jvpSync(t: Float32Array, options?: CallOptions): Float32Array {
    return runSync(this.jvpTask(t, options), 'jvpSync');
  }

  /**
   * Gradient of ⟨v, value⟩ with respect to the noise scale: B numbers for a scalar γ, B×n for a diagonal
   * scale, B×n×n for a matrix L.
   */
  async scaleGradient(v: Float32Array, options?: CallOptions): Promise<Float32Array> {
    return runAsync(this.scaleGradientTask(v, options));
  }
  /** scaleGradient() on this thread (blocks the event loop). */
  scaleGradientSync(v: Float32Array, options?: CallOptions): Float32Array {
    return runSync(this.scaleGradientTask(v, options), 'scaleGradientSync');
  }

  private *vjpTask(v: Float32Array, options: CallOptions | undefined): Task<Float32Array> {
    const o = validateControl(options, 'vjp options');
    const { m, n } = this.plan;
    const vs = requireFiniteVector(v, this.batch * m, 'v', `B×m = ${this.batch}×${m}`);
    return yield* combineRounds(this.rounds, this.batch, n, (r) => this.impl.vjp(this.plan, r.state, gatherRows(vs, r, m), control(o)));
  }

  private *jacobianTask(options: CallOptions | undefined): Task<Float32Array> {
    const o = validateControl(options, 'jacobian options');
    return yield* combineRounds(this.rounds, this.batch, this.plan.m * this.plan.n, (r) => this.impl.jacobian(this.plan, r.state, control(o)));
  }

  private *jvpTask(t: Float32Array, options: CallOptions | undefined): Task<Float32Array> {
    const o = validateControl(options, 'jvp options');
    const { m, n } = this.plan;
    const ts = requireFiniteVector(t, this.batch * n, 't', `B×n = ${this.batch}×${n}`);
    return yield* combineRounds(this.rounds, this.batch, m, (r) => this.impl.jvp(this.plan, r.state, gatherRows(ts, r, n), control(o)));
  }

  private *scaleGradientTask(v: Float32Array, options: CallOptions | undefined): Task<Float32Array> {
    const o = validateControl(options, 'scaleGradient options');
    const m = this.plan.m;
    const vs = requireFiniteVector(v, this.batch * m, 'v', `B×m = ${this.batch}×${m}`);
    return yield* combineRounds(this.rounds, this.batch, this.scaleGradientSize, (r) => this.impl.scaleGradient(this.plan, r.state, gatherRows(vs, r, m), control(o)));
  }

  /** Size of one batch element's scale gradient (1, n or n×n). */
  get scaleGradientSize(): number {
    return scaleGradientSize(this.plan.scale);
  }
}
