/**
 * smooth(f, options) → Smoother → forward(x) → Smoothed { value, stderr, vjp, jacobian, jvp, scaleGradient }.
 * All validation happens here, before any backend work starts.
 */
import { adaptiveForward, combineRounds, gatherRows, validatePrecision, type PrecisionOptions, type PrecisionReport, type Round } from './adaptive.js';
import { BACKEND_ENV, BACKEND_NAMES, selectBackend } from './backends/index.js';
import { flattenRows, type RowsInput } from './nested.js';
import { DISTRIBUTION_NAMES, distributions, resolveDistribution } from './distributions.js';
import { builtinSpec, builtinSpecOf, specSizes, type BuiltinSpec } from './blackboxes/index.js';
import { invalid, ProblemCollector, SmoothingError } from './errors.js';
import { MAX_CHUNK_ELEMENTS, MAX_ELEMENTS, MAX_EVALUATIONS, MAX_SAMPLES, MAX_SIZE, maxThreads, THREADS_ENV } from './limits.js';
import type { Backend, Plan, Progress, RunControl } from './plan.js';
import { SOBOL_MAX_DIMS } from './random/sobol.js';
import { SAMPLER_NAMES, validateSamplerSpec } from './samplers.js';
import { runAsync, runSync, type Task } from './task.js';
import { resolveScale, scaleGradientSize, type ScaleOption } from './scale.js';
import { jsBackend } from './backends/js/backend.js';
import { combineRoundsWithStderr } from './stderr-rounds.js';
import { DEFAULT_OUTPUT_CACHE } from './output-cache.js';
import type { BackendName, BlackBox, CovariateName, CustomDistribution, DistributionName, JacobianWithStderr, JvpWithStderr, SamplerName, ScaleGradientWithStderr, VjpWithStderr } from './types.js';
import {
  rejectUnknownKeys,
  requireBoolean,
  requireFiniteVector,
  requireOneOf,
  requirePositiveInteger,
  requireMedianOf,
  requireSeed,
  snapshotOptions,
} from './validate.js';

export interface SmoothOptions {
  /** Default 'gaussian' (see DEFAULTS). */
  distribution?: DistributionName | CustomDistribution;
  /** γ (number), per-coordinate σ (Float32Array of n) or a full invertible L ({ matrix: Float32Array n×n }). Required. */
  scale: ScaleOption;
  /** Noise samples per input (S). Default 1024. */
  samples?: number;
  /** Default 'rqmc-sobol' (up to 21 201 inputs; 'rqmc-latin' above). */
  sampler?: SamplerName;
  /** Pair every sample with its mirror (symmetric distributions only; even S). Default false. */
  antithetic?: boolean;
  /** Default 'loo'. */
  covariate?: CovariateName;
  /** Default seed (non-negative safe integer); forward({ seed }) overrides it. Default 0. */
  seed?: number;
  /** Default 'auto': cuda > cpu > js, or the STOCHASTIC_SMOOTHING_BACKEND environment variable. */
  backend?: 'auto' | BackendName;
  /** Perturbed inputs per black-box call (memory is O(chunkSize·(n+m))). Default: about 64k numbers per chunk. */
  chunkSize?: number;
  /**
   * Worker threads of the cpu backend (results do not depend on it), at most maxThreads() = min(256, 4 ×
   * os.availableParallelism()). Default: STOCHASTIC_SMOOTHING_THREADS (same range), else all cores.
   */
  threads?: number;
  /**
   * Bytes of black-box outputs the forward pass keeps for the backward passes (README "Memory and the output
   * cache"): when B·S outputs fit (compactly: bits for 0/1 boxes, uint8/uint16 ranks, Float32 for user boxes),
   * vjp / jacobian / jvp / scaleGradient regenerate only the noise and read the outputs instead of calling the box
   * again; the results are bit-identical. 0 disables it; above the cap the backward passes re-evaluate. Default
   * 64 MiB.
   */
  outputCache?: number;
  /**
   * Median-of-k noise: each coordinate of the noise is the median of k independent draws of `distribution` (odd
   * k, 1 ≤ k ≤ 99; README "Median-of-k noise"). Built-in distributions only. Default 1 (plain noise).
   */
  medianOf?: number;
}

