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
  | 'ERR_CALLBACK'
  | 'ERR_CUDA'
  | 'ERR_INTERNAL';

/** One problem of a call: what SmoothingError.errors lists (a call can have several, reported together). */
export interface SmoothingProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly argument?: string;
  readonly value?: unknown;
  readonly fix?: string;
}

export interface SmoothingErrorDetails {
  /** The option or argument at fault, for example `options.samples`. */
  argument?: string;
  /** The offending value (summarised for large arrays). */
  value?: unknown;
  /** What to do instead. */
  fix?: string;
  cause?: unknown;
  /** Every problem found (validation collects them all); defaults to this error's own problem. */
  errors?: readonly SmoothingProblem[];
}

export class SmoothingError extends Error {
  readonly code: ErrorCode;
  readonly argument?: string;
  readonly value?: unknown;
  readonly fix?: string;
  /**
   * Every problem of the call, each with its code, argument, value and fix. A call with one problem lists
   * just that one (and code/argument/value/fix are its own); with several, the top-level fields are the
   * first problem's and the message summarises all of them.
   */
  readonly errors: readonly SmoothingProblem[];

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
    this.errors = Object.freeze(details.errors ?? [Object.freeze({ code, message, argument: details.argument, value: details.value, fix: details.fix })]);
  }
}

/**
 * Runs checks and collects their SmoothingErrors instead of stopping at the first, so that one call reports
 * every problem at once. Errors that are not SmoothingErrors are bugs and propagate immediately.
 */
export class ProblemCollector {
  private readonly found: SmoothingError[] = [];

  /** Run one check; its SmoothingError is recorded and `fallback` returned in its place. */
  check<T>(fn: () => T, fallback: T): T;
  check<T>(fn: () => T): T | undefined;
  check<T>(fn: () => T, fallback?: T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof SmoothingError)) throw err;
      this.found.push(err);
      return fallback;
    }
  }

  get count(): number {
    return this.found.length;
  }

  /** Throw what was found: the error itself when there is one, a summary listing all when there are several. */
  throwIfAny(): void {
    if (this.found.length === 0) return;
    if (this.found.length === 1) throw this.found[0];
    const problems = this.found.flatMap((e) => e.errors);
    const first = problems[0];
    const lines = problems.map((p, i) => `${i + 1}) ${p.argument ?? '(call)'}: ${p.message}`);
    throw new SmoothingError(first.code, `${problems.length} problems with this call: ${lines.join(' ')}`, {
      argument: first.argument,
      value: first.value,
      fix: problems.map((p) => p.fix).filter((f) => f !== undefined).join('; '),
      errors: problems,
    });
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
