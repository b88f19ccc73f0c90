/**
 * The one error type of the library. Every invalid call throws (or rejects with) a SmoothingError
 * whose `code` is stable and whose message names the argument, the value that was given and the fix.
 */
export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_UNSUPPORTED'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_ABORTED'
  | 'ERR_BLACKBOX'
  | 'ERR_CUDA'
  | 'ERR_INTERNAL';

export interface SmoothingErrorDetails {
  /** The option or argument at fault, for example `options.samples`. */
  argument?: string;
  /** The offending value (summarised for large arrays). */
  value?: unknown;
  /** What to do instead. */
  fix?: string;
  cause?: unknown;
}

export class SmoothingError extends Error {
  readonly code: ErrorCode;
  readonly argument?: string;
  readonly value?: unknown;
  readonly fix?: string;

  constructor(code: ErrorCode, message: string, details: SmoothingErrorDetails = {}) {
    const parts = [message];
    if (details.argument !== undefined) parts.push(`(argument: ${details.argument}, value: ${describe(details.value)})`);
    if (details.fix !== undefined) parts.push(`Fix: ${details.fix}`);
    super(parts.join(' '), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SmoothingError';
    this.code = code;
    this.argument = details.argument;
    this.value = details.value;
    this.fix = details.fix;
  }
}

/** A short, printable rendering of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    const head = Array.from({ length: Math.min(arr.length, 4) }, (_, i) => arr[i]).join(', ');
    return `${value.constructor.name}(${arr.length}) [${head}${arr.length > 4 ? ', …' : ''}]`;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function invalid(argument: string, value: unknown, problem: string, fix: string): SmoothingError {
  return new SmoothingError('ERR_INVALID_ARGUMENT', problem, { argument, value, fix });
}