/**
 * The defaults of every option but `scale` (README "Defaults" gives the reasons, from the project's variance
 * study in docs/variance-results.md): scrambled Sobol points had the lowest MSE in 22 of 24 (setting,
 * distribution) pairs; with them the three covariates are within 1 % of each other, and 'loo' is the best
 * covariate under plain Monte Carlo; antithetic pairs rarely helped. S = 1024 is the study's sample count.
 */
export const DEFAULTS = Object.freeze({
  distribution: 'gaussian' as DistributionName,
  samples: 1024,
  sampler: 'rqmc-sobol' as SamplerName,
  /** The sampler for n above the Sobol table's 21 201 dimensions. */
  samplerHighDimensional: 'rqmc-latin' as SamplerName,
  antithetic: false,
  covariate: 'loo' as CovariateName,
  seed: 0,
  backend: 'auto' as const,
  /** 64 MiB: e.g. B = 64, S = 4096 ranks(100) (26 MB) or a user box with m ≤ 64 at B·S = 2^18. */
  outputCache: DEFAULT_OUTPUT_CACHE,
});

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/**
 * Options of vjp, jacobian, jvp and scaleGradient. `stderr: true` also returns each entry's standard error from
 * the same samples (README "Standard errors of the gradients"); without it the result is the plain array.
 */
export interface BackwardOptions extends CallOptions {
  stderr?: boolean;
}
type WithStderrOption = BackwardOptions & { stderr: true };
type WithoutStderrOption = BackwardOptions & { stderr?: false };

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
const OPTION_KEYS = ['distribution', 'scale', 'samples', 'sampler', 'antithetic', 'covariate', 'seed', 'backend', 'chunkSize', 'threads', 'outputCache', 'medianOf'] as const;

/**
 * Options are read once, from own properties only (validate.ts snapshotOptions: a getter is called exactly
 * once, nothing is inherited), and every problem is reported together in one SmoothingError (its `errors`).
 */
