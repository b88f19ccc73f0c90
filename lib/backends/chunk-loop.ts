/**
 * The one chunk loop for user (JS) black boxes, shared by the js backend (noise in JS,
 * lib/backends/js/stream.ts) and the native backends (noise and sums in the addon,
 * lib/backends/native/backend.ts): for each batch element, in chunks of at most plan.chunkSize rows, fill the
 * inputs, evaluate the box through evaluateChecked, hand the outputs on, report progress, give the event loop a
 * turn every YIELD_EVERY_MS and stop on abort. Only the rows of one chunk are held, whatever the sample count.
 */
import { SmoothingError } from '../errors.js';
import type { OutputCache } from '../output-cache.js';
import type { Plan, RunControl } from '../plan.js';
import { TURN, type Task } from '../task.js';
import type { BlackBox } from '../types.js';
import { abortError, typedArrayLength } from '../validate.js';

/** Give the event loop a turn this often, so AbortSignals fire and timers run during long calls. */
export const YIELD_EVERY_MS = 15;

/** The rows of one chunk: plan.chunkSize, or fewer when the call has fewer samples. */
export function chunkRows(plan: Plan): number {
  return Math.min(plan.chunkSize, plan.samples);
}

/** What a backend does around the box, chunk by chunk. */
export interface ChunkHooks {
  /** Called once per batch element before its first chunk. */
  begin?(b: number): void;
  /** Write the count×n inputs of samples start … start + count − 1 of batch element b. */
  fill(b: number, start: number, count: number, inputs: Float32Array): void;
  /** The box's count×m outputs for the rows just filled (checked finite). */
  take(b: number, count: number, outputs: Float32Array): void;
  /** Called once per batch element after its last chunk. */
  end?(b: number): void;
}

export function checkAbort(control: RunControl): void {
  if (control.signal?.aborted) throw abortError(control.signal.reason);
}

/**
 * The output cache of a call (lib/output-cache.ts): a forward pass fills it (`fill`), a backward pass reads its
 * outputs instead of calling the box. The chunks, their order and the outputs handed to `take` are the same
 * either way, so the results are bit-identical with and without it.
 */
export interface CacheUse {
  readonly cache: OutputCache;
  readonly fill: boolean;
}

/** The cache use of a forward pass (fill) or a backward pass (read), or none. */
export function cacheUse(cache: OutputCache | undefined, fill: boolean): CacheUse | undefined {
  return cache === undefined ? undefined : { cache, fill };
}

/** Run every sample of every batch element through the box in chunks (see the file comment). */
export function* runChunks(plan: Plan, batch: number, phase: string, control: RunControl, hooks: ChunkHooks, cache?: CacheUse): Task<void> {
  const { n, m, samples: S } = plan;
  const chunk = chunkRows(plan);
  // Fresh buffers per call: a box that detached them in an earlier call (refused there) cannot affect this one.
  const inputs = new Float32Array(chunk * n);
  const outputs = new Float32Array(chunk * m);
  const batchIndex = new Uint32Array(chunk);
  const report = progressReporter(control, phase, batch * S);
  let done = 0;
  let lastYield = Date.now();

  checkAbort(control);
  for (let b = 0; b < batch; b++) {
    hooks.begin?.(b);
    for (let start = 0; start < S; start += chunk) {
      const count = Math.min(chunk, S - start);
      hooks.fill(b, start, count, inputs);
      if (cache !== undefined && !cache.fill) {
        cache.cache.load(b, start, count, outputs);
      } else {
        batchIndex.fill(b);
        yield* evaluateChecked(plan, inputs, count, outputs, batchIndex);
        cache?.cache.store(b, start, count, outputs);
      }
      hooks.take(b, count, outputs);
      done += count;
      report?.(done);
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        yield TURN;
        lastYield = Date.now();
      }
      checkAbort(control);
    }
    hooks.end?.(b);
  }
}

/**
 * The progress callback of a call, made safe: what onProgress throws becomes ERR_CALLBACK with the thrown value
 * as `cause` (thrown from here; the native async path records it instead, see lib/backends/native/backend.ts).
 */
