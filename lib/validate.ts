/** Strict option checks shared by the public entry points. Each throws a SmoothingError before any work. */
import { invalid, SmoothingError } from './errors.js';

export function requirePositiveInteger(value: unknown, argument: string, fix = 'pass a positive integer number'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(argument, value, `${argument} must be a positive integer number.`, fix);
  }
  return value;
}

export function requireSeed(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(argument, value, `${argument} must be a non-negative safe integer.`, 'pass an integer between 0 and Number.MAX_SAFE_INTEGER, e.g. the training step');
  }
  return value;
}

export function requireBoolean(value: unknown, argument: string): boolean {
  if (typeof value !== 'boolean') throw invalid(argument, value, `${argument} must be true or false.`, 'pass a boolean');
  return value;
}

export function requireOneOf<T extends string>(value: unknown, names: readonly T[], argument: string): T {
  if (typeof value === 'string' && (names as readonly string[]).includes(value)) return value as T;
  const near = typeof value === 'string' ? names.find((n) => n.toLowerCase() === value.toLowerCase()) : undefined;
  throw invalid(
    argument,
    value,
    `${argument} must be one of ${names.map((n) => `'${n}'`).join(', ')}.`,
    near ? `did you mean '${near}'? names are case-sensitive` : `use one of ${names.join(', ')}`,
  );
}

/**
 * A numeric vector of an exact length, finite everywhere. Float32Array, Float64Array and plain arrays are
 * accepted; the result is always a fresh Float32Array, so a caller mutating its array during an async call
 * cannot change the computation.
 */
export function requireFiniteVector(value: unknown, length: number | undefined, argument: string, shape: string): Float32Array {
  let arr: Float32Array;
  if (value instanceof Float32Array) arr = Float32Array.from(value);
  else if (value instanceof Float64Array || (Array.isArray(value) && value.every((v) => typeof v === 'number'))) {
    arr = Float32Array.from(value as ArrayLike<number>);
  } else {
    throw invalid(argument, value, `${argument} must be a Float32Array (${shape}).`, 'pass a Float32Array, e.g. new Float32Array([...])');
  }
  if (length !== undefined && arr.length !== length) {
    throw invalid(argument, value, `${argument} has length ${arr.length} but ${shape} needs ${length}.`, `pass exactly ${length} numbers (${shape}, row-major)`);
  }
  if (arr.length === 0) throw invalid(argument, value, `${argument} is empty.`, `pass ${shape} numbers`);
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i])) {
      throw invalid(argument, value, `${argument}[${i}] is ${arr[i]}; every entry must be finite (after rounding to float32).`, 'remove NaN and Infinity from the input (float32 overflows above 3.4e38)');
    }
  }
  return arr;
}

export function requireObject(value: unknown, argument: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(argument, value, `${argument} must be an options object.`, 'pass an object literal, e.g. { samples: 1024, ... }');
  }
  return value as Record<string, unknown>;
}

/** Reject keys we do not know: a misspelt option silently ignored is a bug the user never finds. */
export function rejectUnknownKeys(obj: Record<string, unknown>, known: readonly string[], argument: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw invalid(`${argument}.${key}`, obj[key], `unknown option '${key}'.`, `the options are: ${known.join(', ')}`);
    }
  }
}

export function abortError(reason?: unknown): SmoothingError {
  return new SmoothingError('ERR_ABORTED', 'the operation was aborted by its AbortSignal; nothing was returned.', { cause: reason });
}