export function smooth(f: BlackBox, options: SmoothOptions): Smoother {
  const problems = new ProblemCollector();
  const box = problems.check(() => snapshotBox(f));
  const o = problems.check(() => snapshotOptions(options, 'options'));
  if (o === undefined) problems.throwIfAny();
  const opt = o!;
  for (const key of Object.keys(opt)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) problems.check(() => rejectUnknownKeys({ [key]: opt[key] }, OPTION_KEYS, 'options'));
  }
  if (opt.scale === undefined) problems.check(() => { throw invalid('options.scale', undefined, 'options.scale is required (it carries the units of x: there is no default).', 'pass the noise scale γ, e.g. scale: 0.5'); });

  const distribution = problems.check(() => resolveDistribution(opt.distribution === undefined ? DEFAULTS.distribution : opt.distribution, 'options.distribution'));
  const builtinDistribution = opt.distribution === undefined || typeof opt.distribution === 'string';
  const samples = problems.check(() => requireLimitedInteger(opt.samples === undefined ? DEFAULTS.samples : opt.samples, 'options.samples', MAX_SAMPLES, 'pass a positive integer number of noise samples, e.g. 1024'));
  const n = box?.n;
  const sampler = problems.check(() =>
    opt.sampler === undefined ? (n !== undefined && n > SOBOL_MAX_DIMS ? DEFAULTS.samplerHighDimensional : DEFAULTS.sampler) : requireOneOf(opt.sampler, SAMPLER_NAMES, 'options.sampler'),
  );
  const covariate = problems.check(() => (opt.covariate === undefined ? DEFAULTS.covariate : requireOneOf(opt.covariate, COVARIATES, 'options.covariate')));
  const antithetic = problems.check(() => (opt.antithetic === undefined ? DEFAULTS.antithetic : requireBoolean(opt.antithetic, 'options.antithetic')));
  const seed = problems.check(() => (opt.seed === undefined ? DEFAULTS.seed : requireSeed(opt.seed, 'options.seed')));
  const backendName = problems.check(() => (opt.backend === undefined ? DEFAULTS.backend : requireOneOf(opt.backend, ['auto', ...BACKEND_NAMES] as const, 'options.backend')));
  const medianOf = problems.check(() => (opt.medianOf === undefined ? 1 : requireMedianOf(opt.medianOf, 'options.medianOf')));
  if (medianOf !== undefined && medianOf > 1 && !builtinDistribution && distribution !== undefined) {
    problems.check(() => {
      throw new SmoothingError('ERR_UNSUPPORTED', `median-of-k noise needs the density and distribution function of the base distribution (its score has the terms r·μ/F and r·μ/(1 − F)); the custom distribution '${distribution.name}' gives only icdf and scoreFromU.`, {
        argument: 'options.medianOf',
        value: medianOf,
        fix: `use medianOf: 1 with a custom distribution, or one of ${DISTRIBUTION_NAMES.join(', ')}`,
      });
    });
  }
  const chunkOption = problems.check(() => (opt.chunkSize === undefined ? undefined : requirePositiveInteger(opt.chunkSize, 'options.chunkSize')));
  const outputCache = problems.check(() => (opt.outputCache === undefined ? DEFAULTS.outputCache : requireCacheBytes(opt.outputCache)));
  // The scale allocates n numbers: only once n is known to be within the limits.
  const scale = box === undefined || opt.scale === undefined ? undefined : problems.check(() => resolveScale(opt.scale, box.n, 'options.scale'));

  if (covariate === 'loo' && samples !== undefined && samples < 2) {
    problems.check(() => { throw invalid('options.samples', samples, "the 'loo' covariate averages the other S − 1 samples, so it needs samples ≥ 2.", "use samples ≥ 2, or covariate 'none'"); });
  }
  if (antithetic === true && distribution !== undefined && !distribution.symmetric) {
    problems.check(() => { throw invalid('options.antithetic', true, `antithetic pairs (u, 1 − u) give (ε, −ε) only for a symmetric distribution; '${distribution.name}' is not symmetric (gumbel's mean is 0.5772).`, 'set antithetic: false, or pick a symmetric distribution'); });
  }
  if (sampler !== undefined && samples !== undefined && n !== undefined && seed !== undefined && antithetic !== undefined) {
    problems.check(() => validateSamplerSpec({ sampler, samples, dims: n, seed, antithetic }, 'options'));
  }
  let backend: Backend | undefined;
  if (backendName !== undefined) {
    // 'auto' with a custom (JavaScript) distribution picks js: native backends compute noise natively.
    backend = problems.check(() => selectBackend(backendName === 'auto' && !builtinDistribution && !process.env[BACKEND_ENV] ? 'js' : backendName, 'options.backend'));
  }
  if (backend !== undefined && backend.name !== 'js' && !builtinDistribution && distribution !== undefined) {
    problems.check(() => {
      throw new SmoothingError('ERR_UNSUPPORTED', `the ${backend!.name} backend computes noise natively and cannot call a JavaScript distribution ('${distribution.name}').`, {
        argument: 'options.distribution',
        value: distribution.name,
        fix: `use backend: 'js' for a custom distribution, or one of ${DISTRIBUTION_NAMES.join(', ')}`,
      });
    });
  }
  const threads = problems.check(() => resolveThreads(opt.threads, backend?.name));
  problems.throwIfAny();

  const { n: nn, m } = box!;
  const chunkSize = Math.max(1, Math.min(chunkOption ?? defaultChunk(nn, m), samples!, Math.floor(MAX_CHUNK_ELEMENTS / (nn + m))));
  const plan: Plan = Object.freeze({
    f, name: box!.name, n: nn, m, spec: box!.spec, distribution: distribution!, builtinDistribution, scale: scale!, samples: samples!, sampler: sampler!,
    antithetic: antithetic!, covariate: covariate!, chunkSize, threads: threads!, outputCache: outputCache!, medianOf: medianOf!,
  });
  return new Smoother(plan, backend!, seed!);
}

