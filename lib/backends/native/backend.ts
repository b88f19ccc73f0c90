/**
 * The native backends (cpu, and cuda through an addon with the same interface): the addon runs noise,
 * built-in black boxes and sums (fused, off the event loop); user JS black boxes get native noise and sums
 * with evaluation in JS, chunk by chunk. The once-per-input transforms (L⁻¹, the scale-gradient finish)
 * are the shared ones in lib/scale.ts.
 */
import { SmoothingError } from '../../errors.js';
import { cacheUse, callbackError, chunkRows, evaluateChecked, progressReporter, runChunks, type CacheUse } from '../chunk-loop.js';
import { createOutputCache } from '../../output-cache.js';
import { THREADS_ENV } from '../../limits.js';
import type { Backend, ForwardState, Plan, RunControl } from '../../plan.js';
import { sobolDirections } from '../../random/sobol.js';
import { applyInverseLeft, applyInverseRight, finishScaleGradient, scaleGradientSize } from '../../scale.js';
import { wait, type Task } from '../../task.js';
import { abortError } from '../../validate.js';
import { NATIVE_ENUMS, type NativeAddon, type NativeJob, type NativePlan, type NativeResult, type NativeUserStream } from './addon.js';

/**
 * The position of `name` in a native enum: NATIVE_ENUMS is the one list of each, and loadAddon refused any addon
 * whose exported tables differ from it, so these positions mean the same names on both sides.
 */
function position(table: keyof typeof NATIVE_ENUMS, name: string): number {
  const k = (NATIVE_ENUMS[table] as readonly string[]).indexOf(name);
  if (k < 0) throw new SmoothingError('ERR_INTERNAL', `the native ${table} have no entry '${name}'.`, { fix: 'report this as a bug' });
  return k;
}

/** Threads for the cpu backend: smooth({ threads }) > STOCHASTIC_SMOOTHING_THREADS > all cores (resolved by smooth()). */
export { THREADS_ENV };

const planCache = new WeakMap<Plan, NativePlan>();

function cartesianK(samples: number, n: number): number {
  let k = Math.max(2, Math.round(Math.pow(samples, 1 / n)));
  while (k ** n > samples) k--;
  while ((k + 1) ** n <= samples) k++;
  return k;
}

export function nativePlan(plan: Plan): NativePlan {
  const cached = planCache.get(plan);
  if (cached) return cached;
  // A built-in box's spec is the one smooth() took from the factory's registry (immutable), never its public fields.
  const spec = plan.spec;
  const sobol = plan.sampler === 'sobol' || plan.sampler === 'rqmc-sobol';
  const native: NativePlan = {
    n: plan.n,
    m: plan.m,
    builtin: spec !== undefined,
    box: spec && {
      kind: position('boxes', spec.kind),
      n: plan.n,
      k: spec.kind === 'topk' ? spec.k : 0,
      rows: spec.kind === 'shortestPath' ? spec.rows : 0,
      cols: spec.kind === 'shortestPath' ? spec.cols : 0,
    },
    dist: position('distributions', plan.distribution.name),
    covariate: position('covariates', plan.covariate),
    sampler: {
      kind: position('samplers', plan.sampler),
      samples: plan.samples,
      antithetic: plan.antithetic,
      cartesianK: plan.sampler === 'rqmc-cartesian' ? cartesianK(plan.samples, plan.n) : 0,
      sobolV: sobol ? sobolDirections(plan.n) : undefined,
    },
    scale: { kind: position('scales', plan.scale.kind), sigma: plan.scale.sigma, matrix: plan.scale.matrix },
    medianOf: plan.medianOf,
  };
  planCache.set(plan, native);
  return native;
}

function threads(plan: Plan): number {
  return plan.threads;
}

/**
 * An error thrown by the addon as a SmoothingError: the addon's own code when it gives one (ERR_INVALID_ARGUMENT
 * from its size checks, ERR_CUDA), else ERR_INTERNAL naming the backend. SmoothingErrors pass unchanged.
 */
