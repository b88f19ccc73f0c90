/** Locating and loading the native addons (cmake-js output first, node-gyp's second). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

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
}

export type CpuAddon = NativeAddon;

export type LoadResult<T> = { addon: T; path: string } | { reason: string };

export function loadAddon<T>(file: string): LoadResult<T> {
  const candidates = [join(packageRoot, 'build-cmake', 'Release', file), join(packageRoot, 'build', 'Release', file)];
  const found = candidates.filter((p) => existsSync(p));
  if (found.length === 0) {
    return { reason: `no ${file} in build-cmake/Release or build/Release (run \`npm run build:native\`; it needs cmake or node-gyp and a C++17 compiler)` };
  }
  const errors: string[] = [];
  for (const path of found) {
    try {
      return { addon: require(path) as T, path };
    } catch (err) {
      errors.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { reason: `could not load the addon: ${errors.join('; ')}` };
}