/** options.outputCache: a byte count, a non-negative safe integer (0 turns the cache off). */
function requireCacheBytes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid('options.outputCache', value, 'options.outputCache must be a non-negative safe integer number of bytes.', `pass a byte count such as ${DEFAULT_OUTPUT_CACHE} (64 MiB, the default), or 0 to re-evaluate the black box in every backward pass`);
  }
  return value;
}

/** A positive integer number at most `max` (a named limit of limits.ts). */
function requireLimitedInteger(value: unknown, argument: string, max: number, fix: string): number {
  requirePositiveInteger(value, argument, fix);
  if ((value as number) > max) {
    throw invalid(argument, value, `${argument} = ${value as number} is above the limit ${max} (README "Limits").`, `pass at most ${max}; for more precision run forward with { precision } or average several seeds`);
  }
  return value as number;
}

/**
 * Threads: the option, else STOCHASTIC_SMOOTHING_THREADS (read here, once), else 0 (all cores). Both must be
 * whole numbers in 1..maxThreads(); a bad environment value is an error (not silently ignored) on the native
 * backends, which are the only ones that use it.
 */
function resolveThreads(option: unknown, backend: BackendName | undefined): number {
  const max = maxThreads();
  if (option !== undefined) {
    requirePositiveInteger(option, 'options.threads', 'pass a thread count such as 2, or omit it');
    if ((option as number) > max) {
      throw invalid('options.threads', option, `options.threads is above the limit min(256, 4 × os.availableParallelism()) = ${max}.`, `pass at most ${max}, or omit it (all cores)`);
    }
    return option as number;
  }
  const env = process.env[THREADS_ENV];
  if (env === undefined || env.trim() === '' || backend === 'js') return 0;
  const value = /^\s*\d+\s*$/.test(env) ? Number(env) : Number.NaN;
  if (!(value >= 1 && value <= max)) {
    throw invalid(`environment ${THREADS_ENV}`, env, `${THREADS_ENV} must be a whole number from 1 to min(256, 4 × os.availableParallelism()) = ${max}.`, `unset ${THREADS_ENV}, or set it to a number such as 2`);
  }
  return value;
}

/** About 64k numbers per chunk: large enough to amortise a call, small enough to stay in cache. */
function defaultChunk(n: number, m: number): number {
  return Math.max(1, Math.min(4096, Math.floor(65536 / (n + m))));
}

interface BoxSnapshot {
  readonly name: string;
  readonly n: number;
  readonly m: number;
  readonly spec?: BuiltinSpec;
}

/**
 * Read a black box's fields once (getters included: a box may be a class instance) and check them. A built-in
 * box takes its sizes from its immutable spec; an object carrying a built-in's spec whose public sizes differ
 * (a copy with outputSize changed) is refused, as it would run a built-in's evaluate at the wrong sizes.
 */