function nativeError(name: string, err: unknown): unknown {
  if (err instanceof SmoothingError) return err;
  const raw = err !== null && typeof err === 'object' ? (err as { code?: unknown; message?: unknown; argument?: unknown }) : {};
  const code = raw.code === 'ERR_CUDA' || raw.code === 'ERR_INVALID_ARGUMENT' ? raw.code : 'ERR_INTERNAL';
  const message = typeof raw.message === 'string' ? raw.message : String(err);
  // The addon's checks name the field at fault (e.g. 'job.batch'): kept, prefixed with the backend.
  const argument = typeof raw.argument === 'string' ? `${name} addon ${raw.argument}` : undefined;
  return new SmoothingError(code, `the ${name} backend failed: ${message}`, { cause: err, argument });
}

/**
 * Run one fused job. Asynchronously: off the event loop, AbortSignal → native abort, native progress →
 * onProgress. Synchronously (runSync): the addon's runSync on this thread, one progress report at the end.
 */
function* runFused(name: string, addon: NativeAddon, plan: Plan, job: NativeJob, phase: string, control: RunControl): Task<NativeResult> {
  if (control.signal?.aborted) throw abortError(control.signal.reason);
  const total = job.batch * plan.samples;
  const onProgress = control.onProgress;
  // The addon calls progress from its worker's completion queue, where a throw would be swallowed: record it,
  // abort the job, and reject with it once the job has stopped.
  let failure: { err: unknown } | undefined;
  let handle: { abort(): void } | undefined;
  const progress =
    onProgress &&
    ((done: number) => {
      if (failure !== undefined) return;
      try {
        onProgress({ phase, done, total });
      } catch (err) {
        failure = { err };
        handle?.abort();
      }
    });
  try {
    return yield* wait<NativeResult>({
      async: async () => {
        const running = addon.run(nativePlan(plan), job, progress);
        handle = running;
        const onAbort = () => running.abort();
        control.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const result = await running.promise;
          if (failure !== undefined) throw callbackError(failure.err, phase);
          return result;
        } catch (err) {
          if (failure !== undefined) throw callbackError(failure.err, phase);
          throw err;
        } finally {
          control.signal?.removeEventListener('abort', onAbort);
        }
      },
      sync: () => {
        const result = addon.runSync(nativePlan(plan), job);
        progressReporter(control, phase, total)?.(total);
        return result;
      },
    });
  } catch (err) {
    if (err instanceof SmoothingError) throw err;
    if ((err as { aborted?: boolean } | null)?.aborted) throw abortError(control.signal?.reason);
    throw nativeError(name, err);
  }
}

/** A user black box: native noise and sums, evaluation in JS between them, through the shared chunk loop. */
function* runUser(name: string, addon: NativeAddon, plan: Plan, job: NativeJob, phase: string, control: RunControl, cache?: CacheUse): Task<NativeResult> {
  let stream: NativeUserStream;
  try {
    stream = new addon.UserStream(nativePlan(plan), job, chunkRows(plan));
  } catch (err) {
    throw nativeError(name, err);
  }
  // The stream holds native (on cuda: device) buffers: freed by finish(), or by close() on any early exit.
  try {
    yield* runChunks(plan, job.batch, phase, control, {
      fill(b, start, count, inputs) {
        try {
          stream.noise(b, start, count, inputs);
        } catch (err) {
          throw nativeError(name, err);
        }
      },
      take(_b, _count, outputs) {
        try {
          stream.accumulate(outputs);
        } catch (err) {
          throw nativeError(name, err);
        }
      },
    }, cache);
    try {
      return stream.finish();
    } catch (err) {
      throw nativeError(name, err);
    }
  } finally {
    stream.close();
  }
}

/**
 * The output cache (lib/output-cache.ts): a user box's outputs are kept and read by the JS chunk loop on every
 * native backend; a built-in box's by the engine itself, cpu and cuda alike (the job carries the buffer: the cuda
 * engine copies it to the device before a backward job and back after the forward).
 */
