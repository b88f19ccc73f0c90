/** Strict option checks shared by the public entry points. Each throws a SmoothingError before any work. */
import { invalid, SmoothingError } from './errors.js';
import { MAX_MEDIAN_OF } from './median.js';

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

/** The intrinsic accessors of typed arrays: a user can shadow `length` or `[Symbol.iterator]`, not these. */
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)!.get!;
const typedArrayLengthGetter = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')!.get!;

/** A typed array's true length (0 once its buffer is detached), whatever its own `length` property says. */
export function typedArrayLength(view: ArrayBufferView): number {
  return typedArrayLengthGetter.call(view) as number;
}

/** 'Float32Array', 'Uint8Array', … for a real typed array (whatever its prototype chain says), else undefined. */
export function typedArrayKind(value: unknown): string | undefined {
  return typedArrayTag.call(value) as string | undefined;
}

/**
 * Copy a real Float32Array or Float64Array into a fresh array of `Target` through its internal slots (never its
 * `length`, iterator or indexers, which a caller may have redefined). A detached buffer (transferred with
 * structuredClone) or a view out of bounds of a shrunk resizable buffer is ERR_INVALID_ARGUMENT; anything else
 * gives undefined.
 */
function copyFloats<T>(value: unknown, argument: string, Target: new (source: Float32Array) => T): T | undefined {
  const kind = typedArrayKind(value);
  if (kind !== 'Float32Array' && kind !== 'Float64Array') return undefined;
  try {
    return new Target(value as Float32Array);
  } catch {
    throw invalid(argument, kind, `${argument} is a ${kind} whose ArrayBuffer is detached (transferred, e.g. by structuredClone or postMessage) or too small after a resize.`, `pass a live ${kind}; copy it before transferring its buffer`);
  }
}

/** A fresh Float32Array copy of a Float32Array or Float64Array (see copyFloats). */
export function copyFloatArray(value: unknown, argument: string): Float32Array | undefined {
  return copyFloats(value, argument, Float32Array);
}

/** A fresh Float64Array copy (the scale's σ and L are kept in double). */
export function copyFloat64Array(value: unknown, argument: string): Float64Array | undefined {
  return copyFloats(value, argument, Float64Array);
}

/**
 * A numeric vector of an exact length, finite everywhere. Float32Array, Float64Array and plain arrays are
 * accepted; the result is always a fresh Float32Array, so a caller mutating its array during an async call
 * cannot change the computation. Typed arrays are read through their internal slots (a redefined `length`
 * or iterator is ignored); each entry of a plain array is read once.
 */
export function requireFiniteVector(value: unknown, length: number | undefined, argument: string, shape: string): Float32Array {
  let arr = copyFloatArray(value, argument);
  if (arr === undefined && Array.isArray(value)) {
    const len = value.length;
    const copy = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'number') {
        throw invalid(argument, value, `${argument} must be a Float32Array (${shape}); entry ${i} is ${typeof v}, not a number.`, 'pass a Float32Array, e.g. new Float32Array([...])');
      }
      copy[i] = v;
    }
    arr = copy;
  }
  if (arr === undefined) {
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

/**
 * Snapshot of an options object: each own enumerable string-keyed property read exactly once (a getter is
 * called once, here, and never again), nothing inherited through the prototype chain. The result is a frozen
 * object without a prototype, so later reads cannot reach Object.prototype either.
 */
export function snapshotOptions(value: unknown, argument: string): Readonly<Record<string, unknown>> {
  const o = requireObject(value, argument);
  const snap: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(o)) snap[key] = o[key];
  return Object.freeze(snap);
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

/** options.medianOf: an odd integer k with 1 ≤ k ≤ MAX_MEDIAN_OF (the median of k draws; README "Median-of-k noise"). */
export function requireMedianOf(value: unknown, argument: string): number {
  const fix = `pass an odd whole number from 1 to ${MAX_MEDIAN_OF}, e.g. medianOf: 3 (1 = plain noise)`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalid(argument, value, `${argument} must be an odd integer number (the median of k draws), got ${typeof value === 'number' ? value : typeof value}.`, fix);
  }
  if (value < 1 || value > MAX_MEDIAN_OF) {
    throw invalid(argument, value, `${argument} = ${value} is outside 1..${MAX_MEDIAN_OF}.`, fix);
  }
  if (value % 2 === 0) {
    throw invalid(argument, value, `${argument} = ${value} is even: the median of an even number of draws is not one of the draws (k = 2r + 1).`, `pass ${value - 1} or ${value + 1}`);
  }
  return value;
}
