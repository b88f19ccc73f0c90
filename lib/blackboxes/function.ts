/**
 * blackboxes.fromFunction: a black box from a plain per-row function, so that a user need not write the
 * row-batched BlackBox interface by hand.
 *
 *   const box = blackboxes.fromFunction((x) => Math.abs(x[0]) + Math.abs(x[1]), { inputSize: 2, outputSize: 1 });
 *
 * `fn(row)` receives one perturbed input row as a Float32Array VIEW of n numbers (valid during the call only:
 * copy it to keep it) and returns a number (outputSize 1) or an array-like of outputSize numbers, or a Promise
 * of either. The box calls fn once per row of every chunk; when any row returns a Promise it awaits them all
 * (the rows of one chunk then run concurrently) and the box is asynchronous for that call. A wrong size or a
 * non-finite value is an ERR_BLACKBOX that names the row and its input.
 */
import { describe, SmoothingError } from '../errors.js';
import type { BlackBox, LinearMaximizer } from '../types.js';
import { checkEvaluate, requireSize } from './checks.js';
import { invalid } from '../errors.js';
import { rejectUnknownKeys, requireObject } from '../validate.js';

export type RowResult = number | ArrayLike<number>;
export type RowFunction = (row: Float32Array) => RowResult | Promise<RowResult>;

export interface FromFunctionOptions {
  /** n, the length of one input row. */
  inputSize: number;
  /** m, the number of outputs of one row (1: fn may return a plain number). */
  outputSize: number;
  /** Shown in messages and results. Default: `fn.name`, else 'function'. */
  name?: string;
  /**
   * Declares that fn's output y maximises a linear objective ⟨φ(y), θ⟩ of its input θ over a finite set
   * (for fenchelYoungLoss / perturbedMax): see `maximizers` in lib/fenchel-young.ts.
   */
  maximizer?: LinearMaximizer;
}

const OPTION_KEYS = ['inputSize', 'outputSize', 'name', 'maximizer'] as const;

export function fromFunction(fn: RowFunction, options: FromFunctionOptions): BlackBox {
  const call = 'blackboxes.fromFunction(fn, options)';
  if (typeof fn !== 'function') throw invalid('fn', fn, `${call}: fn must be a function (row: Float32Array) => number | number[].`, 'pass for example (x) => x[0] * x[1]');
  const o = requireObject(options, 'options');
  rejectUnknownKeys(o, OPTION_KEYS, 'options');
  const n = requireSize(o.inputSize, 'options.inputSize', call);
  const m = requireSize(o.outputSize, 'options.outputSize', call);
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) {
    throw invalid('options.name', o.name, `${call}: options.name must be a non-empty string.`, "pass a name such as 'my-box', or omit it");
  }
  if (o.maximizer !== undefined && (typeof o.maximizer !== 'object' || o.maximizer === null || typeof (o.maximizer as LinearMaximizer).statistic !== 'function')) {
    throw invalid('options.maximizer', o.maximizer, `${call}: options.maximizer must be an object { statistic(output, out) }.`, 'pass maximizers.innerProduct (y maximises ⟨y, θ⟩), or omit it');
  }
  const name = (o.name as string | undefined) ?? (fn.name || 'function');

  // Writes row r's result into outputs, or throws ERR_BLACKBOX naming the row.
  const store = (result: unknown, r: number, inputs: Float32Array, outputs: Float32Array): void => {
    const row = inputs.subarray(r * n, (r + 1) * n);
    const fail = (problem: string): never => {
      throw new SmoothingError('ERR_BLACKBOX', `black box '${name}': fn returned ${problem} for row ${r} of this call (input ${describe(row)}).`, {
        fix: `return ${m === 1 ? 'a finite number' : `an array of exactly ${m} finite numbers`} for every input row (noise can make inputs large)`,
      });
    };
    if (typeof result === 'number') {
      if (m !== 1) fail(`a single number, but outputSize is ${m}`);
      if (!Number.isFinite(result)) fail(`${result}`);
      outputs[r] = result;
      return;
    }
    if (result === null || typeof result !== 'object' || typeof (result as ArrayLike<number>).length !== 'number') {
      fail(`${describe(result)}, not a number or an array of numbers`);
    }
    const values = result as ArrayLike<number>;
    if (values.length !== m) fail(`${values.length} values, but outputSize is ${m}`);
    for (let j = 0; j < m; j++) {
      const v = values[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${describe(v)} at output ${j}`);
      outputs[r * m + j] = v;
    }
  };

  const box: BlackBox = {
    name,
    inputSize: n,
    outputSize: m,
    // Synchronous while every row returns a value (so forwardSync and the tfjs ops work); a Promise otherwise.
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void | Promise<void> {
      checkEvaluate(name, n, m, inputs, count, outputs);
      let pending: Array<Promise<void>> | undefined;
      for (let r = 0; r < count; r++) {
        const result = fn(inputs.subarray(r * n, (r + 1) * n));
        if (result !== null && typeof result === 'object' && typeof (result as Promise<RowResult>).then === 'function') {
          // The view may be reused by the caller after we return: settle against the same row index only.
          (pending ??= []).push((result as Promise<RowResult>).then((value) => store(value, r, inputs, outputs)));
        } else {
          store(result, r, inputs, outputs);
        }
      }
      if (pending) return Promise.all(pending).then(() => undefined);
    },
  };
  if (o.maximizer !== undefined) return { ...box, maximizer: o.maximizer as LinearMaximizer };
  return box;
}