function runJob(name: string, addon: NativeAddon, plan: Plan, job: NativeJob, phase: string, control: RunControl, cache?: CacheUse): Task<NativeResult> {
  if (nativePlan(plan).builtin) {
    const withCache = cache !== undefined ? { ...job, cache: cache.cache.buffer, cacheFill: cache.fill } : job;
    return runFused(name, addon, plan, withCache, phase, control);
  }
  return runUser(name, addon, plan, job, phase, control, cache);
}

function baseJob(plan: Plan, state: ForwardState, op: number, stderr?: Float32Array): NativeJob {
  const job: NativeJob = { op, batch: state.batch, seed: state.seed, x: state.x, fx: state.fx, threads: threads(plan) };
  if (stderr) {
    // The engine maps each sample's statistic through the estimate's final map (L⁻¹ for a matrix scale).
    job.stderr = stderr;
    if (plan.scale.kind === 'matrix') job.inverse = plan.scale.inverse;
  }
  return job;
}

/**
 * A Backend over a native addon (native/addon.cc's interface); `name` is 'cpu' or 'cuda'. Both engines accumulate
 * the second moments of the backward passes themselves when the job carries a `stderr` buffer (stderrSupport).
 */
export function nativeBackend(name: 'cpu' | 'cuda', addon: NativeAddon): Backend {
  const run = (plan: Plan, job: NativeJob, phase: string, control: RunControl, state?: ForwardState) =>
    runJob(name, addon, plan, job, phase, control, cacheUse(state?.cache, false));
  return {
    name,
    stderrSupport: true,

    *forward(plan, x, batch, seed, control) {
      let fx: Float64Array | undefined;
      if (plan.covariate === 'fx' && !nativePlan(plan).builtin) {
        // User boxes: f(x) once here, reused by every backward pass (built-ins compute it natively).
        const out = new Float32Array(batch * plan.m);
        yield* evaluateChecked(plan, Float32Array.from(x), batch, out, Uint32Array.from({ length: batch }, (_, b) => b));
        fx = Float64Array.from(out);
      }
      const cache = createOutputCache(plan, batch);
      const job: NativeJob = { op: position('ops', 'forward'), batch, seed, x, threads: threads(plan) };
      const r = yield* runJob(name, addon, plan, job, 'forward', control, cacheUse(cache, true));
      return { value: r.value!, stderr: r.stderr!, fx, cache };
    },

    *vjp(plan, state, v, control, stderr) {
      const r = yield* run(plan, { ...baseJob(plan, state, position('ops', 'vjp'), stderr), v }, 'vjp', control, state);
      const out = new Float64Array(state.batch * plan.n);
      for (let b = 0; b < state.batch; b++) applyInverseRight(plan.scale, r.mean!, b * plan.n, out, b * plan.n);
      return Float32Array.from(out);
    },

    *jacobian(plan, state, control, stderr) {
      const r = yield* run(plan, baseJob(plan, state, position('ops', 'jacobian'), stderr), 'jacobian', control, state);
      const out = new Float64Array(state.batch * plan.m * plan.n);
      for (let row = 0; row < state.batch * plan.m; row++) applyInverseRight(plan.scale, r.mean!, row * plan.n, out, row * plan.n);
      return Float32Array.from(out);
    },

    *jvp(plan, state, t, control, stderr) {
      const dir = new Float64Array(state.batch * plan.n);
      const tmp = new Float64Array(plan.n);
      for (let b = 0; b < state.batch; b++) {
        applyInverseLeft(plan.scale, t, b * plan.n, tmp);
        dir.set(tmp, b * plan.n);
      }
      const r = yield* run(plan, { ...baseJob(plan, state, position('ops', 'jvp'), stderr), dir }, 'jvp', control, state);
      return Float32Array.from(r.mean!);
    },

    *scaleGradient(plan, state, v, control, stderr) {
      const r = yield* run(plan, { ...baseJob(plan, state, position('ops', 'scaleGradient'), stderr), v }, 'scaleGradient', control, state);
      const size = scaleGradientSize(plan.scale);
      const q = r.mean!.length / state.batch;
      const out = new Float32Array(state.batch * size);
      for (let b = 0; b < state.batch; b++) finishScaleGradient(plan.scale, r.mean!.subarray(b * q, (b + 1) * q), out, b * size);
      return out;
    },
  };
}