export function progressReporter(control: RunControl, phase: string, total: number): ((done: number) => void) | undefined {
  const onProgress = control.onProgress;
  if (onProgress === undefined) return undefined;
  return (done: number) => {
    try {
      onProgress({ phase, done, total });
    } catch (err) {
      throw callbackError(err, phase);
    }
  };
}

export function callbackError(err: unknown, phase: string): SmoothingError {
  if (err instanceof SmoothingError && err.code === 'ERR_CALLBACK') return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SmoothingError('ERR_CALLBACK', `the onProgress callback of ${phase}() threw: ${message}; the call was stopped.`, {
    argument: `${phase} options.onProgress`,
    fix: 'make onProgress not throw (report errors from it some other way)',
    cause: err,
  });
}

/** The sizes and identity of the box being evaluated, as smooth() read them once (a Plan is one). */
export interface BoxSizes {
  readonly f: BlackBox;
  readonly name: string;
  readonly n: number;
  readonly m: number;
}

/**
 * Evaluate a black box on `count` rows, turning anything it throws into ERR_BLACKBOX, and refusing
 * outputs it did not write or wrote as NaN/Infinity (the outputs are pre-filled with NaN so that a
 * black box writing too few values is caught). The sizes are the plan's (read once by smooth()), never the
 * box's public fields again. A box that detaches one of the buffers it is given (structuredClone with
 * `transfer`) is ERR_INVALID_ARGUMENT: the buffers belong to this call, which stops.
 */
export function* evaluateChecked(box: BoxSizes, inputs: Float32Array, count: number, outputs: Float32Array, batchIndex?: Uint32Array): Task<void> {
  const { f, name, n, m } = box;
  const view = outputs.length === count * m ? outputs : outputs.subarray(0, count * m);
  const inView = inputs.length === count * n ? inputs : inputs.subarray(0, count * n);
  const indexView = batchIndex?.subarray(0, count);
  view.fill(Number.NaN);
  try {
    const ret = f.evaluate(inView, count, view, indexView);
    if (ret !== undefined && ret !== null && typeof (ret as Promise<void>).then === 'function') {
      const promise = Promise.resolve(ret as Promise<void>);
      // Marked handled here: a synchronous run refuses before awaiting it, and must not leave a stray rejection.
      promise.then(undefined, () => undefined);
      yield { async: () => promise, why: `black box '${name}' is asynchronous (its evaluate returned a Promise)` };
    }
  } catch (err) {
    if (err instanceof SmoothingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new SmoothingError('ERR_BLACKBOX', `black box '${name}' threw while evaluating ${count} inputs: ${message}`, {
      fix: 'fix the black box; it must accept any finite float32 input (noise can be huge for cauchy)',
      cause: err,
    });
  }
  requireAttached(name, 'inputs', inView, count * n);
  requireAttached(name, 'outputs', view, count * m);
  if (indexView !== undefined) requireAttached(name, 'batchIndex', indexView, count);
  for (let k = 0; k < count * m; k++) {
    if (!Number.isFinite(view[k])) {
      const row = Math.floor(k / m);
      throw new SmoothingError(
        'ERR_BLACKBOX',
        `black box '${name}' left output ${k % m} of row ${row} as ${view[k]}: it must write exactly count×outputSize = ${count}×${m} finite numbers.`,
        { fix: 'write every entry of outputs (row-major count×outputSize) with a finite value; check outputSize' },
      );
    }
  }
}

function requireAttached(name: string, which: string, view: ArrayBufferView, length: number): void {
  if (typedArrayLength(view) !== length) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `black box '${name}' detached (transferred) or shrank the ${which} buffer it was given; the call cannot read it any more.`, {
      argument: `f.evaluate ${which}`,
      value: `length ${typedArrayLength(view)}, expected ${length}`,
      fix: `copy ${which} (e.g. ${which}.slice()) before transferring it; the library owns that buffer during the call`,
    });
  }
}
