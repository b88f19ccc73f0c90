/**
 * The results folder of a study (variance, samples, or one shard of them):
 *   meta.json     what made the numbers: command, package version, every flag that changes a number, the
 *                 shard (if any), and the report's header fields
 *   cells.jsonl   one finished cell per line, appended as cells finish (so a stopped run can resume)
 *   references/   cached reference Jacobians (float32), named by every flag that shapes them (and cleared
 *                 with the folder: a run on another backend recomputes nothing it need not)
 *
 * Rules (README "Results folders"): with --resume, every number-changing flag, the version and the shard must
 * equal those in meta.json, or the run is refused naming the first flag that differs; without --resume, a
 * folder holding an earlier run of the same study is cleared of that run's files and started clean, and any
 * other non-empty folder is refused. Damaged state is an error of one line (meta.json) or recomputed (a
 * truncated last line of cells.jsonl, a reference file of the wrong size), never a stack trace.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid, SmoothingError } from '../errors.js';
import type { BackendName } from '../types.js';

export interface ShardInfo {
  /** 1-based, as in `--shard 2/4`. */
  index: number;
  count: number;
}

/** What a study reports after every finished cell (and before each reference): cells and work, done and total. */
export interface StudyProgress {
  cells: number;
  totalCells: number;
  work: number;
  totalWork: number;
  label: string;
}

/** The options every study run (variance, samples) takes besides its own. */
export interface StudyRunOptions {
  settings: readonly string[];
  repeats: number;
  inputs: number;
  scale: number;
  seed: number;
  backend: 'auto' | BackendName;
  out: string;
  resume: boolean;
  /** Compute only this shard's groups of cells (1-based index). */
  shard?: ShardInfo;
  signal?: AbortSignal;
  onProgress?: (p: StudyProgress) => void;
}

/** The identity of a run: equal identities make equal numbers. */
export interface RunIdentity {
  command: 'variance' | 'samples';
  version: string;
  /** Every flag that changes a number, under its CLI name (e.g. '--scale'); JSON values. */
  flags: Record<string, unknown>;
  shard?: ShardInfo;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const show = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));
const shardText = (s: ShardInfo | undefined) => (s ? `shard ${s.index}/${s.count}` : 'no shard (a whole run)');

/** The first difference between two identities, as a sentence naming the flag; undefined when equal. */
export function identityDifference(was: RunIdentity, now: RunIdentity): string | undefined {
  if (was.command !== now.command) return `they are results of \`${show(was.command)}\`, not \`${now.command}\``;
  if (was.version !== now.version) return `they were made by version ${show(was.version)}, not ${now.version}`;
  const names = [...new Set([...Object.keys(now.flags), ...Object.keys(was.flags ?? {})])];
  for (const name of names) {
    const a = JSON.stringify(was.flags?.[name] ?? null);
    const b = JSON.stringify(now.flags[name] ?? null);
    if (a !== b) return `they were made with ${name} ${show(was.flags?.[name])}, not ${show(now.flags[name])}`;
  }
  if (JSON.stringify(was.shard ?? null) !== JSON.stringify(now.shard ?? null)) return `they are ${shardText(was.shard)}, not ${shardText(now.shard)}`;
  return undefined;
}

