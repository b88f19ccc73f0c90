/** Argument checks shared by the built-in black boxes (factories and evaluate calls). */
import { invalid } from '../errors.js';

/**
 * Largest input or output size of a built-in black box: the native backends index rows with 32-bit signed
 * integers, so every size (and n·n for permutation, rows·cols for shortestPath) must fit in one.
 */
export const MAX_BLACKBOX_SIZE = 0x7fffffff;

/**
 * A positive safe integer number (not a numeric string, not a float, not NaN), at most `max`.
 * `call` is the factory call the argument belongs to, used in the message, e.g. "blackboxes.topk(n, k)".
 */
export function requireSize(value: unknown, argument: string, call: string, max = MAX_BLACKBOX_SIZE): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    const hint =
      typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? `pass the number ${Number(value)}, not the string ${JSON.stringify(value)}`
        : typeof value === 'number' && Number.isFinite(value) && value >= 1
          ? `pass a whole number, e.g. ${Math.floor(value)}`
          : `pass a positive integer number, e.g. 5`;
    throw invalid(argument, value, `${call}: ${argument} must be a positive integer number.`, hint);
  }
  if (value > max) {
    throw invalid(argument, value, `${call}: ${argument} is too large (at most ${max}).`, `pass ${argument} ≤ ${max}`);
  }
  return value;
}

/**
 * Checks an evaluate() call: `count` a non-negative safe integer, `inputs` a Float32Array holding at least
 * count·n values and `outputs` a Float32Array with room for count·m. Cheap (no per-row work).
 */
export function checkEvaluate(
  name: string,
  inputSize: number,
  outputSize: number,
  inputs: unknown,
  count: unknown,
  outputs: unknown,
): void {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw invalid('count', count, `${name}.evaluate: count must be a non-negative integer number of rows.`, 'pass the number of input rows');
  }
  if (!(inputs instanceof Float32Array)) {
    throw invalid('inputs', inputs, `${name}.evaluate: inputs must be a Float32Array.`, 'pass a Float32Array of count×n values (row-major)');
  }
  if (!(outputs instanceof Float32Array)) {
    throw invalid('outputs', outputs, `${name}.evaluate: outputs must be a Float32Array.`, 'pass a Float32Array of count×m values (row-major)');
  }
  if (inputs.length < count * inputSize) {
    throw invalid(
      'inputs',
      inputs,
      `${name}.evaluate: inputs holds ${inputs.length} values, fewer than count×n = ${count}×${inputSize}.`,
      `pass at least ${count * inputSize} values, or a smaller count`,
    );
  }
  if (outputs.length < count * outputSize) {
    throw invalid(
      'outputs',
      outputs,
      `${name}.evaluate: outputs has room for ${outputs.length} values, fewer than count×m = ${count}×${outputSize}.`,
      `allocate at least ${count * outputSize} values, or pass a smaller count`,
    );
  }
}