function snapshotBox(f: unknown, argument = 'f'): BoxSnapshot {
  if (typeof f !== 'object' || f === null) throw invalid(argument, f, 'the black box must be an object { name, inputSize, outputSize, evaluate }.', 'use one of blackboxes.* or implement the BlackBox interface');
  const box = f as Record<string, unknown>;
  const problems = new ProblemCollector();
  const name = box.name;
  const inputSize = box.inputSize;
  const outputSize = box.outputSize;
  const evaluate = box.evaluate;
  const carried = box.builtin;
  if (typeof name !== 'string') problems.check(() => { throw invalid(`${argument}.name`, name, 'the black box needs a string name.', "add name: 'my-box'"); });
  const n = problems.check(() => requireLimitedInteger(inputSize, `${argument}.inputSize`, MAX_SIZE, 'set inputSize to the length n of one input row'));
  const m = problems.check(() => requireLimitedInteger(outputSize, `${argument}.outputSize`, MAX_SIZE, 'set outputSize to the length m of one output row'));
  if (typeof evaluate !== 'function') problems.check(() => { throw invalid(`${argument}.evaluate`, evaluate, 'the black box needs evaluate(inputs, count, outputs).', 'add an evaluate method that writes count×outputSize values'); });
  const spec = builtinSpec(box) ?? (typeof carried === 'object' && carried !== null ? builtinSpecOf(carried) : undefined);
  if (spec !== undefined && n !== undefined && m !== undefined) {
    const sizes = specSizes(spec);
    if (sizes.n !== n || sizes.m !== m) {
      const field = sizes.n !== n ? 'inputSize' : 'outputSize';
      problems.check(() => {
        throw invalid(`${argument}.${field}`, field === 'inputSize' ? n : m, `this box carries the built-in spec of '${spec.kind}' (n = ${sizes.n}, m = ${sizes.m}) but says ${field} = ${field === 'inputSize' ? n : m}: its evaluate would run at the wrong sizes.`, `make a new box with blackboxes.${spec.kind}(...) of the size you need`);
      });
    }
  }
  problems.throwIfAny();
  // Only boxes made by the factories run natively; a copy carrying a spec is evaluated in JS as written.
  return { name: name as string, n: n!, m: m!, spec: builtinSpec(box) };
}

export function validateBlackBox(f: unknown, argument = 'f'): asserts f is BlackBox {
  snapshotBox(f, argument);
}

/**
 * A method's options, snapshot once (own data only, see snapshotOptions), every problem collected in `problems`.
 * Returns the snapshot, or an empty one when `options` itself is not an object (that problem is recorded).
 */
function validateControl(options: unknown, argument: string, problems: ProblemCollector, extra: readonly string[] = []): CallOptions & Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  const o = problems.check(() => snapshotOptions(options, argument));
  if (o === undefined) return {};
  const known = ['signal', 'onProgress', ...extra];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) problems.check(() => rejectUnknownKeys({ [key]: o[key] }, known, argument));
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) problems.check(() => { throw invalid(`${argument}.signal`, o.signal, 'signal must be an AbortSignal.', 'pass controller.signal from new AbortController()'); });
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') problems.check(() => { throw invalid(`${argument}.onProgress`, o.onProgress, 'onProgress must be a function.', 'pass (p) => console.log(p.done, p.total)'); });
  return o as CallOptions & Readonly<Record<string, unknown>>;
}

/** Refuse a result array above MAX_ELEMENTS before anything is allocated. */
function requireElements(count: number, what: string, argument: string): void {
  if (count > MAX_ELEMENTS) {
    throw invalid(argument, count, `${what} would hold ${count} numbers, above the limit ${MAX_ELEMENTS} (2^31 − 1, README "Limits").`, 'use fewer rows per call (split the batch), or vjp/jvp instead of the full Jacobian');
  }
}