/** Read and parse meta.json, or throw a one-line error naming the file. */
export function readMeta(dir: string, argument: string): RunIdentity & Record<string, unknown> {
  const file = join(dir, 'meta.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(argument, dir, `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'pass a results folder written by variance or samples');
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (err) {
    throw invalid(argument, dir, `${file} is damaged (${(err as Error).message}).`, 'run again without --resume to start clean, or use a new --out folder');
  }
  const m = meta as Partial<RunIdentity> | null;
  if (!m || typeof m !== 'object' || typeof m.command !== 'string' || typeof m.version !== 'string' || !m.flags || typeof m.flags !== 'object') {
    throw invalid(argument, dir, `${file} does not describe a run (no command, version or flags: written by an older version, or edited).`, 'run again without --resume to start clean, or use a new --out folder');
  }
  return m as RunIdentity & Record<string, unknown>;
}

/** The files a study writes at the top of its folder (state and report): what "start clean" removes. */
const OWN_FILE = /^(meta\.json|cells\.jsonl|cells\.jsonl\.tmp|.*\.(csv|md|svg))$/;

/** Refuse an --out path that is a file (or under one) with a one-line error. */
export function ensureFolder(out: string, argument = '--out'): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw invalid(argument, out, `${out} is a file, not a folder.`, `pass a folder path (it is created if missing) to ${argument}`);
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw invalid(argument, out, `the folder ${out} cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, `pass a writable folder path to ${argument}`);
  }
}

/**
 * Prepare `out` for a run with `identity` (see the rules above). Returns the paths; the caller writes
 * meta.json (writeMeta) and appends cells.
 */
export function openResults(out: string, resume: boolean, identity: RunIdentity): { metaFile: string; cellsFile: string } {
  ensureFolder(out);
  const metaFile = join(out, 'meta.json');
  const cellsFile = join(out, 'cells.jsonl');
  const entries = readdirSync(out);
  if (resume && existsSync(metaFile)) {
    const difference = identityDifference(readMeta(out, '--resume'), identity);
    if (difference) throw invalid('--resume', out, `cannot resume in ${out}: ${difference}.`, 'resume with the same flags, or run without --resume (starts clean), or write to a new --out folder');
    return { metaFile, cellsFile };
  }
  if (entries.length === 0) return { metaFile, cellsFile };
  if (!existsSync(metaFile)) {
    throw invalid('--out', out, `${out} is not empty and holds no results of a study (no meta.json): nothing there is removed.`, 'choose an empty or new --out folder');
  }
  let was: { command?: unknown } = {};
  try {
    was = JSON.parse(readFileSync(metaFile, 'utf8')) as { command?: unknown };
  } catch {
    // A damaged meta.json of an earlier run: the run is started clean all the same.
  }
  if (was.command !== undefined && was.command !== identity.command) {
    throw invalid('--out', out, `${out} holds results of \`${String(was.command)}\`, not \`${identity.command}\`.`, 'choose another --out folder');
  }
  // Start clean: an earlier run's cells and references were made under flags that may differ from these.
  for (const name of entries) if (OWN_FILE.test(name)) rmSync(join(out, name), { force: true });
  rmSync(join(out, 'references'), { recursive: true, force: true });
  return { metaFile, cellsFile };
}

export function writeMeta(metaFile: string, meta: RunIdentity & Record<string, unknown>): void {
  writeFileSync(`${metaFile}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
  renameSync(`${metaFile}.tmp`, metaFile);
}

/**
 * The cells of cells.jsonl that pass `valid`. A last line cut short (the process was killed while appending)
 * is dropped and the file rewritten without it, so the cell is simply computed again; any other damaged line
 * is a one-line error naming the line.
 */
export function readCells<C>(cellsFile: string, valid: (cell: unknown) => cell is C): C[] {
  if (!existsSync(cellsFile)) return [];
  const text = readFileSync(cellsFile, 'utf8');
  const lines = text.split('\n');
  const cells: C[] = [];
  let truncated = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const last = i === lines.length - 1; // no newline after it: the append did not finish
    let cell: unknown;
    try {
      // JSON writes NaN (e.g. a standard error that one estimate cannot give) as null: read it back as NaN, so
      // that a resumed or merged cell reports exactly as the cell did when it was made.
      cell = JSON.parse(line, (_key, value: unknown) => (value === null ? Number.NaN : value));
    } catch {
      if (last) {
        truncated = true;
        continue;
      }
      throw new SmoothingError('ERR_INVALID_ARGUMENT', `${cellsFile} is damaged at line ${i + 1} (not JSON).`, { argument: '--resume', value: line.slice(0, 60), fix: 'run again without --resume to start clean' });
    }
    if (!valid(cell)) {
      if (last) {
        truncated = true;
        continue;
      }
      throw new SmoothingError('ERR_INVALID_ARGUMENT', `${cellsFile} line ${i + 1} is not a cell of this study.`, { argument: '--resume', value: line.slice(0, 60), fix: 'run again without --resume to start clean' });
    }
    cells.push(cell);
  }
  if (truncated) {
    writeFileSync(`${cellsFile}.tmp`, cells.map((c) => `${JSON.stringify(c)}\n`).join(''));
    renameSync(`${cellsFile}.tmp`, cellsFile);
  }
  return cells;
}

export function appendCell(cellsFile: string, cell: unknown): void {
  appendFileSync(cellsFile, `${JSON.stringify(cell)}\n`);
}

/** A cached reference of `length` floats, or undefined when absent or of the wrong size (then recomputed). */
export function readReference(file: string, length: number): Float32Array | undefined {
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  if (buf.byteLength !== 4 * length) return undefined;
  const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return ref.every(Number.isFinite) ? ref : undefined;
}

/** Write a reference whole or not at all (a stopped run leaves no half-written cache file). */
export function writeReference(file: string, ref: Float32Array): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength));
  renameSync(`${file}.tmp`, file);
}

/** The numbers of a cell: finite or absent, never NaN from a broken file. */
export const finiteOrAbsent = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
