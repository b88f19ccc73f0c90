/**
 * Flag parsing for every command: node:util parseArgs underneath, with `-h/--help` answered before anything is
 * checked, unknown flags named with the nearest known one, and the typed readers (integers, positive numbers,
 * number lists, bounded input files) that turn a bad value into a one-line SmoothingError.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SmoothingError } from '../errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

/** A mistake in how a command was called (unknown flag, missing value): printed in one line, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Whether the arguments ask for help (anywhere, as `git` and `npm` do). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('-h') || args.includes('--help');
}

/** Edit distance (insertions, deletions, substitutions): enough to suggest `--samples` for `--sampels`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

/** The known name nearest to `name`, when it is near enough to be a likely typo (or a prefix of it). */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) && name.length >= 2 ? 0.5 : editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Parse `args` against `spec` (help is the caller's, see wantsHelp). An unknown flag names itself and the
 * nearest known flag; every other parse problem becomes a UsageError with node's one-line reason.
 */
export type FlagValues<S extends FlagSpec> = { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean | undefined : S[K] extends { default: string } ? string : string | undefined };

export function parseFlags<S extends FlagSpec>(command: string, args: string[], spec: S, allowPositionals = false): { values: FlagValues<S>; positionals: string[] } {
  const { tokens } = parseArgs({ args, options: spec, strict: false, allowPositionals: true, tokens: true });
  const known = Object.keys(spec);
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in spec) continue;
    const guess = nearest(token.name, known);
    throw new UsageError(`unknown flag ${token.rawName} for ${command}${guess ? `; did you mean --${guess}?` : '.'} (stochastic-smoothing ${command} --help lists them)`, command);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: spec, strict: true, allowPositionals });
    return { values: values as unknown as FlagValues<S>, positionals };
  } catch (err) {
    // node's reasons can span lines (e.g. how to pass a value that starts with a dash): keep them on one.
    const message = (err as Error).message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    throw new UsageError(`${command}: ${message} (stochastic-smoothing ${command} --help)`, command);
  }
}

/** An integer flag in [min, max]; `fallback` when absent. */
export function intFlag(flag: string, text: string | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer in [${min}, ${max}]`;
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be ${range}.`, { argument: flag, value: text, fix: `for example ${flag} ${fallback}` });
  }
  return v;
}

/** A flag holding a finite number > 0; `fallback` when absent. */
export function positiveFlag(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || !Number.isFinite(v)) throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be a positive number.`, { argument: flag, value: text, fix: `for example ${flag} ${fallback}` });
  return v;
}

/** The noise scale flag of the studies: a finite number > 0, default 0.5. */
export function scaleFlag(text: string | undefined): number {
  return positiveFlag('--scale', text, 0.5);
}

/** A comma list of names (settings, strategies): an empty item is a mistake, not something to skip. */
export function nameList(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} has an empty item.`, { argument: flag, value: text, fix: `separate names by single commas, for example ${flag} a,b` });
  return items;
}

const badList = (flag: string, text: string, why: string) =>
  new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be a list of finite numbers: ${why}.`, { argument: flag, value: text.length > 80 ? `${text.slice(0, 80)}…` : text, fix: `for example ${flag} 0.3,1.2,-0.5` });

/**
 * A list of finite numbers separated by commas or by white space (optionally in [ ]). An empty item
 * (`1,,2`, a leading or trailing comma) is refused: silently dropping it would shift every later number.
 */
export function numberList(text: string, flag: string): Float32Array {
  const body = text.trim().replace(/^\[([\s\S]*)\]$/, '$1').trim();
  if (body === '') throw badList(flag, text, 'it is empty');
  const items = body.split(/\s*,\s*|\s+/);
  const values: number[] = [];
  for (const [i, item] of items.entries()) {
    if (item === '') throw badList(flag, text, `item ${i + 1} is empty`);
    const v = Number(item);
    if (!Number.isFinite(v)) throw badList(flag, text, `item ${i + 1} (${JSON.stringify(item.slice(0, 20))}) is not a finite number`);
    values.push(v);
  }
  return Float32Array.from(values);
}

/** The largest input file read (64 MiB ≈ 4 million numbers as text): a guard against /dev/zero and mistakes. */
export const MAX_INPUT_BYTES = 64 << 20;

/**
 * Read a text input file of at most `limit` bytes. Missing files, folders and longer inputs (including
 * endless ones such as /dev/zero, read in bounded chunks) are one-line errors naming the flag.
 */
export function readInputFile(file: string, flag: string, limit = MAX_INPUT_BYTES): string {
  const fail = (problem: string, fix: string) => new SmoothingError('ERR_INVALID_ARGUMENT', problem, { argument: flag, value: file, fix });
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw fail(`${flag} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'pass the path of an existing file');
  }
  if (st.isDirectory()) throw fail(`${flag} ${file} is a folder, not a file.`, 'pass the path of a file');
  if (st.isFile() && st.size > limit) throw fail(`${flag} ${file} has ${st.size} bytes, more than the limit of ${limit}.`, 'pass a smaller input');
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw fail(`${flag} ${file} cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'pass the path of a readable file');
  }
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      total += got;
      if (total > limit) throw fail(`${flag} ${file} holds more than the limit of ${limit} bytes.`, 'pass a smaller input (a regular file of numbers)');
      chunks.push(chunk.subarray(0, got));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Numbers from an input file: a JSON array (nested arrays are flattened row by row) or a plain number list. */
export function numbersFromFile(file: string, flag: string): Float32Array {
  const text = readInputFile(file, flag);
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return numberList(text, flag); // `[1 2 3]` is not JSON but is a list
    }
    const flat = (Array.isArray(parsed) ? parsed : [parsed]).flat(Infinity) as unknown[];
    if (flat.length === 0) throw badList(flag, file, 'the array is empty');
    const bad = flat.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw badList(flag, file, `entry ${bad + 1} is ${JSON.stringify(flat[bad])}`);
    return Float32Array.from(flat as number[]);
  }
  return numberList(text, flag);
}
