/**
 * Locating and loading the native addons. Order: a local build in the package folder (development and
 * builds from source: cmake-js's build-cmake/Release, then node-gyp's build/Release), then the prebuilt
 * platform package (`@stochastic-smoothing/<platform>-<arch>[-<libc>]`, an optional dependency that npm
 * installs only where its os/cpu/libc fields match), else the caller falls back to the js backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DISTRIBUTION_NAMES } from '../../distributions.js';
import { SAMPLER_NAMES } from '../../samplers.js';

const require = createRequire(import.meta.url);

/**
 * The folder of this package's package.json. Found by walking up rather than by a fixed number of `..`,
 * because the ESM build (dist/) and the CommonJS build (dist/cjs/) sit at different depths.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'stochastic-smoothing') return dir;
      } catch {
        // an unreadable package.json is not ours: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    dir = parent;
  }
}

const packageRoot = findPackageRoot();

/** The prebuilt platform packages that can serve this process, most specific first. */
export function platformPackageNames(platform: string = process.platform, arch: string = process.arch): string[] {
  const base = `@stochastic-smoothing/${platform}-${arch}`;
  // Linux packages are split by C library (the libc field of their package.json); npm installs the matching one.
  return platform === 'linux' ? [`${base}-gnu`, `${base}-musl`] : [base];
}

/** The plan object the addon parses (native/addon.cc parse_plan). */
export interface NativePlan {
  n: number;
  m: number;
  builtin: boolean;
  box?: { kind: number; n: number; k: number; rows: number; cols: number };
  dist: number;
  covariate: number;
  sampler: { kind: number; samples: number; antithetic: boolean; cartesianK: number; sobolV?: Uint32Array };
  scale: { kind: number; sigma?: Float64Array; matrix?: Float64Array };
  /** k of median-of-k noise (odd, 1..99); absent = 1, plain noise (native/core/median.h). */
  medianOf?: number;
}

/** The job object the addon parses (native/addon.cc parse_job). */
export interface NativeJob {
  op: number;
  batch: number;
  seed: number;
  x: Float32Array;
  v?: Float32Array;
  dir?: Float64Array;
  fx?: Float64Array;
  threads?: number;
  /**
   * The output cache of a built-in box (lib/output-cache.ts layout): a forward job fills it (cacheFill), a
   * backward job reads it instead of evaluating the box. Its size is re-checked natively.
   */
  cache?: ArrayBuffer;
  cacheFill?: boolean;
  /**
   * Backward operations: the output buffer of the standard errors (B × the result's size per input), filled when
   * the job succeeds; its presence makes the engine keep the second-moment sums (native/core/accumulate.h).
   */
  stderr?: Float32Array;
  /** L⁻¹ row-major (n×n), with `stderr` and a matrix scale only: the per-sample map of the standard errors. */
  inverse?: Float64Array;
}

export interface NativeResult {
  value?: Float32Array;
  stderr?: Float32Array;
  mean?: Float64Array;
}

export interface NativeUserStream {
  noise(b: number, start: number, count: number, z: Float32Array): void;
  accumulate(outputs: Float32Array): void;
  /** The sums; frees the stream's buffers (a finished stream cannot be used again). */
  finish(): NativeResult;
  /** Frees the buffers of a stream that will not finish (an error or an abort). Idempotent. */
  close(): void;
}

/** The interface of every native addon (cpu: native/addon.cc). */
export interface NativeAddon {
  run(plan: NativePlan, job: NativeJob, onProgress?: (done: number) => void): { promise: Promise<NativeResult>; abort(): void };
  /** The same job on the calling thread: blocks the event loop until it is done (the synchronous API). */
  runSync(plan: NativePlan, job: NativeJob): NativeResult;
  uniforms(plan: NativePlan, seed: number, b: number, start: number, count: number): Float64Array;
  UserStream: new (plan: NativePlan, job: NativeJob, chunk: number) => NativeUserStream;
  hardwareConcurrency: number;
  /** The most threads a job runs on (4 × hardware threads, at most 256): larger requests are capped natively. */
  maxThreads: number;
  samplesPerItem: number;
  /** The names of each native enum in enum order (native/engine/enum_names.h); checked at load time. */
  enums: NativeEnums;
}