/** The `stderr` option of a backward pass: absent → false; anything but a boolean is refused. */
function stderrOption(o: Readonly<Record<string, unknown>>, argument: string): boolean {
  return o.stderr === undefined ? false : requireBoolean(o.stderr, `${argument}.stderr`);
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
    return new Smoother(Object.freeze({ ...this.plan, scale: resolveScale(scale, this.plan.n, 'scale') }), this.backend, this.seed);
  }

  /** @internal The same options, seed and backend around another black box with the same n (lib/fenchel-young.ts). */
  withBlackBox(f: BlackBox): Smoother {
    // The new box's own snapshot: its name, sizes and built-in spec (or none) replace the old box's, so a user
    // box never runs as the built-in it replaced.
    const box = snapshotBox(f);
    if (box.n !== this.plan.n) throw invalid('f.inputSize', box.n, `the new black box must take the same n = ${this.plan.n} inputs.`, `give it inputSize ${this.plan.n}`);
    const chunkSize = Math.max(1, Math.min(this.plan.chunkSize, Math.floor(MAX_CHUNK_ELEMENTS / (box.n + box.m))));
    return new Smoother(Object.freeze({ ...this.plan, f: f as BlackBox, name: box.name, m: box.m, spec: box.spec, chunkSize }), this.backend, this.seed);
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
    const problems = new ProblemCollector();
    const o = validateControl(options, 'forward options', problems, ['batch', 'seed', 'precision']);
    const { n, m, samples } = this.plan;
    const xs = problems.check(() => requireFiniteVector(flattenRows(x, n, 'x'), undefined, 'x', `B×${n}`));
    let batch = xs === undefined ? undefined : xs.length / n;
    if (xs !== undefined && !Number.isInteger(batch)) {
      problems.check(() => { throw invalid('x', x, `x has length ${xs.length}, not a multiple of the black box's input size n = ${n}.`, `pass B×${n} numbers row-major`); });
      batch = undefined;
    }
    if (o.batch !== undefined) {
      const given = problems.check(() => requirePositiveInteger(o.batch, 'forward options.batch'));
      if (given !== undefined && batch !== undefined && given !== batch) {
        problems.check(() => { throw invalid('forward options.batch', given, `batch = ${given} but x holds ${batch} rows of n = ${n}.`, `pass x of length ${given * n}, or omit batch`); });
      }
    }
    const seed = o.seed === undefined ? this.seed : problems.check(() => requireSeed(o.seed, 'forward options.seed'));
    if (batch !== undefined) {
      const rows = batch;
      problems.check(() => requireElements(rows * m, `the value (B×m = ${rows}×${m})`, 'x'));
      if (rows * samples > MAX_EVALUATIONS) {
        problems.check(() => { throw invalid('x', rows, `B·S = ${rows}×${samples} black-box evaluations is above the limit ${MAX_EVALUATIONS} (2^48, README "Limits").`, 'split the batch, or lower samples'); });
      }
    }
    const precision = o.precision !== undefined && batch !== undefined ? problems.check(() => validatePrecision(o.precision, this.plan, batch!)) : undefined;
    problems.throwIfAny();
    // xs is the checked copy of x: the backward passes regenerate the samples around it, so it must not change under us.
    const checkedX = xs!;
    const rows = batch!;
    if (precision !== undefined) {
      const r = yield* adaptiveForward(this.plan, this.backend, checkedX, rows, seed!, precision, control(o));
      return new Smoothed(this.plan, this.backend, r.rounds, rows, seed!, r.value, r.stderr, r.report);
    }
    const result = yield* this.backend.forward(this.plan, checkedX, rows, seed!, control(o));
    return new Smoothed(this.plan, this.backend, [{ state: { x: checkedX, batch: rows, seed: seed!, fx: result.fx, cache: result.cache } }], rows, seed!, result.value, result.stderr);
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
  vjp(v: Float32Array, options: WithStderrOption): Promise<VjpWithStderr>;
  vjp(v: Float32Array, options?: WithoutStderrOption): Promise<Float32Array>;
  vjp(v: Float32Array, options?: BackwardOptions): Promise<Float32Array | VjpWithStderr>;
  async vjp(v: Float32Array, options?: BackwardOptions): Promise<Float32Array | VjpWithStderr> {
    return runAsync(this.vjpTask(v, options));
  }
  /** vjp() on this thread (blocks the event loop; see Smoother.forwardSync). */
  vjpSync(v: Float32Array, options: WithStderrOption): VjpWithStderr;
  vjpSync(v: Float32Array, options?: WithoutStderrOption): Float32Array;
  vjpSync(v: Float32Array, options?: BackwardOptions): Float32Array | VjpWithStderr;
  vjpSync(v: Float32Array, options?: BackwardOptions): Float32Array | VjpWithStderr {
    return runSync(this.vjpTask(v, options), 'vjpSync');
  }

  /** The smoothed Jacobian, B×m×n row-major. Memory O(B·m·n); prefer vjp for training. */
  jacobian(options: WithStderrOption): Promise<JacobianWithStderr>;
  jacobian(options?: WithoutStderrOption): Promise<Float32Array>;
  jacobian(options?: BackwardOptions): Promise<Float32Array | JacobianWithStderr>;
  async jacobian(options?: BackwardOptions): Promise<Float32Array | JacobianWithStderr> {
    return runAsync(this.jacobianTask(options));
  }
  /** jacobian() on this thread (blocks the event loop). */
  jacobianSync(options: WithStderrOption): JacobianWithStderr;
  jacobianSync(options?: WithoutStderrOption): Float32Array;
  jacobianSync(options?: BackwardOptions): Float32Array | JacobianWithStderr;
  jacobianSync(options?: BackwardOptions): Float32Array | JacobianWithStderr {
    return runSync(this.jacobianTask(options), 'jacobianSync');
  }

  /** J·t (forward mode): t is B×n, the result B×m. */
  jvp(t: Float32Array, options: WithStderrOption): Promise<JvpWithStderr>;
  jvp(t: Float32Array, options?: WithoutStderrOption): Promise<Float32Array>;
  jvp(t: Float32Array, options?: BackwardOptions): Promise<Float32Array | JvpWithStderr>;
  async jvp(t: Float32Array, options?: BackwardOptions): Promise<Float32Array | JvpWithStderr> {
    return runAsync(this.jvpTask(t, options));
  }
  /** jvp() on this thread (blocks the event loop). */
  jvpSync(t: Float32Array, options: WithStderrOption): JvpWithStderr;
  jvpSync(t: Float32Array, options?: WithoutStderrOption): Float32Array;
  jvpSync(t: Float32Array, options?: BackwardOptions): Float32Array | JvpWithStderr;
  jvpSync(t: Float32Array, options?: BackwardOptions): Float32Array | JvpWithStderr {
    return runSync(this.jvpTask(t, options), 'jvpSync');
  }

  /**
   * Gradient of ⟨v, value⟩ with respect to the noise scale: B numbers for a scalar γ, B×n for a diagonal
   * scale, B×n×n for a matrix L.
   */
  scaleGradient(v: Float32Array, options: WithStderrOption): Promise<ScaleGradientWithStderr>;
  scaleGradient(v: Float32Array, options?: WithoutStderrOption): Promise<Float32Array>;
  scaleGradient(v: Float32Array, options?: BackwardOptions): Promise<Float32Array | ScaleGradientWithStderr>;
  async scaleGradient(v: Float32Array, options?: BackwardOptions): Promise<Float32Array | ScaleGradientWithStderr> {
    return runAsync(this.scaleGradientTask(v, options));
  }
  /** scaleGradient() on this thread (blocks the event loop). */
  scaleGradientSync(v: Float32Array, options: WithStderrOption): ScaleGradientWithStderr;
  scaleGradientSync(v: Float32Array, options?: WithoutStderrOption): Float32Array;
  scaleGradientSync(v: Float32Array, options?: BackwardOptions): Float32Array | ScaleGradientWithStderr;
  scaleGradientSync(v: Float32Array, options?: BackwardOptions): Float32Array | ScaleGradientWithStderr {
    return runSync(this.scaleGradientTask(v, options), 'scaleGradientSync');
  }

  private *vjpTask(v: Float32Array, options: BackwardOptions | undefined): Task<Float32Array | VjpWithStderr> {
    const problems = new ProblemCollector();
    const o = validateControl(options, 'vjp options', problems, ['stderr']);
    const wantStderr = problems.check(() => stderrOption(o, 'vjp options'));
    const { m, n } = this.plan;
    const vs = problems.check(() => requireFiniteVector(v, this.batch * m, 'v', `B×m = ${this.batch}×${m}`));
    problems.check(() => requireElements(this.batch * n, `the vjp (B×n = ${this.batch}×${n})`, 'v'));
    problems.throwIfAny();
    if (wantStderr) {
      const r = yield* combineRoundsWithStderr(this.rounds, this.batch, n, (round, se) => this.stderrImpl.vjp(this.plan, round.state, gatherRows(vs!, round, m), control(o), se));
      return { gradient: r.estimate, stderr: r.stderr };
    }
    return yield* combineRounds(this.rounds, this.batch, n, (r) => this.impl.vjp(this.plan, r.state, gatherRows(vs!, r, m), control(o)));
  }

  private *jacobianTask(options: BackwardOptions | undefined): Task<Float32Array | JacobianWithStderr> {
    const problems = new ProblemCollector();
    const o = validateControl(options, 'jacobian options', problems, ['stderr']);
    const wantStderr = problems.check(() => stderrOption(o, 'jacobian options'));
    const { m, n } = this.plan;
    problems.check(() => requireElements(this.batch * m * n, `the Jacobian (B×m×n = ${this.batch}×${m}×${n})`, 'jacobian'));
    problems.throwIfAny();
    if (wantStderr) {
      const r = yield* combineRoundsWithStderr(this.rounds, this.batch, m * n, (round, se) => this.stderrImpl.jacobian(this.plan, round.state, control(o), se));
      return { jacobian: r.estimate, stderr: r.stderr };
    }
    return yield* combineRounds(this.rounds, this.batch, m * n, (r) => this.impl.jacobian(this.plan, r.state, control(o)));
  }

  private *jvpTask(t: Float32Array, options: BackwardOptions | undefined): Task<Float32Array | JvpWithStderr> {
    const problems = new ProblemCollector();
    const o = validateControl(options, 'jvp options', problems, ['stderr']);
    const wantStderr = problems.check(() => stderrOption(o, 'jvp options'));
    const { m, n } = this.plan;
    const ts = problems.check(() => requireFiniteVector(t, this.batch * n, 't', `B×n = ${this.batch}×${n}`));
    problems.throwIfAny();
    if (wantStderr) {
      const r = yield* combineRoundsWithStderr(this.rounds, this.batch, m, (round, se) => this.stderrImpl.jvp(this.plan, round.state, gatherRows(ts!, round, n), control(o), se));
      return { jvp: r.estimate, stderr: r.stderr };
    }
    return yield* combineRounds(this.rounds, this.batch, m, (r) => this.impl.jvp(this.plan, r.state, gatherRows(ts!, r, n), control(o)));
  }

  private *scaleGradientTask(v: Float32Array, options: BackwardOptions | undefined): Task<Float32Array | ScaleGradientWithStderr> {
    const problems = new ProblemCollector();
    const o = validateControl(options, 'scaleGradient options', problems, ['stderr']);
    const wantStderr = problems.check(() => stderrOption(o, 'scaleGradient options'));
    const m = this.plan.m;
    const vs = problems.check(() => requireFiniteVector(v, this.batch * m, 'v', `B×m = ${this.batch}×${m}`));
    problems.check(() => requireElements(this.batch * this.scaleGradientSize, `the scale gradient (B×${this.scaleGradientSize})`, 'v'));
    problems.throwIfAny();
    if (wantStderr) {
      const r = yield* combineRoundsWithStderr(this.rounds, this.batch, this.scaleGradientSize, (round, se) => this.stderrImpl.scaleGradient(this.plan, round.state, gatherRows(vs!, round, m), control(o), se));
      return { scaleGradient: r.estimate, stderr: r.stderr };
    }
    return yield* combineRounds(this.rounds, this.batch, this.scaleGradientSize, (r) => this.impl.scaleGradient(this.plan, r.state, gatherRows(vs!, r, m), control(o)));
  }

  /**
   * The engine that computes an estimate with its standard error: this backend when it accumulates the second
   * moments, else the js reference engine on the same samples (same seed and uniforms, so the same estimate to
   * the parity tolerance; README "Standard errors of the gradients").
   */
  private get stderrImpl(): Backend {
    return this.impl.stderrSupport ? this.impl : jsBackend;
  }

  /** Size of one batch element's scale gradient (1, n or n×n). */
  get scaleGradientSize(): number {
    return scaleGradientSize(this.plan.scale);
  }
}