/** The enum tables a native addon exports: for each kind that crosses the boundary as a position, its names. */
export type NativeEnums = Readonly<Record<keyof typeof NATIVE_ENUMS, readonly string[]>>;

/**
 * The TS side's names, in the positions the plan and job objects carry: distributions and samplers are the
 * public lists; boxes are BuiltinSpec kinds, ops the Smoothed operations, covariates and scales the option
 * values. An addon whose tables differ is refused by loadAddon.
 */
export const NATIVE_ENUMS = Object.freeze({
  distributions: DISTRIBUTION_NAMES,
  samplers: SAMPLER_NAMES,
  boxes: Object.freeze(['permutation', 'ranks', 'argmax', 'topk', 'shortestPath']),
  ops: Object.freeze(['forward', 'vjp', 'jacobian', 'jvp', 'scaleGradient']),
  covariates: Object.freeze(['none', 'fx', 'loo']),
  scales: Object.freeze(['scalar', 'diagonal', 'matrix']),
});

/**
 * Why an addon's `enums` do not match the TS lists (undefined when every table matches name for name). Positions
 * cross the boundary, so a reordered or extended enum on either side would otherwise be a silent wrong answer.
 */
export function enumMismatch(enums: unknown, expected: NativeEnums = NATIVE_ENUMS): string | undefined {
  if (typeof enums !== 'object' || enums === null) return 'the addon exports no enum tables (`enums`): it predates this version of the library; rebuild it';
  const problems: string[] = [];
  for (const [key, names] of Object.entries(expected)) {
    const got = (enums as Record<string, unknown>)[key];
    const list = Array.isArray(got) ? (got as unknown[]).map(String) : undefined;
    if (list === undefined || list.length !== names.length || list.some((name, i) => name !== names[i])) {
      problems.push(`${key}: native [${list ? list.join(', ') : String(got)}], TS [${names.join(', ')}]`);
    }
  }
  return problems.length === 0
    ? undefined
    : `the addon's enum tables differ from the TS lists (${problems.join('; ')}): the addon was built from other sources than this library; rebuild it`;
}

export type CpuAddon = NativeAddon;

/** Where an addon file came from: a build in the package folder, or the prebuilt platform package. */
export type AddonSource = 'local-build' | 'prebuilt';

/** `source` is absent when a caller loads a file of its own choosing (the CUDA test hook). */
export type LoadResult<T> = { addon: T; path: string; source?: AddonSource } | { reason: string };

/** The candidate files for an addon, in the loader's order. */
export function addonCandidates(file: string): Array<{ path: string; source: AddonSource }> {
  const candidates: Array<{ path: string; source: AddonSource }> = [
    { path: join(packageRoot, 'build-cmake', 'Release', file), source: 'local-build' },
    { path: join(packageRoot, 'build', 'Release', file), source: 'local-build' },
  ];
  for (const name of platformPackageNames()) {
    try {
      candidates.push({ path: join(dirname(require.resolve(`${name}/package.json`)), file), source: 'prebuilt' });
    } catch {
      // not installed (another platform, or --omit=optional)
    }
  }
  return candidates;
}

/** 'prebuilt' when the file lies inside an installed platform package, else 'local-build'. */
export function addonSource(path: string): AddonSource {
  return addonCandidates('').some((c) => c.source === 'prebuilt' && path.startsWith(c.path)) ? 'prebuilt' : 'local-build';
}

/** The first candidate that loads and whose enum tables match the TS lists; else why none did. */
export function loadAddon<T>(file: string): LoadResult<T> {
  const found = addonCandidates(file).filter((c) => existsSync(c.path));
  if (found.length === 0) {
    const platform = platformPackageNames().join(' or ');
    return {
      reason:
        `no ${file} in build-cmake/Release or build/Release, and no prebuilt package ${platform} installed ` +
        '(run `npm run build:native` in the package folder; it needs cmake or node-gyp and a C++17 compiler)',
    };
  }
  const errors: string[] = [];
  for (const { path, source } of found) {
    let addon: T;
    try {
      addon = require(path) as T;
    } catch (err) {
      errors.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const mismatch = enumMismatch((addon as { enums?: unknown }).enums);
    if (mismatch === undefined) return { addon, path, source };
    errors.push(`${path}: ${mismatch}`);
  }
  return { reason: `could not load the addon: ${errors.join('; ')}` };
}
